"""The header's cart link and the shop's small template helpers."""

from django import template
from django.conf import settings

from shop.services import SESSION_CART_COUNT

register = template.Library()


VARIANTS = ("desktop", "mobile")


@register.inclusion_tag("shop/_cart_link.html", takes_context=True)
def cart_link(context, variant="desktop", oob=False, count=None):
    """The header's cart link (``variant``: the bar's, or the phone's beside the menu) with how
    many items the cart holds, read from the session (no query: the shop's views keep the count
    there whenever the cart changes). ``oob``: rendered into an HTMX fragment that changed the
    cart, it replaces both of the header's links with ``count``, the count just worked out."""
    if count is None:
        session = getattr(context.get("request"), "session", None)
        count = session.get(SESSION_CART_COUNT, 0) if session is not None else 0
    return {"count": count, "oob": oob, "variants": VARIANTS if oob else (variant,)}


@register.simple_tag
def download_limit():
    return settings.SHOP_DOWNLOAD_LIMIT
