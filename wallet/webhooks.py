"""Our reactions to verified Stripe webhooks.

dj-stripe's view checks the signature and timestamp, stores the ``Event`` once per event id and
calls these handlers inside the event's transaction: a handler that raises rolls everything back
and answers 500, so Stripe delivers the event again. Each handler is idempotent by itself too
(ledger keys ``stripe:pi:<id>``, ``stripe:refund:<id>``, ``stripe:dispute:<id>``,
``stripe:dispute_won:<id>``), because concurrent deliveries of one event can both get past
dj-stripe's check.

dj-stripe's own handler for ``charge.dispute.*`` runs too: it fetches the Dispute from Stripe
(``GET /v1/disputes/<id>``) and mirrors it; if that fails the event fails (500) and is retried.
"""

import logging

from djstripe.event_handlers import djstripe_receiver

from . import payments, payouts

logger = logging.getLogger(__name__)


def _object(event):
    return (event.data or {}).get("object") or {}


@djstripe_receiver("payment_intent.succeeded")
def credit_wallet_for_payment_intent(sender, event, **kwargs):
    payments.credit_top_up(_object(event))


@djstripe_receiver("payment_intent.payment_failed")
def record_failed_payment_intent(sender, event, **kwargs):
    payments.fail_top_up(_object(event))


@djstripe_receiver("charge.refunded")
def debit_wallet_for_refund(sender, event, **kwargs):
    payments.apply_charge_refunds(_object(event))


@djstripe_receiver("charge.dispute.created")
def debit_wallet_for_dispute(sender, event, **kwargs):
    payments.apply_dispute(_object(event))


@djstripe_receiver("charge.dispute.closed")
def settle_closed_dispute(sender, event, **kwargs):
    payments.apply_dispute_closed(_object(event))


@djstripe_receiver("account.updated")
def mirror_connect_account(sender, event, **kwargs):
    payouts.mirror_account(_object(event))


@djstripe_receiver(["transfer.reversed"])
def reverse_payout_for_stripe_transfer(sender, event, **kwargs):
    payouts.transfer_reversed(_object(event))
