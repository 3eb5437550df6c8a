"""A real localstripe server for the wallet's Stripe tests.

One localstripe per test session (started with the dev stack's own wrapper, bound to 127.0.0.1,
its pickle in a temporary folder). ``local_stripe`` points dj-stripe and stripe-python at it,
seeds dj-stripe's Account/APIKey/WebhookEndpoint rows with ``setup_local_stripe`` and registers
the live test server as the webhook target, so events travel the real path: localstripe → signed
HTTP POST → dj-stripe's webhook view → our handlers.
"""

import hashlib
import hmac
import io
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import stripe
from django.core.management import call_command

from soulseer import devstack
from soulseer.testing import database
from soulseer.testing.playwright import *  # noqa: F401,F403 - browser_page, Chromium launch args

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_NAME = "djstripe"  # the name setup_local_stripe registers under
NOWHERE = "http://127.0.0.1:9/nowhere/"  # the discard port: deliveries fail at once


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    port = devstack.free_port()
    folder = tmp_path_factory.mktemp("localstripe")
    log = (folder / "localstripe.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "soulseer.devstack", "localstripe", "--port", str(port)]
        + ["--state", str(folder / "localstripe.pickle")],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not devstack.tcp_open(port):
            assert proc.poll() is None, "localstripe exited"
            assert time.monotonic() < deadline, "localstripe did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


class LocalStripe:
    def __init__(self, url, site_url):
        self.url = url
        self.site_url = site_url
        self.secret = self.endpoint.secret

    @property
    def endpoint(self):
        from djstripe.models import WebhookEndpoint

        return WebhookEndpoint.objects.get(id="we_local")

    def deliver_webhooks_to(self, url):
        """Point localstripe's (in-memory) webhook config somewhere else, e.g. ``NOWHERE``."""
        body = json.dumps({"url": url, "secret": self.secret}).encode()
        request = urllib.request.Request(
            f"{self.url}/_config/webhooks/{WEBHOOK_NAME}",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()

    def webhook_url(self):
        return self.site_url.rstrip("/") + f"/stripe/webhook/{self.endpoint.djstripe_uuid}/"

    def events(self, type_):
        return [event.to_dict() for event in stripe.Event.list(type=type_, limit=100).data]


def sign(payload, secret, timestamp=None):
    """A ``Stripe-Signature`` header exactly as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def wait_until(predicate, timeout=15, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def stripe_settings(localstripe_server, settings):
    """Settings and stripe-python pointed at the session's localstripe (no webhook target)."""
    settings.STRIPE_API_HOST = localstripe_server
    settings.STRIPE_SECRET_KEY = devstack.LOCAL_STRIPE_SECRET_KEY
    settings.STRIPE_TEST_SECRET_KEY = devstack.LOCAL_STRIPE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = devstack.LOCAL_STRIPE_PUBLISHABLE_KEY
    settings.DJSTRIPE_WEBHOOK_SECRET = devstack.LOCAL_STRIPE_WEBHOOK_SECRET
    settings.STRIPE_JS_URL = f"{localstripe_server}/js.stripe.com/v3/"
    previous = stripe.api_base, stripe.api_key
    stripe.api_base = localstripe_server
    stripe.api_key = devstack.LOCAL_STRIPE_SECRET_KEY
    yield settings
    stripe.api_base, stripe.api_key = previous


@pytest.fixture
def local_stripe(stripe_settings, live_server, django_db_serialized_rollback, transactional_db):
    """localstripe with dj-stripe seeded and webhooks delivered to the live test server.

    Transactional (the live server thread must see committed rows), with serialised rollback so
    the rows migrations create (Wagtail's root page and site) come back for later tests.
    """
    stripe_settings.SITE_URL = live_server.url
    # Each test starts with an empty Stripe, as its database starts empty.
    urllib.request.urlopen(
        urllib.request.Request(f"{stripe_settings.STRIPE_API_HOST}/_config/data", method="DELETE"),
        timeout=10,
    ).read()
    call_command("setup_local_stripe", site_url=live_server.url, stdout=io.StringIO())
    server = LocalStripe(stripe_settings.STRIPE_API_HOST, live_server.url)
    yield server
    # Later tests' events must not reach a flushed database through a stale registration.
    server.deliver_webhooks_to(NOWHERE)
    # A webhook localstripe sent before that may still be in a live-server transaction: the
    # flush that ends this test would wait on its locks. Let it finish first.
    database.wait_for_other_sessions()


@pytest.fixture
def undelivered_top_up(local_stripe):
    """A succeeded PaymentIntent whose webhook localstripe could not deliver (we deliver it)."""
    local_stripe.deliver_webhooks_to(NOWHERE)
    from accounts.tests.factories import UserFactory
    from wallet import payments
    from wallet.models import TopUp
    from wallet.tests.stripe_helpers import save_card
    from wallet.tests.test_webhooks import succeeded_event_for

    client = UserFactory()
    card = save_card(client)
    top_up = payments.start_top_up(client, 2500, card.id)
    event = succeeded_event_for(local_stripe, top_up)
    assert top_up.status == TopUp.Status.PROCESSING
    return client, top_up, event
