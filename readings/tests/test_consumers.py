"""The reading-room WebSocket against the real ASGI stack (origin check, session auth, URL router)
and the real Redis channel layer."""

import asyncio

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

from accounts.tests.factories import UserFactory
from readings import events, services
from readings.models import ChatMessage, ReadingSession
from readings.tests.factories import make_client, make_reader
from soulseer.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    """Overrides the readings conftest fixture of the same name: these tests use the real Redis
    channel layer, as production does."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [django_settings.REDIS_URL], "prefix": "asgi-test-readings"},
        }
    }
    cache.clear()


def _cookie_for(user):
    browser = Client()
    browser.force_login(user)
    return browser.cookies[django_settings.SESSION_COOKIE_NAME].value


def _accepted_reading(channel="chat"):
    reader_page = make_reader(presence="online")
    client = make_client(balance=5000)
    session = services.request_reading(client, reader_page, channel)
    services.accept(session, reader_page.user)
    return session, client, reader_page.user


@pytest_asyncio.fixture
async def reading():
    session, client, reader = await database_sync_to_async(_accepted_reading)()
    return session, client, reader


communicators = []


async def join(session, user):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if user is not None:
        cookie = await database_sync_to_async(_cookie_for)(user)
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    communicator = WebsocketCommunicator(
        application, f"/ws/readings/{session.public_id}/", headers=headers
    )
    communicators.append(communicator)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


@pytest_asyncio.fixture(autouse=True)
async def _always_disconnect():
    yield
    while communicators:
        await communicators.pop().disconnect()


async def receive_until(communicator, predicate, timeout=5):
    """Frames until one matches ``predicate``; returns it (fails on timeout)."""

    async def loop():
        while True:
            frame = await communicator.receive_json_from(timeout=timeout)
            if predicate(frame):
                return frame

    return await asyncio.wait_for(loop(), timeout)


def of_type(kind, **fields):
    return lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items())


async def state_of(session):
    return await database_sync_to_async(
        lambda: ReadingSession.objects.values_list("state", flat=True).get(pk=session.pk)
    )()


async def both_in_room(reading):
    session, client, reader = reading
    client_ws, ok_client, _ = await join(session, client)
    reader_ws, ok_reader, _ = await join(session, reader)
    assert ok_client and ok_reader
    await receive_until(client_ws, of_type("hello"))
    await receive_until(reader_ws, of_type("hello"))
    return client_ws, reader_ws


async def test_both_sides_joining_starts_the_reading_and_chat_reaches_both_and_is_stored(reading):
    session, client, reader = reading
    client_ws, reader_ws = await both_in_room(reading)
    await receive_until(client_ws, lambda f: f.get("event") == "state" and f["state"] == "active")
    assert await state_of(session) == "active"

    await client_ws.send_json_to({"type": "chat", "text": "Hello, will I move abroad?"})

    for ws in (client_ws, reader_ws):
        frame = await receive_until(ws, of_type("chat"))
        assert frame["text"] == "Hello, will I move abroad?"
        assert frame["sender"] == "client"
    stored = await database_sync_to_async(
        lambda: list(ChatMessage.objects.values_list("session_id", "sender_id", "body"))
    )()
    assert stored == [(session.pk, client.pk, "Hello, will I move abroad?")]


async def test_typing_is_shown_to_the_other_side_only(reading):
    client_ws, reader_ws = await both_in_room(reading)
    await client_ws.send_json_to({"type": "typing"})

    frame = await receive_until(reader_ws, of_type("typing"))
    assert frame["sender"] == "client"
    await client_ws.send_json_to({"type": "chat", "text": "marker"})
    frames = []
    while True:
        frame = await client_ws.receive_json_from(timeout=5)
        frames.append(frame)
        if frame.get("type") == "chat":
            break
    assert not [f for f in frames if f.get("type") == "typing"]


async def test_a_stranger_cannot_join_someone_elses_reading(reading):
    session, _, _ = reading
    stranger = await database_sync_to_async(UserFactory)()

    _, connected, code = await join(session, stranger)

    assert not connected and code == 4403


async def test_an_anonymous_visitor_cannot_join(reading):
    session, _, _ = reading
    _, connected, code = await join(session, None)
    assert not connected and code == 4403


async def test_an_ended_reading_cannot_be_joined_and_chat_after_the_end_is_refused(reading):
    session, client, _ = reading
    client_ws, reader_ws = await both_in_room(reading)
    await receive_until(client_ws, lambda f: f.get("event") == "state" and f["state"] == "active")

    await database_sync_to_async(services.end)(session, client)
    ended = await receive_until(reader_ws, lambda f: f.get("event") == "ended")
    assert ended["type"] == "event"

    await client_ws.send_json_to({"type": "chat", "text": "one more thing"})
    error = await receive_until(client_ws, of_type("error"))
    assert error["code"] == "ended"
    assert await database_sync_to_async(ChatMessage.objects.count)() == 0

    _, connected, code = await join(session, client)
    assert not connected and code == 4403


async def test_engine_events_are_relayed_with_a_top_up_link_for_the_client_only(reading):
    session, _, _ = reading
    client_ws, reader_ws = await both_in_room(reading)

    await database_sync_to_async(events.send_now)(
        [
            (
                events.group_for(session),
                events.message(
                    session.public_id, "low_balance", {"balance_cents": 150, "minutes_left": 1}
                ),
            )
        ]
    )

    to_client = await receive_until(client_ws, lambda f: f.get("event") == "low_balance")
    to_reader = await receive_until(reader_ws, lambda f: f.get("event") == "low_balance")
    assert to_client["type"] == "event" and to_client["topup_url"] == "/wallet/topup/"
    assert to_client["balance_cents"] == 150 and to_client["minutes_left"] == 1
    assert "topup_url" not in to_reader and "balance_cents" not in to_reader
    assert to_reader["minutes_left"] == 1


async def test_billing_and_free_time_events_reach_the_room(reading):
    session, _, _ = reading
    client_ws, _ = await both_in_room(reading)
    group = events.group_for(session)
    await database_sync_to_async(events.send_now)(
        [
            (group, events.message(session.public_id, "free_time_over", {"rate_cents": 300})),
            (
                group,
                events.message(
                    session.public_id,
                    "billing_tick",
                    {"billed_minutes": 4, "balance_cents": 4700, "minutes_left": 15},
                ),
            ),
        ]
    )
    assert await receive_until(client_ws, lambda f: f.get("event") == "free_time_over")
    tick = await receive_until(client_ws, lambda f: f.get("event") == "billing_tick")
    assert tick["billed_minutes"] == 4 and tick["minutes_left"] == 15


async def test_disconnect_pauses_and_reconnect_resumes(reading):
    session, client, _ = reading
    client_ws, reader_ws = await both_in_room(reading)
    await receive_until(reader_ws, lambda f: f.get("event") == "state" and f["state"] == "active")

    communicators.remove(client_ws)
    await client_ws.disconnect()
    await receive_until(reader_ws, lambda f: f.get("event") == "state" and f["state"] == "paused")
    assert await state_of(session) == "paused"
    presence = await receive_until(reader_ws, of_type("presence"))
    assert presence == {"type": "presence", "client": False, "reader": True}

    client_ws, connected, _ = await join(session, client)
    assert connected
    await receive_until(reader_ws, lambda f: f.get("event") == "state" and f["state"] == "active")
    assert await state_of(session) == "active"


async def test_chat_is_rate_limited(reading, settings):
    settings.READING_CHAT_RATE = (2, 60)
    client_ws, _ = await both_in_room(reading)
    for text in ("one", "two", "three"):
        await client_ws.send_json_to({"type": "chat", "text": text})
    error = await receive_until(client_ws, of_type("error"))
    assert error["code"] == "rate_limited"
    assert await database_sync_to_async(ChatMessage.objects.count)() == 2


async def test_bad_frames_get_an_error_and_change_nothing(reading):
    client_ws, _ = await both_in_room(reading)
    await client_ws.send_to(text_data="not json")
    assert (await receive_until(client_ws, of_type("error")))["code"] == "bad_frame"
    await client_ws.send_json_to({"type": "chat", "text": "   "})
    assert (await receive_until(client_ws, of_type("error")))["code"] == "empty"
    await client_ws.send_json_to({"type": "chat", "text": "x" * 2001})
    assert (await receive_until(client_ws, of_type("error")))["code"] == "too_long"
    assert await database_sync_to_async(ChatMessage.objects.count)() == 0
