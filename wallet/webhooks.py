"""Our reactions to verified Stripe webhooks.

dj-stripe's view checks the signature and timestamp, stores the ``Event`` once per event id and
calls these handlers inside the event's transaction: a handler that raises rolls everything back
and answers 500, so Stripe delivers the event again. Each handler is idempotent by itself too
(ledger keys ``stripe:pi:<id>``, ``stripe:refund:<id>``, ``stripe:dispute:<id>``,
``stripe:dispute_won:<id>``), because concurrent deliveries of one event can both get past
dj-stripe's check.

dj-stripe's own handlers run first: they fetch the event's object from Stripe (``GET
/v1/payment_intents/<id>``, ``/v1/charges/<id>``, ``/v1/disputes/<id>``) and mirror it; if that
fails the event fails (500) and is retried, except when Stripe answers that the object does not
exist (``StripeWebhookView``): retrying that can never succeed, so it is logged and answered 200.
"""

import logging

import stripe
from django.http import HttpResponse
from djstripe.event_handlers import djstripe_receiver
from djstripe.views import ProcessWebhookView

from . import payments, payouts

logger = logging.getLogger(__name__)


class StripeWebhookView(ProcessWebhookView):
    """dj-stripe's webhook view; a signed event about an object Stripe does not know (a forged
    or foreign id) moves nothing and answers 200, so Stripe does not retry it for days. dj-stripe
    has already stored the trigger with its exception for staff to see."""

    def post(self, request, uuid):
        try:
            return super().post(request, uuid)
        except stripe.StripeError as error:
            if error.http_status != 404:
                raise
            logger.warning("Webhook names an object unknown to Stripe; nothing moved: %s", error)
            return HttpResponse("unknown object", status=200)


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
