"""A reading in the wallet's history in a real browser: one line, opened in place into its
minutes (HTMX, on the line's first opening), then its receipt."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from readings import billing, services
from readings.tests.factories import active_session, make_client, make_reader, shift_back
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import default_site, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    return default_site()


def test_a_reading_is_one_line_that_opens_into_its_minutes_and_its_receipt(
    browser_page, live_server, site
):
    page = browser_page
    reader = make_reader(
        presence="online", chat=300, user=UserFactory(reader=True, display_name="Aurora Vale")
    )
    client = make_client(balance=10_000)
    session = active_session(client, reader, free_minutes=3)
    shift_back(session, 11 * 60 + 10)  # 12 minutes, 9 of them paid
    billing.charge_due_minutes()
    services.end(session, client)

    log_in(page, live_server, client)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/wallet/")
    lines = page.get_by_test_id("history-line")
    expect(lines).to_have_count(2)
    line = lines.first
    expect(line).to_contain_text("Chat reading with Aurora Vale")
    expect(line).to_contain_text("-$27.00")

    line.locator("summary").click(position={"x": 8, "y": 8})  # beside the title's link
    movements = line.get_by_test_id("movement")
    expect(movements).to_have_count(9)
    expect(movements.first).to_contain_text("Minute 4")
    expect(movements.first).to_contain_text("-$3.00")
    page.screenshot(path="/tmp/wallet-purchase-line.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/wallet-purchase-line-mobile.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    line.get_by_test_id("receipt-link").click()
    expect(page).to_have_url(re.compile(r"/wallet/purchases/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("purchase-total")).to_have_text("$27.00")
    expect(page.get_by_test_id("movement")).to_have_count(9)
    page.screenshot(path="/tmp/wallet-purchase-receipt.png", full_page=True)
    page.get_by_role("link", name="Reading summary and transcript").click()
    expect(page).to_have_url(re.compile(rf"/readings/{session.public_id}/$"))
