"""Reads the readings views show, scoped to the user asking."""

from django.utils import timezone

from . import presence
from .models import BOOKING_SLOT_STATES, Booking

# Bookings ---------------------------------------------------------------------------------------


def _bookings():
    return Booking.objects.select_related(
        "client", "reader", "reader_page", "hold", "session"
    ).order_by("starts_at", "id")


def bookings_for_client(user, *, upcoming=None, now=None):
    """``user``'s bookings as client, oldest start first. ``upcoming=True``: not yet over
    (ends in the future and still pending/accepted/in progress); ``False``: the rest, newest
    first; ``None``: all. One query (everything the list shows is joined in)."""
    return _scoped(_bookings().filter(client=user), upcoming, now)


def bookings_for_reader(user, *, upcoming=None, now=None):
    """Like ``bookings_for_client`` for the reader's side."""
    return _scoped(_bookings().filter(reader=user), upcoming, now)


def _scoped(queryset, upcoming, now):
    if upcoming is None:
        return queryset
    now = now or timezone.now()
    live = queryset.filter(state__in=BOOKING_SLOT_STATES, ends_at__gt=now)
    if upcoming:
        return live
    return queryset.exclude(pk__in=live.values("pk")).order_by("-starts_at", "-id")


# The queue ----------------------------------------------------------------------------------------


def queue_panel_context(user, page):
    """Context of ``readings/queue/_actions.html`` for ``page`` as ``user`` sees it (the queue
    panel here and the reader page's status fragment in ``readers``)."""
    queue = presence.queue_status(user, page.user_id, check_reserved=page.presence == "online")
    return {"page": page, "queue": queue, "offer_seconds": presence.offer_seconds()}


# The fields the actions panel reads (``rates`` needs the rate and offers_* columns).
QUEUE_PAGE_FIELDS = (
    "id",
    "title",
    "url_path",
    "display_name",
    "user_id",
    "presence",
    "chat_rate_cents",
    "voice_rate_cents",
    "video_rate_cents",
    "offers_chat",
    "offers_voice",
    "offers_video",
)
