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
