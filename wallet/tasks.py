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
