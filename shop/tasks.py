"""Celery tasks of the shop: thin wrappers around its services."""

from celery import shared_task

from . import services, stripe_sync


@shared_task(
    autoretry_for=stripe_sync.STRIPE_UNAVAILABLE,
    retry_backoff=5,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
)
def sync_stripe_product(page_id):
    """Bring the page's Stripe Product and Price in line with it (``stripe_sync.sync_product``).
    Stripe unreachable: retried after about 5 s, 10 s, 20 s ... up to an hour apart, 12 times;
    the sync writes nothing until Stripe has answered every call, so each try starts clean."""
    return stripe_sync.sync_product(page_id)


@shared_task
def cancel_abandoned_card_orders():
    """Hourly from beat: card orders never paid are cancelled (``services``)."""
    return services.cancel_abandoned_card_orders()
