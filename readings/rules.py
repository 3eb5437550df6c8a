"""The rules every module of the reading engine shares: the reading state table, the engine's
settings, database time, who is who in a reading or a booking, and the audited move of a locked
session. Nothing here changes anything but the row it is given."""

from datetime import timedelta

from django.conf import settings
from django.db import connection

from home.audit import record_event

from . import events
from .errors import IllegalTransition
from .models import ReadingSession

State = ReadingSession.State

TRANSITIONS = {
    State.REQUESTED: frozenset({State.ACCEPTED, State.DECLINED, State.CANCELLED, State.EXPIRED}),
    State.ACCEPTED: frozenset({State.ACTIVE, State.CANCELLED, State.EXPIRED}),
    State.ACTIVE: frozenset({State.PAUSED, State.ENDED}),
    State.PAUSED: frozenset({State.ACTIVE, State.ENDED}),
    State.ENDED: frozenset(),
    State.DECLINED: frozenset(),
    State.CANCELLED: frozenset(),
    State.EXPIRED: frozenset(),
}
# The reader is busy in these states (presence follows them automatically).
BUSY_STATES = frozenset({State.ACCEPTED, State.ACTIVE, State.PAUSED})


def can_transition(from_state, to_state):
    return to_state in TRANSITIONS.get(from_state, frozenset())


# Settings ---------------------------------------------------------------------------------------


def min_start_minutes():
    return int(getattr(settings, "MIN_START_MINUTES", 1))


def request_timeout():
    return timedelta(seconds=int(getattr(settings, "READING_REQUEST_TIMEOUT_SECONDS", 60)))


def reconnect_grace():
    return timedelta(seconds=int(getattr(settings, "READING_RECONNECT_GRACE_SECONDS", 300)))


def marketplace_settings():
    """The site's ``MarketplaceSettings`` (defaults when no site exists yet)."""
    from home.models import MarketplaceSettings

    return MarketplaceSettings.current()


def db_now():
    """The database's current time (``clock_timestamp()``: real time, not transaction start).

    Taken *after* the session lock is held, so two services serialised on the same row always
    see increasing times (an ``end`` never gets an ``ended_at`` before a minute a sweep billed).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def party_role(session, actor):
    """Which side ``actor`` is on for a reading or a booking (anything with ``client_id`` and
    ``reader_id``): client, reader, staff, "system" for no actor, else None."""
    if actor is None:
        return "system"
    if actor.pk == session.client_id:
        return "client"
    if actor.pk == session.reader_id:
        return "reader"
    if getattr(actor, "is_staff", False):
        return "staff"
    return None


def apply_transition(locked, to_state, actor, *, reason="", extra=None, fields=()):
    """Move a locked session: check the table, save, audit, notify (after commit)."""
    previous = locked.state
    if not can_transition(previous, to_state):
        raise IllegalTransition(previous, to_state)
    locked.state = to_state
    locked.save(update_fields=["state", *fields])
    role = party_role(locked, actor) or "system"
    record_event(
        f"reading.{to_state}",
        actor=actor,
        target=locked,
        previous=previous,
        by=role,
        reason=reason,
        **(extra or {}),
    )
    events.notify(
        locked, "state", {"state": to_state, "previous": previous, "actor": role, "reason": reason}
    )
    return locked
