"""A whole chat reading in two browsers (client and reader) against the ASGI app served live:
request, accept, chat both ways over the WebSocket, end, summary, transcript, wallet debit.

pytest-django's ``live_server`` is WSGI only (no WebSockets), so ``asgi_server`` runs the real
ASGI application (``soulseer.asgi``) under uvicorn in a thread, against the test database.
"""

import copy
import re
import socket
import threading
import time
from types import SimpleNamespace

import pytest
import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from home.models import MarketplaceSettings
from readings.models import ChatMessage, ReadingSession
from readings.tests.factories import active_session, make_client, make_reader
from soulseer.settings import base as base_settings
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import default_site, log_in
from wallet.selectors import wallet_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    """Overrides the readings conftest fixture: the live server and its WebSockets use the real
    Redis channel layer."""
    # The product's Redis layer (its socket timeout too), under a prefix of its own.
    layer = copy.deepcopy(base_settings.CHANNEL_LAYERS["default"])
    layer["CONFIG"]["hosts"][0]["address"] = settings.REDIS_URL
    layer["CONFIG"]["prefix"] = "asgi-test-browser"
    settings.CHANNEL_LAYERS = {"default": layer}


@pytest.fixture
def asgi_server(transactional_db):
    from soulseer.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def site():
    site = default_site("127.0.0.1")
    # No intro minutes, so starting the reading charges its first minute.
    MarketplaceSettings.objects.update_or_create(site=site, defaults={"intro_free_minutes": 0})
    return site


def test_a_chat_reading_between_two_browsers_ends_with_a_transcript_and_a_debit(
    browser_page, browser, csp_violations, asgi_server, site
):
    reader_page = make_reader(presence="online", chat=250)
    client = make_client(balance=2000)

    client_tab = browser_page
    reader_context = csp_violations.watch(browser.new_context())
    reader_tab = reader_context.new_page()
    reader_tab.set_default_timeout(15_000)
    try:
        log_in(reader_tab, asgi_server, reader_page.user)
        reader_tab.goto(f"{asgi_server.url}/readings/desk/")

        log_in(client_tab, asgi_server, client)
        client_tab.goto(f"{asgi_server.url}{reader_page.url}")
        client_tab.get_by_test_id("start-chat").click()
        client_tab.get_by_test_id("countdown").wait_for()

        # The desk polls for requests; the reader accepts and lands in the room.
        reader_tab.get_by_test_id("accept").click()
        reader_tab.wait_for_url("**/readings/*/")
        # The waiting screen polls too and brings the client into the room.
        client_tab.get_by_test_id("chat-input").wait_for()
        client_tab.get_by_test_id("room-state").filter(has_text="In session").wait_for()

        # A paste longer than the limit is counted and refused before sending, never cut short.
        client_tab.get_by_test_id("chat-input").fill("x" * 2001)
        assert client_tab.get_by_test_id("chat-count").inner_text() == "2,001 / 2,000"
        assert client_tab.locator("#chat-error").inner_text() == (
            "This message is 1 character too long. Messages can be at most 2,000 characters."
        )
        assert client_tab.get_by_test_id("chat-send").is_disabled()
        client_tab.get_by_test_id("chat-input").press("Enter")
        assert client_tab.get_by_test_id("chat-input").input_value() == "x" * 2001

        client_tab.get_by_test_id("chat-input").fill("Will my new venture succeed?")
        assert client_tab.get_by_test_id("chat-count").inner_text() == "28 / 2,000"
        assert not client_tab.get_by_test_id("chat-send").is_disabled()
        assert client_tab.locator("#chat-error").is_hidden()
        client_tab.get_by_test_id("chat-send").click()
        reader_tab.get_by_test_id("chat-log").get_by_text("Will my new venture succeed?").wait_for()
        reader_tab.get_by_test_id("chat-input").fill("I see steady growth by autumn.")
        reader_tab.get_by_test_id("chat-input").press("Enter")
        client_tab.get_by_test_id("chat-log").get_by_text(
            "I see steady growth by autumn."
        ).wait_for()

        client_tab.get_by_test_id("end-reading").click()
        client_tab.get_by_test_id("summary-cost").wait_for()
        assert client_tab.get_by_test_id("summary-cost").inner_text() == "$2.50"
        # The reader's room follows the "ended" event to the summary by itself.
        reader_tab.get_by_test_id("summary-cost").wait_for()

        with client_tab.expect_download() as download_info:
            client_tab.get_by_test_id("transcript-link").click()
        transcript = open(download_info.value.path(), encoding="utf-8").read()
    finally:
        reader_context.close()

    assert "Will my new venture succeed?" in transcript
    assert "I see steady growth by autumn." in transcript
    session = ReadingSession.objects.get()
    assert session.state == "ended" and session.total_cents == 250
    assert ChatMessage.objects.filter(session=session).count() == 2
    assert wallet_summary(client).balance == 2000 - 250


def test_a_voice_room_loads_agora_and_reaches_for_its_servers_within_the_csp(
    browser_page, asgi_server, site, settings
):
    """The room with voice loads the vendored Agora SDK, which calls Agora's servers (there is
    no network here, so the calls fail, but they must fail at DNS, not at the policy)."""
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"
    settings.AGORA_APP_CERTIFICATE = "fedcba9876543210fedcba9876543210"
    reader_page = make_reader(presence="online", voice=400)
    client = make_client(balance=2000)
    session = active_session(client, reader_page, "voice")
    page = browser_page
    log_in(page, asgi_server, client)

    agora_host = re.compile(r"^(https|wss)://[^/]+\.(agora\.io|sd-rtn\.com)(:\d+)?/")
    with page.expect_event(
        "requestfailed", lambda request: agora_host.match(request.url), timeout=30_000
    ) as failed:
        page.goto(f"{asgi_server.url}/readings/{session.public_id}/")
    assert "ERR_BLOCKED_BY_CSP" not in (failed.value.failure or "")
    page.get_by_test_id("room-state").filter(has_text="In session").wait_for()
    # The chat WebSocket (same host, ws:) is inside connect-src 'self'.
    page.get_by_test_id("chat-input").fill("Can you hear me?")
    page.get_by_test_id("chat-send").click()
    page.get_by_test_id("chat-log").get_by_text("Can you hear me?").wait_for()
