"""A request for a host that is not ours is answered 400, logged in one line, with no traceback."""

import logging

import pytest

from home import page_cache
from home.tests.test_pages import demo_site  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_our_host(settings):
    settings.ALLOWED_HOSTS = ["soulseer.example"]
    settings.PAGE_CACHE_SECONDS = 600
    page_cache.bump()


@pytest.mark.parametrize("path", ["/", "/readers/", "/accounts/login/", "/no-such-page/"])
def test_a_bad_host_is_answered_400_without_a_traceback(
    demo_site,  # noqa: F811
    only_our_host,
    client,
    caplog,
    path,
):
    with caplog.at_level(logging.INFO):
        response = client.get(path, HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert b"Traceback" not in response.content
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r for r in caplog.records if "evil.example" in r.getMessage()], "not logged at all"


def test_a_bad_host_is_refused_before_the_https_redirect(demo_site, only_our_host, client, caplog):  # noqa: F811
    # In production SecurityMiddleware redirects plain HTTP to https://<host>/, reading the host.
    from django.conf import settings

    settings.SECURE_SSL_REDIRECT = True
    with caplog.at_level(logging.INFO):
        response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert not [r for r in caplog.records if r.exc_info]


def test_our_own_host_is_still_served_from_the_page_cache(demo_site, only_our_host, client):  # noqa: F811
    first = client.get("/", HTTP_HOST="soulseer.example")
    second = client.get("/", HTTP_HOST="soulseer.example")

    assert first.status_code == second.status_code == 200
    assert second["X-Page-Cache"] == "hit"
