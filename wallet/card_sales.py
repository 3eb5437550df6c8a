"""Paying for one sale by card: what sellers (the shop) call when a buyer chooses a card
instead of their wallet balance.

The card payment is a top-up tied to the sale's purchase reference. Stripe's verified
``payment_intent.succeeded`` webhook credits it to the buyer's wallet (the amount Stripe
received, with the checks of every top-up) and, in the same transaction, calls the seller's
handler (``register``), which makes the sale from the wallet through ``wallet.sales`` like any
wallet payment. If the seller can no longer make it, the card is refunded in full. So money
still moves only through the ledger, and only as Stripe reports it.
"""

from django.conf import settings

from .errors import WalletError
from .models import TopUp
from .payments import (
    CARD_SALE_MIN_CENTS,
    PaymentDeclined,
    PaymentError,
    card_sale_payment,
    card_summary,
    client_secret_for,
    saved_cards,
    start_card_sale,
)
from .sale_handlers import register

__all__ = [
    "CARD_SALE_MIN_CENTS",
    "PaymentDeclined",
    "PaymentError",
    "Status",
    "WalletError",
    "card_sale_payment",
    "client_secret_for",
    "register",
    "saved_card_summaries",
    "start",
    "stripe_js_context",
]

Status = TopUp.Status


def start(client, amount, payment_method_id, *, reference, description):
    """Charge one of ``client``'s saved cards ``amount`` cents for the sale ``reference``
    (idempotent on it). Returns the payment (a ``TopUp``: ``status``, ``public_id``,
    ``failure_message``). A declined card raises ``PaymentDeclined``; Stripe out of reach or
    another refusal raises ``PaymentError``; nothing is credited in any error case."""
    return start_card_sale(
        client, amount, payment_method_id, reference=reference, description=description
    )


def saved_card_summaries(client):
    """The client's saved cards as {id, brand, last4, exp}, newest first."""
    return [card_summary(card) for card in saved_cards(client)]


def stripe_js_context():
    """What a page that collects a card with Stripe.js needs."""
    return {
        "stripe_js_url": settings.STRIPE_JS_URL,
        "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
    }
