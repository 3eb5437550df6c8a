"""The heart in a real browser. Pages render no CSRF token outside forms (so anonymous pages can
be cached); HTMX posts take it from the csrftoken cookie (static/js/site.js). An anonymous
visitor's heart is a link to log in."""

import re

import pytest
from playwright.sync_api import expect

from readers.models import Favorite
from readings.tests.factories import make_client, make_reader
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import default_site, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    return default_site()


def test_the_heart_posts_with_the_token_from_the_cookie(browser_page, live_server, site):
    page = browser_page
    reader = make_reader(presence="offline")
    client = make_client()

    page.goto(f"{live_server.url}{reader.url}")
    login_link = page.locator("#reader-favorite a")
    expect(login_link).to_have_attribute("href", re.compile(r"^/accounts/login/\?next=/"))
    assert page.locator("body[hx-headers]").count() == 0

    log_in(page, live_server, client)
    page.goto(f"{live_server.url}{reader.url}")
    page.wait_for_load_state("networkidle")  # the status fragment has swapped the heart in
    heart = page.locator("#reader-favorite button[aria-pressed]")
    expect(heart).to_have_attribute("aria-pressed", "false")
    # Drop the form's own token: the post must get through on the cookie's token alone.
    page.evaluate(
        "document.querySelectorAll('#reader-favorite input[name=csrfmiddlewaretoken]')"
        ".forEach(function (input) { input.remove(); })"
    )
    heart.click()
    expect(page.locator("#reader-favorite button[aria-pressed]")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert Favorite.objects.filter(client=client, reader_page=reader).exists()
