"""The production server configuration (gunicorn with site/gunicorn.conf.py, uvicorn workers,
production settings) decides a client's address for the rate limits: a client cannot write it."""

import http.client
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection

from accounts.views import LOGIN_IP_FAILURE_LIMIT
from soulseer.tests.test_settings import production_env

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(db):
    """A URL for the test database, over TCP or (the embedded server of `make test` with no
    environment) a Unix socket directory, which goes percent-encoded in the host part."""
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}@{host}{port}/{db['NAME']}"


def test_the_server_gets_a_url_for_a_socket_database():
    import dj_database_url

    db = {"USER": "postgres", "HOST": "/tmp/x/.devstack/pg", "PORT": "", "NAME": "test_s"}
    parsed = dj_database_url.parse(database_url(db))
    assert (parsed["HOST"], parsed["PORT"], parsed["NAME"]) == ("/tmp/x/.devstack/pg", "", "test_s")


@pytest.fixture
def production_server(tmp_path):
    """gunicorn as render.yaml starts it, one worker, on the test database."""
    port = free_port()
    env = production_env(
        DJANGO_SETTINGS_MODULE="soulseer.tests.server_settings",
        DATABASE_URL=database_url(connection.settings_dict),
        ALLOWED_HOSTS="127.0.0.1",
        TEST_RATELIMIT_PREFIX=f"ratelimit-server-{uuid.uuid4().hex}",
        WEB_CONCURRENCY="1",
        PORT=str(port),
        LOG_LEVEL="warning",
    )
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [GUNICORN, "-c", "site/gunicorn.conf.py", "soulseer.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def request(port, method, path, *, headers=None, body=None, source="127.0.0.1"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.getheader("Set-Cookie") or "", response.read().decode()
    finally:
        conn.close()


def failed_login(port, username, forwarded_for=None, source="127.0.0.1"):
    status, cookie, html = request(port, "GET", "/accounts/login/", source=source)
    assert status == 200, html
    csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    headers = {
        "Cookie": f"csrftoken={csrf_cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    body = urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": "not-the-password"}
    )
    status, _cookie, _html = request(
        port, "POST", "/accounts/login/", headers=headers, body=body, source=source
    )
    return status


def test_forged_forwarded_for_entries_do_not_escape_the_per_address_login_limit(
    production_server,
):
    # The test is the platform's proxy on 127.0.0.1: it appends the real client (203.0.113.9) to
    # whatever X-Forwarded-For the client sent, and the client sends a new forged one each time.
    statuses = [
        failed_login(production_server, f"guess{n}", f"198.51.100.{n}, 203.0.113.9")
        for n in range(LOGIN_IP_FAILURE_LIMIT + 5)
    ]

    assert statuses[:LOGIN_IP_FAILURE_LIMIT] == [200] * LOGIN_IP_FAILURE_LIMIT
    assert statuses[LOGIN_IP_FAILURE_LIMIT:] == [429] * 5
    # The proxy's hop is believed: another real client behind it is not limited.
    assert failed_login(production_server, "someone", "198.51.100.1, 203.0.113.10") == 200


def test_a_client_that_is_not_a_trusted_proxy_cannot_name_its_own_address(production_server):
    # 127.0.0.2 is not in the trusted proxies: its X-Forwarded-For is ignored altogether.
    statuses = [
        failed_login(production_server, f"guess{n}", f"192.0.2.{n}", source="127.0.0.2")
        for n in range(LOGIN_IP_FAILURE_LIMIT + 1)
    ]

    assert statuses[-1] == 429
    assert statuses[:-1] == [200] * LOGIN_IP_FAILURE_LIMIT
