"""The Content-Security-Policy header (django-csp, home.csp): on every page, the nonce on every
inline script, third-party origins only where a page loads them, and the report-only switch."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.tests.factories import UserFactory
from readings.tests.factories import active_session, make_client, make_reader

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")([^>]*)>"
)


def directives(response, header="Content-Security-Policy"):
    return {name: values for name, *values in (p.split() for p in response[header].split(";"))}


def assert_inline_scripts_carry_the_nonce(response, header="Content-Security-Policy"):
    nonces = [v for v in directives(response, header)["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1, nonces
    nonce = nonces[0][len("'nonce-") : -1]
    scripts = INLINE_SCRIPT.findall(response.content.decode())
    assert scripts, "expected inline scripts on this page"
    for attributes in scripts:
        assert f'nonce="{nonce}"' in attributes
    return nonce


@pytest.mark.django_db
def test_every_page_gets_a_strict_policy(client):
    response = client.get("/accounts/login/")

    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script on this page, so no nonce
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "Content-Security-Policy-Report-Only" not in response


@pytest.fixture
def shopper(client):
    user = UserFactory()
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_the_top_up_page_allows_stripe_js_and_nonces_its_scripts(client, shopper, settings):
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_csp"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_API_HOST = "https://api.stripe.com"

    response = client.get("/wallet/topup/")

    assert response.status_code == 200
    first = assert_inline_scripts_carry_the_nonce(response)
    policy = directives(response)
    assert "https://js.stripe.com" in policy["script-src"]
    assert {"https://js.stripe.com", "https://hooks.stripe.com"} <= set(policy["frame-src"])
    assert "https://api.stripe.com" in policy["connect-src"]
    # A new nonce for every response.
    assert assert_inline_scripts_carry_the_nonce(client.get("/wallet/topup/")) != first


@pytest.mark.django_db
def test_a_local_stripe_js_is_allowed_from_its_own_origin_only(client, shopper, settings):
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_csp"
    settings.STRIPE_JS_URL = "http://127.0.0.1:8420/js.stripe.com/v3/"
    settings.STRIPE_API_HOST = "http://127.0.0.1:8420"

    policy = directives(client.get("/wallet/topup/"))

    assert "http://127.0.0.1:8420" in policy["script-src"]
    assert "https://js.stripe.com" not in policy["script-src"]
    assert "http://127.0.0.1:8420" in policy["connect-src"]


@pytest.mark.django_db
def test_pages_without_stripe_js_do_not_allow_it(client, shopper, settings):
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_csp"

    policy = directives(client.get("/wallet/"))

    assert not any("stripe" in source for source in policy["script-src"] + policy["frame-src"])


@pytest.mark.django_db
def test_the_voice_room_allows_agora_and_the_chat_room_does_not(client, settings):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"
    settings.AGORA_APP_CERTIFICATE = "fedcba9876543210fedcba9876543210"
    reader_page = make_reader(presence="online")
    buyer = make_client(balance=5000)
    voice = active_session(buyer, reader_page, "voice")
    client.force_login(buyer)

    response = client.get(f"/readings/{voice.public_id}/")

    assert response.status_code == 200 and b"agora-rtc-sdk-ng" in response.content
    policy = directives(response)
    assert {"https://*.agora.io", "wss://*.agora.io:*", "wss://*.sd-rtn.com:*"} <= set(
        policy["connect-src"]
    )
    assert policy["connect-src"][0] == "'self'"  # the chat's WebSocket to this host
    assert policy["worker-src"] == ["'self'", "blob:"]

    settings.AGORA_APP_ID = ""
    policy = directives(client.get(f"/readings/{voice.public_id}/"))
    assert policy["connect-src"] == ["'self'"]


@pytest.mark.django_db
def test_the_booking_page_nonces_its_time_zone_script(client, settings):
    reader_page = make_reader(presence="online")
    response = client.get(f"/readings/book/{reader_page.pk}/")
    assert response.status_code == 200
    assert_inline_scripts_carry_the_nonce(response)


@pytest.mark.django_db
def test_the_report_only_policy_is_sent_under_the_report_only_header(client, shopper, settings):
    # What CSP_REPORT_ONLY=1 makes of the settings (checked below in a fresh interpreter).
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_csp"

    response = client.get("/wallet/topup/")

    assert "Content-Security-Policy" not in response
    header = "Content-Security-Policy-Report-Only"
    assert_inline_scripts_carry_the_nonce(response, header)
    assert "https://js.stripe.com" in directives(response, header)["script-src"]


@pytest.mark.parametrize(("value", "report_only"), [("1", True), ("", False)])
def test_csp_report_only_in_the_environment_switches_the_header(value, report_only):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CONTENT_SECURITY_POLICY is None, s.CONTENT_SECURITY_POLICY_REPORT_ONLY is None)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "soulseer.settings.test",
            "CSP_REPORT_ONLY": value,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(report_only), str(not report_only)]
