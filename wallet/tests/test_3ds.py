"""3-D Secure top-ups on localstripe (server side).

What localstripe does (localstripe 1.15, read in ``localstripe/resources.py`` and
``localstripe-v3.js``): cards 4000 0025 0000 3155, 4000 0027 6000 3184, 4000 0000 0000 3220 (and
a few more) *require authentication* on every SetupIntent and PaymentIntent confirmation: the
intent comes back ``requires_action`` with ``next_action.use_stripe_sdk``. Its fake Stripe.js
shows a "3D Secure" box with "Complete authentication" / "Fail authentication":
``confirmCardSetup`` then confirms the SetupIntent again (or cancels it), ``confirmCardPayment``
POSTs ``/v1/payment_intents/<id>/_authenticate?success=true|false``. A passed check creates the
charge and sends ``payment_intent.succeeded``; a failed one puts the PaymentIntent back to
``requires_payment_method`` with ``last_payment_error`` and sends no event. These tests make the
same calls the fake Stripe.js makes, with the publishable key only.
"""

import json
import re
import urllib.request

import pytest
import stripe
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from soulseer import devstack
from wallet import payments, services
from wallet.models import TopUp, Transfer
from wallet.tests.conftest import wait_until

AUTH_CARDS = ["4000002760003184", "4000000000003220"]


def call_like_stripe_js(path, body):
    request = urllib.request.Request(
        f"{stripe.api_base}{path}",
        data=json.dumps({"key": devstack.LOCAL_STRIPE_PUBLISHABLE_KEY, **body}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def save_card_with_3ds(user, number):
    """Save a card that needs authentication: confirmCardSetup → requires_action → the client
    completes the check → the SetupIntent is confirmed again → succeeded."""
    setup = payments.start_card_setup(user)
    seti = setup["id"]
    first = call_like_stripe_js(
        f"/v1/setup_intents/{seti}/confirm",
        {
            "client_secret": setup["client_secret"],
            "use_stripe_sdk": True,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
            },
        },
    )
    assert first["status"] == "requires_action", first
    second = call_like_stripe_js(
        f"/v1/setup_intents/{seti}/confirm",
        {"client_secret": setup["client_secret"], "use_stripe_sdk": True},
    )
    assert second["status"] == "succeeded", second
    return payments.save_card_from_setup(user, seti)


def authenticate(top_up, client_secret, *, success):
    """What localstripe's ``stripe.confirmCardPayment`` does after the 3D Secure box."""
    return call_like_stripe_js(
        f"/v1/payment_intents/{top_up.payment_intent_id}/_authenticate"
        f"?success={'true' if success else 'false'}",
        {"client_secret": client_secret},
    )


def status_page(user, top_up, htmx=False):
    browser = Client()
    browser.force_login(user)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = browser.get(reverse("wallet:topup_status", args=[top_up.public_id]), **headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("number", AUTH_CARDS)
def test_a_card_that_needs_3ds_is_credited_only_after_the_check_passes(local_stripe, number):
    user = UserFactory()
    card = save_card_with_3ds(user, number)

    top_up = payments.start_top_up(user, 2500, card.id)

    assert top_up.status == TopUp.Status.REQUIRES_ACTION
    assert top_up.client_secret and top_up.payment_intent_id
    # The page asks the client to confirm with their bank, and does not poll meanwhile (a swap
    # would replace the button during the check).
    html = status_page(user, top_up)
    assert "Confirm with my bank" in html and top_up.client_secret in html
    panel = re.search(r'<div id="topup-status"[^>]*>', html).group(0)
    assert "hx-get" not in panel and "every 1s" not in panel
    assert services.wallet_of(user).balance == 0
    assert not Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).exists()

    intent = authenticate(top_up, top_up.client_secret, success=True)
    assert intent["status"] == "succeeded"

    # The panel, reloaded after the check, waits for the webhook (never credits by itself).
    html = status_page(user, top_up, htmx=True)
    assert "Confirm with my bank" not in html
    assert wait_until(
        lambda: TopUp.objects.filter(pk=top_up.pk, status=TopUp.Status.SUCCEEDED).exists()
    )
    assert services.wallet_of(user).balance == 2500
    assert Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).count() == 1
    assert "$25.00 added to your wallet" in status_page(user, top_up)


def test_a_failed_3ds_check_fails_the_top_up_and_credits_nothing(local_stripe):
    user = UserFactory()
    card = save_card_with_3ds(user, AUTH_CARDS[0])
    top_up = payments.start_top_up(user, 2500, card.id)
    assert top_up.status == TopUp.Status.REQUIRES_ACTION

    intent = authenticate(top_up, top_up.client_secret, success=False)
    assert intent["status"] == "requires_payment_method"

    # localstripe sends no event for a failed check; the page's reload learns it from Stripe.
    html = status_page(user, top_up, htmx=True)
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.FAILED
    assert "authentication" in top_up.failure_message.lower()
    assert "The payment did not go through" in html
    assert services.wallet_of(user).balance == 0
    assert not Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).exists()


def test_the_client_secret_is_only_shown_to_the_top_ups_owner(local_stripe):
    user = UserFactory()
    card = save_card_with_3ds(user, AUTH_CARDS[0])
    top_up = payments.start_top_up(user, 2500, card.id)

    other = Client()
    other.force_login(UserFactory())
    response = other.get(reverse("wallet:topup_status", args=[top_up.public_id]))

    assert response.status_code == 404
    assert top_up.client_secret not in response.content.decode()


def test_an_ordinary_card_needs_no_3ds(local_stripe):
    from wallet.tests.stripe_helpers import save_card

    user = UserFactory()
    top_up = payments.start_top_up(user, 1000, save_card(user).id)

    assert top_up.status == TopUp.Status.PROCESSING
    assert payments.client_secret_for(top_up) is None
