"""The header wallet chip: balance (and reserved funds when there are any) in one query."""

from django import template

from wallet.selectors import wallet_summary

register = template.Library()


@register.inclusion_tag("components/wallet_chip.html", takes_context=True)
def wallet_chip(context, variant="desktop", oob=False):
    """Only for signed-in users; the summary is memoised on the request, so the desktop and mobile
    chips (and the wallet page itself) share one query. ``oob``: rendered into an HTMX fragment
    whose change moved money, it replaces the header's chip of the same variant."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return {"show": False}
    return {
        "show": True,
        "summary": wallet_summary(user, request),
        # A reader is paid, not paying: the chip shows what they can pay out.
        "as_reader": getattr(user, "is_reader", False),
        "variant": variant,
        "oob": oob,
    }
