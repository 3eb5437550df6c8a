"""The anonymous page cache (home.page_cache): what is stored, for whom, and that a published
change shows at once."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from home import page_cache
from home.models import StandardPage
from home.tests.test_pages import demo_site  # noqa: F401 - fixture
from readers.models import ReaderIndexPage, ReaderPage, Specialty

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.PAGE_CACHE_LIVE_SECONDS = 15
    page_cache.bump()  # nothing from an earlier test with the same page ids


def urls():
    return [
        "/",
        ReaderIndexPage.objects.get().url,
        ReaderPage.objects.live().order_by("path").first().url,
        StandardPage.objects.get(slug="about").url,
    ]


def test_anonymous_pages_are_stored_without_cookies_and_replayed_without_queries(
    demo_site,  # noqa: F811
    page_cache_on,
    client,
    django_assert_num_queries,
):
    for url in urls():
        first = client.get(url)
        assert first.status_code == 200, url
        assert first["X-Page-Cache"] == "miss", url
        # No per-visitor state: no CSRF or session cookie, no token in the HTML.
        assert not first.cookies, (url, first.cookies)
        assert b"csrfmiddlewaretoken" not in first.content, url
        assert "public" in first["Cache-Control"] and "max-age=0" in first["Cache-Control"]
        assert "HX-Request" in first["Vary"]
        with django_assert_num_queries(0):
            second = client.get(url)
        assert second["X-Page-Cache"] == "hit", url
        assert second.content == first.content
        assert second["ETag"] == first["ETag"]
        assert second["Content-Type"].startswith("text/html")
        revalidated = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert revalidated.status_code == 304, url


def test_a_published_change_shows_at_once(demo_site, page_cache_on, client):  # noqa: F811
    about = StandardPage.objects.get(slug="about")
    reader = ReaderPage.objects.live().order_by("path").first()
    directory = ReaderIndexPage.objects.get()
    for url in (about.url, reader.url, directory.url):
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit"

    about.title = "About the SoulSeer circle"
    about.save_revision().publish()
    response = client.get(about.url)
    assert response["X-Page-Cache"] == "miss"
    assert "About the SoulSeer circle" in response.content.decode()

    reader = ReaderPage.objects.get(pk=reader.pk)
    reader.tagline = "Freshly published tagline"
    reader.save_revision().publish()
    for url in (reader.url, directory.url):
        assert "Freshly published tagline" in client.get(url).content.decode(), url


def test_saved_snippets_and_deleted_pages_forget_stored_pages(
    demo_site,  # noqa: F811
    page_cache_on,
    client,
):
    directory = ReaderIndexPage.objects.get()
    client.get(directory.url)
    assert client.get(directory.url)["X-Page-Cache"] == "hit"
    Specialty.objects.create(name="Tea leaves", slug="tea-leaves")
    response = client.get(directory.url)
    assert response["X-Page-Cache"] == "miss"
    assert "Tea leaves" in response.content.decode()

    reader = ReaderPage.objects.live().order_by("path").last()
    client.get(directory.url)
    reader.delete()
    assert reader.display_name not in client.get(directory.url).content.decode()


def test_an_expired_page_is_rendered_by_one_request_while_others_get_the_old_copy(
    demo_site,  # noqa: F811
    page_cache_on,
    client,
    monkeypatch,
):
    about = StandardPage.objects.get(slug="about").url
    assert client.get(about)["X-Page-Cache"] == "miss"
    later = page_cache._now() + 601
    monkeypatch.setattr(page_cache, "_now", lambda: later)
    key = page_cache._key(RequestFactory().get(about), page_cache.current_generation())
    assert cache.add(f"{key}:refresh", 1, 30)  # another request is rendering it
    assert client.get(about)["X-Page-Cache"] == "stale"
    cache.delete(f"{key}:refresh")
    assert client.get(about)["X-Page-Cache"] == "miss"  # this one renders and stores it
    assert client.get(about)["X-Page-Cache"] == "hit"
    assert cache.get(f"{key}:refresh") is None


def test_visitors_with_a_session_are_never_served_or_stored(
    demo_site,  # noqa: F811
    page_cache_on,
    client,
):
    from accounts.tests.factories import UserFactory

    reader = ReaderPage.objects.live().order_by("path").first()
    anonymous = client.get(reader.url).content
    assert b"Log out" not in anonymous
    client.force_login(UserFactory())
    for _ in range(2):
        response = client.get(reader.url)
        assert "X-Page-Cache" not in response
        assert b"Log out" in response.content
        # The logged-in page has working forms (the heart), with their token.
        assert b"csrfmiddlewaretoken" in response.content
    client.logout()
    response = client.get(reader.url)
    assert response["X-Page-Cache"] == "hit"
    assert b"Log out" not in response.content


def test_messages_cookie_bypasses_the_cache(demo_site, page_cache_on, client):  # noqa: F811
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    client.cookies["messages"] = "anything"
    assert "X-Page-Cache" not in client.get("/")


def test_htmx_results_and_query_strings_are_stored_apart(
    demo_site,  # noqa: F811
    page_cache_on,
    client,
):
    directory = ReaderIndexPage.objects.get().url
    full = client.get(directory).content
    partial = client.get(directory, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="directory-results")
    assert partial["X-Page-Cache"] == "miss"
    assert b"<html" not in partial.content and b"<html" in full
    assert b"<html" in client.get(directory).content
    by_price = client.get(f"{directory}?sort=price")
    assert by_price["X-Page-Cache"] == "miss"
    assert client.get(f"{directory}?sort=price")["X-Page-Cache"] == "hit"


def test_presence_ordered_pages_are_kept_briefly(demo_site, page_cache_on, settings):  # noqa: F811
    from home.models import HomePage

    assert page_cache.seconds_for(HomePage.objects.get()) == 15
    assert page_cache.seconds_for(ReaderIndexPage.objects.get()) == 15
    assert page_cache.seconds_for(ReaderPage.objects.live().first()) == 600
    settings.PAGE_CACHE_SECONDS = 0
    assert page_cache.seconds_for(ReaderPage.objects.live().first()) == 0


def test_off_by_default_in_tests(demo_site, client):  # noqa: F811
    client.get("/")
    assert "X-Page-Cache" not in client.get("/")
