"""Reads of the readings engine, scoped to the user asking."""

from .models import OPEN_STATES, BilledMinute, ReadingSession


def session_for_party(user, public_id):
    """The reading ``public_id`` if ``user`` is its client or reader (else ``DoesNotExist``)."""
    from django.db.models import Q

    return ReadingSession.objects.select_related("client", "reader", "reader_page").get(
        Q(client=user) | Q(reader=user), public_id=public_id
    )


def open_session_of_client(user):
    return (
        ReadingSession.objects.filter(client=user, state__in=OPEN_STATES)
        .select_related("reader", "reader_page")
        .first()
    )


def pending_requests_for_reader(user):
    return (
        ReadingSession.objects.filter(reader=user, state=ReadingSession.State.REQUESTED)
        .select_related("client")
        .order_by("created_at")
    )


def live_session_of_reader(user):
    return (
        ReadingSession.objects.filter(reader=user, state__in=("accepted", "active", "paused"))
        .select_related("client")
        .first()
    )


def minutes_of(session):
    return BilledMinute.objects.filter(session=session).order_by("minute_index")


# Bookings ---------------------------------------------------------------------------------------


def _bookings():
    from .models import Booking

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
    from django.utils import timezone

    from .models import BOOKING_SLOT_STATES

    if upcoming is None:
        return queryset
    now = now or timezone.now()
    live = queryset.filter(state__in=BOOKING_SLOT_STATES, ends_at__gt=now)
    if upcoming:
        return live
    return queryset.exclude(pk__in=live.values("pk")).order_by("-starts_at", "-id")


def booking_for_party(user, public_id):
    """The booking ``public_id`` if ``user`` is its client or reader (else ``DoesNotExist``)."""
    from django.db.models import Q

    return _bookings().get(Q(client=user) | Q(reader=user), public_id=public_id)


def pending_bookings_for_reader(user):
    """Requests waiting for the reader's answer, soonest first."""
    from .models import Booking

    return _bookings().filter(reader=user, state=Booking.State.PENDING)
