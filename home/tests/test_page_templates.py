"""The public templates render real Wagtail pages, show prices and labels, and avoid N+1 queries."""

import io
import json
import re

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.images import ImageFile
from django.db import connection
from django.template.loader import get_template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page, Site

from accounts.models import User
from home.models import HelpIndexPage, HelpPage, HomePage, StandardPage
from home.views import page_not_found
from readers.models import ReaderIndexPage, ReaderPage, Specialty
from shop import inventory
from shop.models import ProductPage, ShopIndexPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://soulseer.example"


def make_image(title):
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 16), (30, 27, 75)).save(buffer, "JPEG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.jpg")
    )


@pytest.fixture
def home():
    # A transactional test elsewhere can flush the reused test database, taking the tree root
    # and default locale that migrations created with it; recreate them when missing.
    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    page = root.add_child(instance=HomePage(title="Home", slug="home-test", hero_title="Clarity"))
    Site.objects.all().delete()
    Site.objects.create(hostname="testserver", port=80, root_page=page, is_default_site=True)
    return page


@pytest.fixture
def reader_index(home):
    return home.add_child(instance=ReaderIndexPage(title="Our readers", slug="readers"))


def add_reader(index, name, presence="online", specialties=("Tarot",), rating="4.80", count=12):
    page = index.add_child(
        instance=ReaderPage(
            title=name,
            slug=name.lower().replace(" ", "-"),
            display_name=name,
            tagline=f"{name} reads the cards",
            photo=make_image(name),
            presence=presence,
            rating_average=rating,
            rating_count=count,
            chat_rate_cents=299,
            voice_rate_cents=399,
            video_rate_cents=499,
            languages="English, Spanish",
        )
    )
    for specialty_name in specialties:
        specialty, _ = Specialty.objects.get_or_create(
            name=specialty_name, defaults={"slug": specialty_name.lower()}
        )
        page.specialties.add(specialty)
    page.save_revision().publish()
    return page


def test_reader_directory_shows_cards_with_prices_presence_labels_and_alt_text(
    client, reader_index, settings
):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"  # voice and video can start
    add_reader(reader_index, "Luna Vale", presence="online", specialties=("Tarot", "Love"))
    add_reader(reader_index, "Orion Reed", presence="busy", rating="0", count=0)

    response = client.get("/readers/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'alt="Luna Vale"' in html
    assert "$2.99/min" in html and "$3.99/min" in html and "$4.99/min" in html
    assert "Online now" in html and "Busy in a reading" in html
    assert "Chat now" in html
    assert "no reviews yet" in html
    assert '<link rel="canonical" href="https://soulseer.example/readers/">' in html
    assert 'aria-current="page"' in html


def test_reader_directory_queries_do_not_grow_with_the_number_of_readers(client, reader_index):
    def queries_for_directory():
        client.get("/readers/")  # first render creates the photo renditions
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/readers/").status_code == 200
        return len(queries)

    add_reader(reader_index, "Reader One")
    add_reader(reader_index, "Reader Two")
    with_two = queries_for_directory()
    for name in ("Reader Three", "Reader Four", "Reader Five"):
        add_reader(reader_index, name, specialties=("Tarot", "Astrology"))
    with_five = queries_for_directory()

    assert with_five == with_two


def test_reader_page_shows_prices_before_anything_starts_and_structured_data(client, reader_index):
    reader = add_reader(reader_index, "Luna Vale", specialties=("Tarot", "Astrology"))

    response = client.get(reader.url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1" in html and "Luna Vale" in html
    assert "Sign up to start a reading" in html
    assert "English, Spanish" in html
    payloads = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = next(item for item in map(json.loads, payloads) if item["@type"] == "Person")
    assert data["makesOffer"][0]["itemOffered"]["aggregateRating"]["reviewCount"] == 12
    assert data["url"] == "https://soulseer.example/readers/luna-vale/"
    assert 'property="og:image"' in html


def test_reader_page_offers_channels_to_a_logged_in_client(client, reader_index):
    reader = add_reader(reader_index, "Luna Vale", presence="online")
    client.force_login(User.objects.create_user(username="client", password="x-pass-123!"))

    html = client.get(reader.url).content.decode()

    assert "Chat now · $2.99/min" in html
    assert "Sign up to start a reading" not in html
    assert "Log out" in html


def test_help_centre_lists_articles_by_topic_with_getting_started_first(client, home):
    help_index = home.add_child(instance=HelpIndexPage(title="Help centre", slug="help"))
    help_index.add_child(
        instance=HelpPage(title="Refunds", slug="refunds", topic=HelpPage.Topic.PAYMENTS)
    )
    article = help_index.add_child(
        instance=HelpPage(
            title="How readings work",
            slug="how-readings-work",
            topic=HelpPage.Topic.GETTING_STARTED,
            summary="From choosing a reader to ending the session.",
        )
    )

    html = client.get("/help/").content.decode()
    article_html = client.get(article.url).content.decode()

    assert html.index("Getting started") < html.index("Payments and wallet")
    assert "From choosing a reader to ending the session." in html
    assert 'aria-label="Breadcrumb"' in article_html
    assert 'href="/help/"' in article_html


def test_home_standard_and_shop_pages_render(client, home):
    home.body = json.dumps(
        [
            {"type": "heading", "value": {"text": "How it works", "level": "h2"}},
            {"type": "paragraph", "value": "<p>Pick a reader.</p>"},
            {
                "type": "faq",
                "value": {
                    "title": "Questions",
                    "items": [{"question": "Is it private?", "answer": "<p>Yes.</p>"}],
                },
            },
        ]
    )
    home.save_revision().publish()
    home.add_child(instance=StandardPage(title="About", slug="about", introduction="Who we are"))
    shop = home.add_child(instance=ShopIndexPage(title="Shop", slug="shop"))
    product = shop.add_child(
        instance=ProductPage(title="Moon deck", slug="moon-deck", kind="physical", price_cents=3400)
    )
    inventory.set_stock(product, 2)

    home_html = client.get("/").content.decode()
    assert "Clarity" in home_html
    assert "<details" in home_html and "Is it private?" in home_html
    assert client.get("/about/").status_code == 200
    assert "$34.00" in client.get("/shop/").content.decode()
    product_html = client.get(product.url).content.decode()
    assert "$34.00" in product_html and "Only 2 left." in product_html


def test_search_page_labels_results_and_paginates(client, reader_index):
    add_reader(reader_index, "Luna Vale")

    empty = client.get("/search/")
    results = client.get("/search/", {"q": "Luna"})

    assert empty.status_code == 200
    assert "Popular searches" in empty.content.decode()
    assert results.status_code == 200
    assert "Luna Vale" in results.content.decode()
    assert "From <span" in results.content.decode()


def test_messages_are_shown_as_dismissible_alerts(home):
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    messages.success(request, "Saved.")

    html = page_not_found(request).content.decode()

    assert "Saved." in html
    assert "alert-success" in html
    assert "data-dismiss" in html


def test_missing_pages_use_the_branded_404(client, home):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "This page has drifted off" in response.content.decode()


def test_server_error_page_needs_no_request_context():
    html = get_template("500.html").render()

    assert "/static/css/site.css" in html
    assert "{%" not in html


def test_robots_txt_points_at_the_sitemap(client, home):
    response = client.get("/robots.txt")

    body = response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert "Disallow: /admin/" in body
    assert "Sitemap: https://soulseer.example/sitemap.xml" in body


def test_favicon_ico_redirects_to_the_icon_without_touching_the_database(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon-32.png")
