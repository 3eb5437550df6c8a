"""Our reactions to verified Stripe webhooks about the shop's Products and Prices.

dj-stripe's own handler runs first and mirrors the object (it fetches it from Stripe); then
``stripe_sync`` reads it back from Stripe once more and flags the page it belongs to when they
disagree. Only the event's object id is used. Both run inside the event's transaction: a handler
that raises rolls the event back and answers 500, so Stripe delivers it again."""

from djstripe.event_handlers import djstripe_receiver

from . import stripe_sync


def _object_id(event):
    return ((event.data or {}).get("object") or {}).get("id")


@djstripe_receiver("product.updated")
def check_updated_product(sender, event, **kwargs):
    stripe_sync.check_product(_object_id(event))


@djstripe_receiver("price.updated")
def check_updated_price(sender, event, **kwargs):
    stripe_sync.check_price(_object_id(event))
