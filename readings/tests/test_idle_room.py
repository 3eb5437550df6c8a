"""A reading room where nobody types for a while stays open.

Between messages channels-redis waits on Redis in a blocking pop; that wait must not be taken for a
dead Redis connection, or every idle consumer crashes and its socket drops. These tests serve the
real ASGI application with uvicorn, as ``make run`` and production do, and use the channel layer
exactly as the base settings configure it for every environment.
"""

import asyncio
import copy
import json
import logging
import socket
import time

import pytest
import pytest_asyncio
import uvicorn
from channels.db import database_sync_to_async
from channels_redis.core import RedisChannelLayer
from channels_redis.utils import create_pool
from django.conf import settings as django_settings
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from readings import services
from readings.tests.factories import make_client, make_reader
from soulseer.asgi import application
from soulseer.settings import base as base_settings

IDLE_SECONDS = 15


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    """Overrides the readings conftest fixture: the configured Redis channel layer, untouched
    except for a prefix of its own."""
    layers = copy.deepcopy(base_settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["prefix"] = "asgi-test-idle-room"
    settings.CHANNEL_LAYERS = layers


@pytest_asyncio.fixture
async def server_url():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # log_config=None leaves uvicorn's loggers propagating to the root logger, so caplog sees
    # "Exception in ASGI application" if a consumer crashes.
    # timeout_graceful_shutdown: a closed room's channel-layer receive can linger while being
    # cancelled (redis-py read); uvicorn then cancels what is left, as gunicorn's graceful
    # timeout does in production.
    config = uvicorn.Config(
        application,
        lifespan="off",
        log_config=None,
        log_level="info",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    deadline = time.monotonic() + 10
    while not server.started:
        assert not task.done(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    # A consumer whose socket closed still waits out its channel layer read (BZPOPMIN, bounded
    # by the socket timeout) before uvicorn's shutdown completes.
    await asyncio.wait_for(task, base_settings.CHANNELS_REDIS_SOCKET_TIMEOUT + 15)
    sock.close()


def _accepted_reading():
    reader_page = make_reader(presence="online")
    client = make_client(balance=5000)
    session = services.request_reading(client, reader_page, "chat")
    services.accept(session, reader_page.user)
    return session, client, reader_page.user


def _cookie_for(user):
    browser = Client()
    browser.force_login(user)
    return browser.cookies[django_settings.SESSION_COOKIE_NAME].value


async def open_room(address, session, user):
    cookie = await database_sync_to_async(_cookie_for)(user)
    return await connect(
        f"ws://{address}/ws/readings/{session.public_id}/",
        origin=f"http://{address}",
        additional_headers={"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={cookie}"},
        open_timeout=10,
    )


async def frames_until(ws, predicate, timeout=5):
    async def loop():
        while True:
            frame = json.loads(await ws.recv())
            if predicate(frame):
                return frame

    return await asyncio.wait_for(loop(), timeout)


async def stay_idle(sockets, seconds):
    """Reads whatever the server sends for ``seconds``; a socket that closes fails the test."""
    deadline = time.monotonic() + seconds

    async def drain(name, ws):
        while (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                return
            except ConnectionClosed as closed:
                pytest.fail(
                    f"the {name}'s socket closed after "
                    f"{seconds - (deadline - time.monotonic()):.1f} s idle: {closed}"
                )

    await asyncio.gather(*(drain(name, ws) for name, ws in sockets.items()))


def test_the_channel_layers_redis_reads_outlast_its_blocking_pop():
    layer = RedisChannelLayer(**base_settings.CHANNEL_LAYERS["default"]["CONFIG"])
    for host in layer.hosts:
        pool = create_pool(host)
        connection = pool.connection_class(**pool.connection_kwargs)
        assert connection.socket_timeout > layer.brpop_timeout


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_idle_reading_room_stays_open_and_still_delivers_chat(server_url, caplog):
    caplog.set_level(logging.INFO)
    session, client, reader = await database_sync_to_async(_accepted_reading)()
    client_ws = await open_room(server_url, session, client)
    reader_ws = await open_room(server_url, session, reader)
    try:
        for ws in (client_ws, reader_ws):
            await frames_until(ws, lambda f: f.get("type") == "hello")

        await stay_idle({"client": client_ws, "reader": reader_ws}, IDLE_SECONDS)

        await client_ws.send('{"type": "chat", "text": "Are you still there?"}')
        for ws in (client_ws, reader_ws):
            frame = await frames_until(ws, lambda f: f.get("type") == "chat")
            assert frame["text"] == "Are you still there?"
    finally:
        await client_ws.close()
        await reader_ws.close()

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], "\n".join(
        f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage()
        for r in errors
    )
