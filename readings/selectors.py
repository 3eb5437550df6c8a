"""Reads the readings views show, scoped to the user asking."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from . import presence
from .models import BOOKING_SLOT_STATES, Booking, ReadingSession

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


# A client's readings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PastReading:
    """One row of "My readings": a reading that started, and what its client can do next."""

    session: ReadingSession
    served_seconds: int
    review: object  # readers.Review or None
    can_review: bool
    reader_page: object  # the reader's live page, or None

    @property
    def free_minutes_used(self):
        return max(self.session.billed_minutes - self.session.paid_minutes, 0)


def readings_for_client(user):
    """``user``'s readings that started, newest first, everything a row shows joined in (one
    query, whatever the number of rows)."""
    return (
        ReadingSession.objects.filter(client=user, started_at__isnull=False)
        .select_related("reader", "reader_page", "review", "booking")
        .order_by("-started_at", "-id")
    )


def past_reading(session):
    """The ``PastReading`` of a session from ``readings_for_client`` (no further query)."""
    from readers.services import qualifies_for_review

    served = timedelta(0)
    if session.ended_at:
        served = max(session.ended_at - session.started_at - session.paused_total, timedelta(0))
    review = getattr(session, "review", None)
    page = session.reader_page if session.reader_page and session.reader_page.live else None
    can_review = review is None and page is not None and qualifies_for_review(session)
    return PastReading(session, int(served.total_seconds()), review, can_review, page)


def bookings_that_did_not_happen(user):
    """``user``'s past bookings with no reading (declined, cancelled, expired, missed)."""
    return _scoped(_bookings().filter(client=user, session__isnull=True), False, None)


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
