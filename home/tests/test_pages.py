"""Every page type renders with the demo content, finished (title, description, canonical URL),
in a bounded number of queries; unknown URLs get the styled 404."""

import io
import re

import pytest
from django.core.management import call_command
from wagtail.models import Page

from demo import images as demo_images
from demo.tests.test_demo_content import tiny_jpeg
from home.models import HelpIndexPage, HelpPage, HomePage, StandardPage
from readers.models import ReaderIndexPage, ReaderPage
from shop.models import ProductPage, ShopIndexPage

pytestmark = pytest.mark.django_db

# Queries per page, anonymous visitor, cold template-fragment caches. Pinned so an N+1 shows up
# as a failure; the directory's bound holds with 12 readers and must not grow with more.
MAX_QUERIES = {
    HomePage: 20,
    StandardPage: 12,
    HelpIndexPage: 12,
    HelpPage: 12,
    ReaderIndexPage: 16,
    ReaderPage: 13,  # the Person JSON-LD prefetches specialties for the page body (was 14)
    ShopIndexPage: 14,
    ProductPage: 13,  # its stock count and photos: gallery, images, renditions (was 12)
}


@pytest.fixture
def demo_site(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    for name in ("reader_portrait", "hero_image", "motif_image"):
        monkeypatch.setattr(demo_images, name, tiny_jpeg)
    call_command("load_demo_content", stdout=io.StringIO())


def one_page_of_each_type():
    for model in MAX_QUERIES:
        page = model.objects.live().first()
        assert page is not None, f"demo content has no {model.__name__}"
        yield model, page


def test_every_page_type_renders_finished_within_its_query_budget(
    demo_site, client, django_assert_max_num_queries
):
    for model, page in one_page_of_each_type():
        client.get(page.url)  # warm per-process caches (site root paths, renditions)
        with django_assert_max_num_queries(MAX_QUERIES[model]):
            response = client.get(page.url)
        assert response.status_code == 200, page.url
        html = response.content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        assert title and title.group(1).strip(), f"{page.url} has no <title>"
        assert re.search(r'<meta name="description" content="[^"]+"', html), page.url
        canonical = re.search(r'<link rel="canonical" href="([^"]+)"', html)
        assert canonical and canonical.group(1).endswith(page.url), page.url


def test_directory_query_count_does_not_grow_with_readers(
    demo_site, client, django_assert_max_num_queries
):
    index = ReaderIndexPage.objects.get()
    template = ReaderPage.objects.live().first()
    for n in range(6):
        copy = template.copy(
            to=index,
            update_attrs={"slug": f"extra-reader-{n}", "title": f"Extra {n}", "user": None},
            keep_live=True,
        )
        assert copy.live
    client.get(index.url)
    with django_assert_max_num_queries(MAX_QUERIES[ReaderIndexPage]):
        response = client.get(index.url)
    assert response.status_code == 200
    assert "Extra 5" in response.content.decode() or "extra-reader-5" in response.content.decode()


def test_demo_home_page_shows_featured_readers(demo_site, client):
    response = client.get("/")
    html = response.content.decode()
    for reader in ReaderPage.objects.live()[:3]:
        assert reader.url in html or reader.display_name in html


def test_unknown_url_gets_a_styled_404(client):
    response = client.get("/no-such-page-here/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<title>" in html and "site.css" in html


def test_page_type_rules_keep_the_tree_sane():
    assert HomePage.can_create_at(Page.get_first_root_node())
    assert ReaderPage.allowed_parent_page_models() == [ReaderIndexPage]
    assert ProductPage.allowed_parent_page_models() == [ShopIndexPage]
    assert HelpPage.allowed_parent_page_models() == [HelpIndexPage]
    assert ReaderPage.allowed_subpage_models() == []
    assert set(HomePage.allowed_subpage_models()) == {
        StandardPage,
        HelpIndexPage,
        ReaderIndexPage,
        ShopIndexPage,
    }


def test_a_client_page_view_skips_the_admin_userbar_permission_check(
    demo_site, client, django_assert_max_num_queries
):
    from accounts.tests.factories import UserFactory

    reader = ReaderPage.objects.live().first()
    client.force_login(UserFactory())
    client.get(reader.url)
    with django_assert_max_num_queries(MAX_QUERIES[ReaderPage] + 5) as queries:
        html = client.get(reader.url).content.decode()
    assert "Log out" in html and "userbar" not in html
    assert not any("auth_permission" in query["sql"] for query in queries.captured_queries)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "userbar" in client.get(reader.url).content.decode()


def test_the_userbar_shows_on_cms_pages_to_their_editors_only(demo_site, client):
    from accounts.tests.factories import UserFactory

    readers = list(ReaderPage.objects.live().order_by("path")[:2])
    own, other = readers
    app_pages = ["/readings/desk/", "/wallet/", "/readings/bookings/", "/accounts/profile/"]

    client.force_login(own.user)
    assert "wagtail-userbar" in client.get(own.url).content.decode()
    assert "wagtail-userbar" not in client.get(other.url).content.decode()
    assert "wagtail-userbar" not in client.get("/").content.decode()
    for url in app_pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "wagtail-userbar" not in response.content.decode(), url

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "wagtail-userbar" in client.get("/").content.decode()
    assert "wagtail-userbar" in client.get(other.url).content.decode()
    for url in ["/wallet/", "/readings/bookings/", "/accounts/profile/"]:
        assert "wagtail-userbar" not in client.get(url).content.decode(), url
