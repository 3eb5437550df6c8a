"""localstripe as `make run` starts it (127.0.0.1 only, private state file) and the
setup_local_stripe command that makes dj-stripe work against it."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from soulseer import devstack

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def localstripe(tmp_path):
    port = devstack.free_port()
    state = tmp_path / "localstripe.pickle"
    proc = subprocess.Popen(
        [sys.executable, "-m", "soulseer.devstack", "localstripe", "--port", str(port)]
        + ["--state", str(state)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not devstack.tcp_open(port):
            assert proc.poll() is None, "localstripe exited"
            assert time.monotonic() < deadline, "localstripe did not start"
            time.sleep(0.05)
        yield {"port": port, "url": f"http://127.0.0.1:{port}", "state": state}
    finally:
        proc.terminate()
        proc.wait(10)


def create_customer(base_url):
    request = urllib.request.Request(
        f"{base_url}/v1/customers",
        data=b"email=client%40soulseer.local",
        headers={"Authorization": f"Bearer {devstack.LOCAL_STRIPE_SECRET_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def non_loopback_address():
    """This machine's outward IPv4 address (a UDP connect sends nothing), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = sock.getsockname()[0]
    return None if address.startswith("127.") else address


def test_localstripe_keeps_its_state_in_the_given_file(localstripe):
    customer = create_customer(localstripe["url"])

    assert customer["id"].startswith("cus_")
    assert localstripe["state"].exists()


def test_localstripe_listens_on_loopback_only(localstripe):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")

    assert not devstack.tcp_open(localstripe["port"], host=address)


@pytest.mark.django_db
def test_setup_local_stripe_seeds_dj_stripe_and_is_idempotent(localstripe, settings):
    from djstripe.models import Account, APIKey, WebhookEndpoint

    settings.STRIPE_API_HOST = localstripe["url"]
    settings.STRIPE_SECRET_KEY = devstack.LOCAL_STRIPE_SECRET_KEY
    settings.DJSTRIPE_WEBHOOK_SECRET = devstack.LOCAL_STRIPE_WEBHOOK_SECRET
    settings.SITE_URL = "http://127.0.0.1:8000"

    call_command("setup_local_stripe")
    call_command("setup_local_stripe")

    assert Account.objects.filter(id="acct_local").count() == 1
    key = APIKey.objects.get(secret=devstack.LOCAL_STRIPE_SECRET_KEY)
    assert key.djstripe_owner_account_id == "acct_local"
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == devstack.LOCAL_STRIPE_WEBHOOK_SECRET
    assert endpoint.url == f"http://127.0.0.1:8000/stripe/webhook/{endpoint.djstripe_uuid}/"


@pytest.mark.django_db
def test_setup_local_stripe_refuses_to_talk_to_the_real_stripe(settings):
    settings.STRIPE_API_HOST = "https://api.stripe.com"
    settings.STRIPE_SECRET_KEY = devstack.LOCAL_STRIPE_SECRET_KEY

    with pytest.raises(CommandError):
        call_command("setup_local_stripe")
