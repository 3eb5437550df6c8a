"""'Notify me when free' in a real browser: the reader page's status fragment swaps the actions in
(out of band), the client joins a busy reader's line, the panel polls, the turn arrives with a
ticking countdown, and "Start chat now" starts the normal request flow."""

import re

import pytest
from playwright.sync_api import expect

from readings import services
from readings.models import QueueEntry, ReadingSession
from readings.tests.factories import active_session, make_client, make_reader
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import default_site, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    return default_site()


def test_a_client_waits_in_line_gets_the_turn_and_starts(browser_page, live_server, site):
    page = browser_page
    reader = make_reader(presence="online", chat=300)
    session = active_session(make_client(balance=5_000), reader)  # the reader is busy
    client = make_client(balance=5_000)

    log_in(page, live_server, client)
    page.goto(f"{live_server.url}{reader.url}")
    actions = page.locator("#reading-actions")
    expect(actions).to_contain_text("is in a reading right now")
    expect(page.locator("#reader-presence")).to_contain_text("Busy")
    page.get_by_test_id("queue-join").click()
    expect(page.get_by_test_id("queue-position")).to_have_text("You're #1 in line")
    assert QueueEntry.objects.get(client=client).state == "waiting"

    services.end(session, session.client)  # the reader is free: the first in line gets the turn

    offer = page.get_by_test_id("queue-offer")
    expect(offer).to_contain_text("It's your turn", timeout=15_000)
    expect(page.locator("#reader-presence")).to_contain_text("Online now")
    countdown = page.get_by_test_id("offer-countdown")
    first = int(countdown.inner_text())
    assert 50 <= first <= 60
    page.wait_for_timeout(2_500)
    assert int(countdown.inner_text()) < first  # ticks between polls

    page.get_by_test_id("offer-start-chat").click()

    expect(page).to_have_url(re.compile(r"/readings/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("countdown")).to_be_visible()
    reading = ReadingSession.objects.get(client=client)
    assert reading.state == "requested"
    assert QueueEntry.objects.get(client=client).state == "taken"
