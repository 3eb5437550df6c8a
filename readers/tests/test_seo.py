"""SEO of reader pages: meta tags, Person JSON-LD, breadcrumbs, sitemap, 301 on slug change."""

import json
import re
from xml.etree import ElementTree

import pytest

from accounts.tests.factories import UserFactory
from readers import services
from readers.models import ReaderPage, Specialty
from readers.tests.factories import ended_reading, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def luna(reader_index):
    tarot = Specialty.objects.create(name="Tarot", slug="tarot")
    return make_reader(reader_index, "Luna Vale", specialties=[tarot], languages="English, French")


def json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return {item["@type"]: item for item in map(json.loads, blocks)}


def test_reader_page_has_title_description_canonical_and_social_tags(client, luna):
    html = client.get(luna.url).content.decode()
    assert "<title>Luna Vale, psychic reader · SoulSeer</title>" in html
    assert re.search(
        r'<meta name="description" content="Luna Vale: Luna Vale reads the cards', html
    )
    assert '<link rel="canonical" href="https://soulseer.example/readers/luna-vale/">' in html
    assert re.search(r'<meta property="og:image" content="https://soulseer.example/media/', html)
    assert re.search(r'<meta name="twitter:image" content="https://soulseer.example/media/', html)
    assert '<meta property="og:type" content="profile">' in html


def test_json_ld_person_offers_services_and_rating_only_with_reviews(client, luna, settings):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"  # voice and video can start
    data = json_ld(client.get(luna.url).content.decode())
    person = data["Person"]
    assert person["name"] == "Luna Vale"
    assert person["url"] == "https://soulseer.example/readers/luna-vale/"
    assert person["image"].startswith("https://soulseer.example/media/")
    assert person["knowsAbout"] == ["Tarot"]
    assert person["knowsLanguage"] == ["English", "French"]
    offers = person["makesOffer"]
    assert [offer["price"] for offer in offers] == ["2.99", "3.99", "4.99"]
    assert all(offer["priceCurrency"] == "USD" for offer in offers)
    assert all(offer["itemOffered"]["@type"] == "Service" for offer in offers)
    assert "aggregateRating" not in offers[0]["itemOffered"]

    buyer = UserFactory()
    services.create_review(buyer, ended_reading(buyer, luna), rating=4, text="Good and kind.")
    person = json_ld(client.get(luna.url).content.decode())["Person"]
    rating = person["makesOffer"][0]["itemOffered"]["aggregateRating"]
    assert rating == {
        "@type": "AggregateRating",
        "ratingValue": "4.0",
        "reviewCount": 1,
        "bestRating": "5",
        "worstRating": "1",
    }


def test_breadcrumb_json_ld_goes_home_directory_reader(client, luna):
    crumbs = json_ld(client.get(luna.url).content.decode())["BreadcrumbList"]["itemListElement"]
    assert [(c["position"], c["name"], c["item"]) for c in crumbs] == [
        (1, "Home", "https://soulseer.example/"),
        (2, "Our readers", "https://soulseer.example/readers/"),
        (3, "Luna Vale", "https://soulseer.example/readers/luna-vale/"),
    ]


def test_breadcrumbs_follow_a_renamed_ancestor_at_once(client, luna, reader_index):
    def names():
        html = client.get(luna.url).content.decode()
        return [c["name"] for c in json_ld(html)["BreadcrumbList"]["itemListElement"]]

    assert names() == ["Home", "Our readers", "Luna Vale"]  # now cached
    index = type(reader_index).objects.get(pk=reader_index.pk)
    index.title = "Psychic readers"
    index.save_revision().publish()
    # The reader's own title and url_path did not change; the crumbs still must.
    assert names() == ["Home", "Psychic readers", "Luna Vale"]


def test_sitemap_lists_every_live_reader_page_with_lastmod(client, luna, reader_index):
    draft = make_reader(reader_index, "Nova Draft")
    draft.unpublish()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    tree = ElementTree.fromstring(response.content)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    entries = {
        url.find("s:loc", ns).text: url.find("s:lastmod", ns) for url in tree.findall("s:url", ns)
    }
    assert "http://testserver/readers/luna-vale/" in entries
    assert entries["http://testserver/readers/luna-vale/"] is not None
    assert not any("nova-draft" in loc for loc in entries)


def test_slug_change_leaves_a_permanent_redirect(client, luna, django_capture_on_commit_callbacks):
    page = ReaderPage.objects.get(pk=luna.pk)
    page.slug = "luna-vale-tarot"
    # Wagtail's redirects app creates the redirect on commit (WAGTAILREDIRECTS_AUTO_CREATE).
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    response = client.get("/readers/luna-vale/")
    assert response.status_code == 301
    assert response["Location"].endswith("/readers/luna-vale-tarot/")


def test_robots_txt_points_at_the_sitemap(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap:" in body
