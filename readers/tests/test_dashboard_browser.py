"""A reader follows the header's earnings chip to the dashboard's figures in a real browser."""

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


def test_a_reader_sees_earnings_in_the_header_and_on_the_dashboard(browser_page, live_server, site):
    page = browser_page
    reader = make_reader(presence="online", chat=300)
    client = make_client(balance=5_000)
    session = active_session(client, reader, free_minutes=0)
    shift_back(session, 4 * 60 + 10)  # five started minutes: 5 x $3.00, the reader's 70 %
    services.end(session, client)

    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server, reader.user)
    page.goto(f"{live_server.url}/readings/desk/")
    chip = page.locator("#wallet-chip-desktop")
    expect(chip).to_contain_text("$10.50")
    chip.click()
    earnings = page.get_by_test_id("earnings")
    expect(earnings.get_by_test_id("earnings-row")).to_contain_text("Chat")
    expect(earnings.get_by_test_id("earnings-available")).to_have_text("$10.50")
    page.screenshot(path="/tmp/reader-dashboard.png", full_page=True)
