"""A long chat reading in two browsers: the WebSockets stay up, every minute is billed once and
the server logs no error. Minutes of wall time, so it runs only when asked:

    SOAK_MINUTES=10 pytest readings/tests/test_reading_soak.py

(``make test`` reports it as skipped.) The sweeper runs every 10 s in its own thread, as beat
would run it; the client and the reader exchange a message every minute."""

import logging
import os
import threading
import time

import pytest
from django.db import connections

from readings import billing
from readings.models import BilledMinute, ReadingSession
from readings.tests.factories import make_client, make_reader
from readings.tests.test_reading_browser import (  # noqa: F401 (fixtures)
    _in_memory_channel_layer,
    asgi_server,
    site,
)
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import log_in

SOAK_MINUTES = int(os.environ.get("SOAK_MINUTES") or 0)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not SOAK_MINUTES, reason="set SOAK_MINUTES to run the long reading"),
]


def sweep():
    """One beat of the billing sweeper, off the test thread (its event loop belongs to
    Playwright)."""
    result = {}

    def run():
        try:
            result.update(billing.charge_due_minutes())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return result


def test_a_long_chat_reading_keeps_its_sockets_and_bills_every_minute_once(
    browser_page,
    browser,
    csp_violations,
    asgi_server,  # noqa: F811
    site,  # noqa: F811
    caplog,
):
    caplog.set_level(logging.WARNING)
    reader_page = make_reader(presence="online", chat=100)
    client = make_client(balance=10_000)
    client_tab = browser_page
    reader_context = csp_violations.watch(browser.new_context())
    reader_tab = reader_context.new_page()
    reader_tab.set_default_timeout(15_000)
    sockets = {"client": [], "reader": []}
    client_tab.on("websocket", lambda ws: sockets["client"].append(ws))
    reader_tab.on("websocket", lambda ws: sockets["reader"].append(ws))
    try:
        log_in(reader_tab, asgi_server, reader_page.user)
        reader_tab.goto(f"{asgi_server.url}/readings/desk/")
        log_in(client_tab, asgi_server, client)
        client_tab.goto(f"{asgi_server.url}{reader_page.url}")
        client_tab.get_by_test_id("start-chat").click()
        client_tab.get_by_test_id("countdown").wait_for()
        reader_tab.get_by_test_id("accept").click()
        reader_tab.wait_for_url("**/readings/*/")
        client_tab.get_by_test_id("room-state").filter(has_text="In session").wait_for()

        started = time.monotonic()
        minute = 0
        while time.monotonic() - started < SOAK_MINUTES * 60:
            sweep()
            elapsed = time.monotonic() - started
            if elapsed >= minute * 60:
                text = f"Message in minute {minute}"
                client_tab.get_by_test_id("chat-input").fill(text)
                client_tab.get_by_test_id("chat-send").click()
                reader_tab.get_by_test_id("chat-log").get_by_text(text).wait_for()
                minute += 1
            client_tab.wait_for_timeout(10_000)
        sweep()
        assert client_tab.get_by_test_id("room-state").inner_text() == "In session"
        client_tab.get_by_test_id("end-reading").click()
        client_tab.get_by_test_id("summary-cost").wait_for()
    finally:
        reader_context.close()

    session = ReadingSession.objects.get()
    assert session.state == "ended"
    billed = list(
        BilledMinute.objects.filter(session=session).values_list("minute_index", flat=True)
    )
    assert sorted(billed) == list(range(len(billed)))  # each minute once, none skipped
    assert len(billed) >= SOAK_MINUTES
    assert session.total_cents == 100 * session.paid_minutes
    # One socket per room for the whole reading: none dropped and reopened.
    assert [len(sockets["client"]), len(sockets["reader"])] == [1, 1], sockets
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]
