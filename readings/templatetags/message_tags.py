"""The header's Inbox links with the count of unread messages, and the inbox's small helpers."""

from django import template

from readings import message_selectors

register = template.Library()

# The bar's icon (wide screens), the phone's icon beside the cart, the phone menu's text link.
VARIANTS = ("desktop", "mobile", "menu")


def _unread(request, user):
    """Read once per request for all of the header's links: from the cache, or one query."""
    if request is None:
        return message_selectors.header_unread(user)
    if not hasattr(request, "_inbox_unread"):
        request._inbox_unread = message_selectors.header_unread(user)
    return request._inbox_unread


@register.inclusion_tag("readings/messages/_inbox_link.html", takes_context=True)
def inbox_link(context, variant="desktop", oob=False, count=None):
    """Signed-in users only: a link to the inbox with how many messages wait for them.
    ``oob``: the polled fragment (``readings:message_unread_badge``) replaces all three."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return {"show": False}
    if count is None:
        count = _unread(request, user)
    return {
        "show": True,
        "count": count,
        "oob": oob,
        "variants": VARIANTS if oob else (variant,),
    }


@register.filter
def attachment_kind(attachment):
    """``image``, ``audio`` or ``pdf`` (how the thread shows it), from its checked type."""
    content_type = getattr(attachment, "content_type", "") or ""
    if content_type.startswith("image/"):
        return "image"
    if content_type.startswith("audio/"):
        return "audio"
    return "pdf"
