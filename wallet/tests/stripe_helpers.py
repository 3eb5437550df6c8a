"""Helpers for tests that talk to localstripe."""

import json
import urllib.request

import stripe

from soulseer import devstack
from wallet import payments


def confirm_setup_intent_like_stripe_js(client_secret, number):
    """What the browser's ``stripe.confirmCardSetup`` sends (publishable key, no secret key)."""
    setup_intent_id = client_secret.split("_secret_")[0]
    body = {
        "key": devstack.LOCAL_STRIPE_PUBLISHABLE_KEY,
        "client_secret": client_secret,
        "payment_method_data": {
            "type": "card",
            "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
        },
    }
    request = urllib.request.Request(
        f"{stripe.api_base}/v1/setup_intents/{setup_intent_id}/confirm",
        data=json.dumps(body).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def save_card(user, number="4242424242424242"):
    """Save a card for ``user`` the way the page does: SetupIntent → confirm → mirror."""
    setup = payments.start_card_setup(user)
    confirmed = confirm_setup_intent_like_stripe_js(setup["client_secret"], number)
    assert confirmed["status"] == "succeeded", confirmed
    return payments.save_card_from_setup(user, setup["id"])
