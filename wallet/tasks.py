"""Celery tasks of the wallet: thin wrappers around services."""

from celery import shared_task


@shared_task
def auto_reload(user_id):
    # No automatic retry: a retry would be a new charge. The next wallet debit triggers it again.
    from .payments import StripeUnavailable, auto_reload_now

    try:
        top_up = auto_reload_now(user_id)
    except StripeUnavailable:
        return None
    return str(top_up.public_id) if top_up else None


@shared_task(bind=True, max_retries=8)
def send_payout(self, payout_id):
    """Send (or re-send: the Stripe idempotency key makes it safe) a pending payout."""
    from .payments import StripeUnavailable
    from .payouts import send_payout as send

    try:
        payout = send(payout_id)
    except StripeUnavailable as error:
        raise self.retry(exc=error, countdown=min(3600, 60 * 2**self.request.retries)) from error
    return payout.status


@shared_task(bind=True, max_retries=8)
def refund_card_sale(self, top_up_id):
    """Refund to the card a card sale whose seller could not make the sale."""
    from .payments import StripeUnavailable
    from .payments import refund_card_sale as refund

    try:
        refunded = refund(top_up_id)
    except StripeUnavailable as error:
        raise self.retry(exc=error, countdown=min(3600, 30 * 2**self.request.retries)) from error
    return refunded.id if refunded else None
