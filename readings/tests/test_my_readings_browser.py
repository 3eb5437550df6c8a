"""A client finds a past reading under "My readings" in a real browser and opens its summary."""

import re

import pytest
from playwright.sync_api import expect

from readings import services
from readings.tests.factories import active_session, make_client, make_reader, shift_back
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import default_site, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    return default_site()


def test_a_client_opens_a_past_reading_from_my_readings(browser_page, live_server, site):
    page = browser_page
    reader = make_reader(presence="online", chat=300)
    client = make_client(balance=5_000)
    session = active_session(client, reader, free_minutes=0)
    shift_back(session, 6 * 60 + 10)
    services.end(session, client)

    log_in(page, live_server, client)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/wallet/")
    page.get_by_role("link", name="My readings").click()
    expect(page).to_have_url(re.compile(r"/readings/mine/$"))
    row = page.get_by_test_id("reading-row")
    expect(row).to_contain_text(reader.display_name)
    expect(row.get_by_test_id("reading-cost")).to_have_text("$21.00")
    expect(row.get_by_role("link", name="Write a review")).to_be_visible()
    page.screenshot(path="/tmp/my-readings.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/my-readings-mobile.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    row.get_by_role("link", name="Summary").click()
    expect(page).to_have_url(re.compile(rf"/readings/{session.public_id}/$"))
    expect(page.locator("#review")).to_be_visible()
