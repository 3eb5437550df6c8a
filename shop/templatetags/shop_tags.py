"""The header's cart link, the product page's JSON-LD and the shop's small template helpers."""

import json

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from home.templatetags.soulseer_tags import absolute_url, canonical_url
from shop.models import PHOTO_LARGE
from shop.services import SESSION_CART_COUNT, shared_cart_count
from wallet.money import decimal_string

register = template.Library()

IN_STOCK = "https://schema.org/InStock"
OUT_OF_STOCK = "https://schema.org/OutOfStock"


VARIANTS = ("desktop", "mobile")


@register.inclusion_tag("shop/_cart_link.html", takes_context=True)
def cart_link(context, variant="desktop", oob=False, count=None):
    """The header's cart link (``variant``: the bar's, or the phone's beside the menu) with how
    many items the cart holds, read from the session or, for a signed-in user, from what their
    last cart change shared (no query: the shop's views keep the count whenever the cart
    changes). ``oob``: rendered into an HTMX fragment that changed the
    cart, it replaces both of the header's links with ``count``, the count just worked out."""
    if count is None:
        count = _header_count(context.get("request"))
    return {"count": count, "oob": oob, "variants": VARIANTS if oob else (variant,)}


def _header_count(request):
    """A signed-in user's count as their last cart change shared it (another device's
    included), else this session's; read once per request for both of the header's links."""
    if request is None:
        return 0
    if not hasattr(request, "_shop_cart_count"):
        count = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            count = shared_cart_count(user.pk)
        if count is None:
            session = getattr(request, "session", None)
            count = session.get(SESSION_CART_COUNT, 0) if session is not None else 0
        request._shop_cart_count = count
    return request._shop_cart_count


@register.simple_tag
def download_limit():
    return settings.SHOP_DOWNLOAD_LIMIT


def _json_ld(data):
    # Escape what could end the script element early (same as json_script and reader_tags).
    payload = (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
        .replace("&", "\\u0026")
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag(takes_context=True)
def product_json_ld(context, product, photos=()):
    """A schema.org Product with its Offer: price as a plain decimal in USD, in or out of stock,
    sold by its reader (or by SoulSeer). ``photos``: ``ProductPage.photos()``, each listed as
    the absolute URL of the large rendition its page shows (prefetched: no query)."""
    url = canonical_url(context)
    if product.seller_id:
        seller = {"@type": "Person", "name": product.seller.public_name}
    else:
        seller = {"@type": "Organization", "name": "SoulSeer"}
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "@id": f"{url}#product",
        "name": product.title,
        "sku": str(product.pk),
        "url": url,
        "offers": {
            "@type": "Offer",
            "price": decimal_string(product.price_cents),
            "priceCurrency": "USD",
            "availability": OUT_OF_STOCK if product.sold_out else IN_STOCK,
            "url": url,
            "seller": seller,
        },
    }
    if product.summary:
        data["description"] = product.summary
    if photos:
        data["image"] = [
            absolute_url(context, photo.image.get_rendition(PHOTO_LARGE).url) for photo in photos
        ]
    return _json_ld(data)
