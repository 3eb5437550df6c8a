"""Every state change of a reading. Views, consumers and tasks call these; nothing else writes
``ReadingSession`` rows.

Public API (names are stable; the transport layer builds on them)
-----------------------------------------------------------------
``request_reading(client, reader_page, channel) -> ReadingSession``   client asks; state requested
``accept(session, reader)``            requested -> accepted (reader becomes busy)
``decline(session, reader)``           requested -> declined
``cancel(session, client)``            requested/accepted -> cancelled (client gave up)
``start(session, actor)``              accepted -> active; bills minute 0 at once (see below)
``pause(session, actor)``              active -> paused (a side disconnected; billing stops)
``resume(session, actor)``             paused -> active (billing resumes where it stopped)
``end(session, actor, reason="")``     active/paused -> ended; finalises billing exactly once
``transition(session, to_state, actor, reason="")``  the generic move (audit + notify)
``expire_unanswered()``                sweeper: requests older than the timeout -> expired
``end_stale_paused()``                 sweeper: paused longer than the grace -> ended
``summary(session) -> dict``           duration, minutes, cost (also sent with ``ended``)
Presence and the queue: ``readings.presence`` (``set_presence``, ``join_queue``,
``leave_queue``). Billing: ``readings.billing.charge_due_minutes``. Live events:
``readings.events`` (names: state, billing_tick, free_time_over, low_balance, ended, offer).

``actor`` is the user doing it (client or reader of the session) or ``None`` for the system.
Each service locks the session row (``SELECT ... FOR UPDATE``) inside its own
``transaction.atomic()``, checks the move against ``TRANSITIONS``, writes an audit event
(``reading.<state>``) and sends live events only after commit. Refusals raise a
``readings.errors.ReadingError`` subclass with a message fit for the user; nothing changes then.

Billing rule (written once, tested in ``tests/test_billing.py``)
----------------------------------------------------------------
A reading is billed **per started minute, prepaid**: minute ``n`` (0-based) of served time is
charged the moment it starts, i.e. when ``served >= n * 60 s`` where served time is database
time since ``started_at`` minus the time spent paused. Starting charges minute 0; ending in the
middle of a minute charges nothing more (that minute was paid when it began); paused time is
never served, so never billed. The first ``free_minutes`` minutes cost nothing (intro offer on a
client's first completed reading with that reader). When the next minute cannot be paid the
reading ends at once (``insufficient_funds``): nobody is ever charged for a minute they could
not afford, and no minute is charged after ``ended_at``. Split: the reader gets
``rate * reader_share_percent // 100`` (rounded down), the platform the remainder.
"""

from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from home.audit import record_event
from wallet import sales
from wallet.errors import InsufficientFunds, SpendingLimitReached
from wallet.money import format_cents

from . import events, metering, presence, settlement
from .blocks import check_can_deal
from .errors import (
    AlreadyInReading,
    CannotReadYourself,
    IllegalTransition,
    InsufficientBalance,
    InvalidChannel,
    NotAParty,
    ReaderUnavailable,
    SpendingLimitWouldBlock,
)
from .models import OPEN_STATES, Booking, QueueEntry, ReaderRequestStats, ReadingSession
from .rules import (
    BUSY_STATES,
    TRANSITIONS,  # noqa: F401 (the engine's API: callers read the table here)
    apply_transition,
    can_transition,
    db_now,
    marketplace_settings,
    min_start_minutes,
    party_role,
    reconnect_grace,
    request_timeout,
)

State = ReadingSession.State
EndReason = ReadingSession.EndReason

# The rules every module of the engine shares (the state table, settings, database time, who is
# who, the audited move) live in ``readings.rules``; they are named here too, the engine's API.
_apply_transition = apply_transition


# Helpers ----------------------------------------------------------------------------------------


def _require_party(session, actor, *roles):
    role = party_role(session, actor)
    if role not in roles:
        raise NotAParty()
    return role


def _locked(session):
    return ReadingSession.objects.select_for_update().get(pk=session.pk)


def _is_booked(session):
    """Whether ``session`` is a booked reading (paid from a booking's hold, never billed per
    minute; see ``readings.bookings``). One indexed lookup."""
    return Booking.objects.filter(session_id=session.pk).exists()


def _refresh(target, source):
    """Copy the locked row's fields onto the caller's instance so it sees the new state."""
    for field in ReadingSession._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def transition(session, to_state, actor, reason=""):
    """Generic move of ``session`` to ``to_state`` (``IllegalTransition`` when the table says
    no). Prefer the named services, which also keep timestamps, presence and billing."""
    with transaction.atomic():
        locked = _locked(session)
        _apply_transition(locked, to_state, actor, reason=reason)
    _refresh(session, locked)
    return session


# Requests ---------------------------------------------------------------------------------------


def _first_reading_with(client, reader_user):
    return not ReadingSession.objects.filter(
        client=client, reader=reader_user, state=State.ENDED, started_at__isnull=False
    ).exists()


def request_reading(client, reader_page, channel):
    """A client asks ``reader_page``'s reader for a reading over ``channel``.

    Refuses (``ReadingError``, nothing written) when: the channel is unknown; the reader is
    offline or busy (or the reader is reserved for the next client of their queue); the client
    is the reader; either has blocked the other (``Blocked``); the client already has an open
    reading (also enforced by a partial UNIQUE
    index, so two requests at once create one session); the wallet cannot pay
    ``MIN_START_MINUTES`` paid minutes (free intro minutes need no balance, the first paid
    minute does); or the client's spending limit would refuse that much. The rate and the reader
    share are captured now and never change for this session.
    """
    from readers.models import ReaderPage

    if channel not in ReadingSession.Channel.values:
        raise InvalidChannel()
    reader_user_id = reader_page.user_id
    if reader_user_id is None:
        raise ReaderUnavailable()
    if reader_user_id == client.pk:
        raise CannotReadYourself()
    check_can_deal(client, reader_user_id, lock=False)
    market = marketplace_settings()
    try:
        with transaction.atomic():
            check_can_deal(client, reader_user_id)
            page = (
                ReaderPage.objects.select_for_update(of=("self",))
                .only("pk", "presence", "user_id", f"{channel}_rate_cents")
                .get(pk=reader_page.pk)
            )
            if page.presence != ReaderPage.Presence.ONLINE:
                raise ReaderUnavailable(
                    "This reader is busy in another reading. You can wait in their queue."
                    if page.presence == ReaderPage.Presence.BUSY
                    else "This reader is offline right now."
                )
            offer = (
                QueueEntry.objects.select_for_update()
                .filter(reader_id=reader_user_id, state=QueueEntry.State.OFFERED)
                .first()
            )
            if offer is not None and offer.client_id != client.pk:
                raise ReaderUnavailable(
                    "This reader is about to start a reading with the next client in line."
                )
            if ReadingSession.objects.filter(client=client, state__in=OPEN_STATES).exists():
                raise AlreadyInReading()
            rate = getattr(page, f"{channel}_rate_cents")
            needed = rate * min_start_minutes()
            try:
                sales.check_can_pay(client, needed)
            except InsufficientFunds as error:
                raise InsufficientBalance(
                    f"You need at least {format_cents(needed)} in your wallet to start "
                    f"({min_start_minutes()} minute at {format_cents(rate)}/min). Please top up."
                ) from error
            except SpendingLimitReached as error:
                raise SpendingLimitWouldBlock(
                    f"Starting this reading would go over your {error.period} spending limit. "
                    "You can change your limits on your wallet page."
                ) from error
            free = market.intro_free_minutes if _first_reading_with(client, page.user_id) else 0
            session = ReadingSession(
                client=client,
                reader_id=reader_user_id,
                reader_page=page,
                channel=channel,
                rate_cents=rate,
                reader_share_percent=sales.reader_share_percent(
                    sales.SaleKind.READING, marketplace=market
                ),
                free_minutes=free,
                expires_at=db_now() + request_timeout(),
            )
            session.purchase = _open_purchase(session, reader_page.user)
            session.save(force_insert=True)
            if offer is not None:
                offer.state = QueueEntry.State.TAKEN
                offer.save(update_fields=["state"])
            record_event(
                "reading.requested",
                actor=client,
                target=session,
                reader_id=reader_user_id,
                channel=channel,
                rate_cents=rate,
                free_minutes=free,
            )
            events.notify(
                session, "state", {"state": State.REQUESTED, "previous": "", "actor": "client"}
            )
    except IntegrityError as error:
        if "readings_one_open_per_client" in str(error):
            raise AlreadyInReading() from error
        raise
    return session


def _open_purchase(session, reader_user):
    """What the client buys with a live reading: its minutes' charges attach to it, and the
    wallet's statement shows it as one line linking to the reading."""
    return sales.open_purchase(
        client=session.client,
        seller=reader_user,
        kind=sales.SaleKind.READING,
        reference=f"reading:{session.public_id}",
        description=f"{session.get_channel_display()} reading with {_display_name(reader_user)}",
        detail_url=reverse("readings:session", args=[session.public_id]),
        share_percent=session.reader_share_percent,
        metadata={"channel": session.channel},
    )


def _display_name(user):
    return user.display_name or user.username


def bill_and_end(session_ids, at, *, sender=None):
    """Bill ``session_ids`` (rows the caller holds locked) up to ``at`` through
    ``readings.metering`` and end, at ``at``, those that could not pay their next minute.
    Returns counts (``ended`` included)."""
    counts, to_end = metering.bill_locked(session_ids, at, sender=sender)
    if to_end:
        for locked in ReadingSession.objects.filter(pk__in=list(to_end)).order_by("pk"):
            if locked.state in (State.ACTIVE, State.PAUSED):
                finish_locked(locked, at, to_end[locked.pk] or EndReason.INSUFFICIENT_FUNDS)
                counts["ended"] += 1
    return counts


def accept(session, reader):
    """The reader takes the request: requested -> accepted; the reader is busy from now."""
    with transaction.atomic():
        locked = _locked(session)
        _require_party(locked, reader, "reader")
        if (
            locked.state == State.REQUESTED
            and ReadingSession.objects.filter(reader_id=locked.reader_id, state__in=BUSY_STATES)
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise ReaderUnavailable("Finish your current reading before accepting another.")
        locked.accepted_at = db_now()
        _apply_transition(locked, State.ACCEPTED, reader, fields=["accepted_at"])
        presence.mark_busy(locked.reader_id)
    _refresh(session, locked)
    return session


def decline(session, reader, reason=""):
    with transaction.atomic():
        locked = _locked(session)
        _require_party(locked, reader, "reader")
        locked.ended_at = db_now()
        _apply_transition(locked, State.DECLINED, reader, reason=reason, fields=["ended_at"])
    _refresh(session, locked)
    return session


def cancel(session, client, reason=""):
    """The client gives up before the reading started (requested or accepted)."""
    with transaction.atomic():
        locked = _locked(session)
        _require_party(locked, client, "client", "staff")
        was_busy = locked.state in BUSY_STATES
        locked.ended_at = db_now()
        _apply_transition(locked, State.CANCELLED, client, reason=reason, fields=["ended_at"])
        if was_busy:
            presence.mark_free(locked.reader_id)
    _refresh(session, locked)
    return session


def expire_unanswered(limit=500):
    """Sweeper: requests not answered within ``READING_REQUEST_TIMEOUT_SECONDS`` expire and
    count as missed for the reader. Returns how many expired."""
    expired = 0
    with transaction.atomic():
        due = list(
            ReadingSession.objects.select_for_update(skip_locked=True)
            .filter(state=State.REQUESTED, expires_at__lte=db_now())
            .order_by("expires_at")[:limit]
        )
        for locked in due:
            locked.ended_at = db_now()
            _apply_transition(locked, State.EXPIRED, None, reason="unanswered", fields=["ended_at"])
            record_missed_request(locked.reader_id, locked.ended_at)
            expired += 1
    return expired


def record_missed_request(reader_id, when):
    """Count a request (or booking) the reader let lapse, in one upsert."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO readings_readerrequeststats (reader_id, missed_requests, last_missed_at)
            VALUES (%s, 1, %s)
            ON CONFLICT (reader_id) DO UPDATE
               SET missed_requests = readings_readerrequeststats.missed_requests + 1,
                   last_missed_at = EXCLUDED.last_missed_at
            """,
            [reader_id, when],
        )


def missed_requests(reader_user):
    stats = ReaderRequestStats.objects.filter(reader=reader_user).first()
    return stats.missed_requests if stats else 0


# The live part ----------------------------------------------------------------------------------


def start(session, actor=None):
    """accepted -> active. ``started_at`` is database time; minute 0 is charged at once (prepaid)
    unless it is a free minute. Refuses (``InsufficientBalance``) when minute 0 is paid and the
    wallet can no longer pay it."""
    with transaction.atomic():
        locked = _locked(session)
        _require_party(locked, actor, "client", "reader", "system")
        if not can_transition(locked.state, State.ACTIVE) or locked.state != State.ACCEPTED:
            raise IllegalTransition(locked.state, State.ACTIVE)
        booked = _is_booked(locked)
        if locked.free_minutes == 0 and not booked:
            if not sales.can_pay(locked.client, locked.rate_cents, within_limits=False):
                raise InsufficientBalance()
        at = db_now()
        locked.started_at = at
        # Booked: paid from the booking's hold; next_minute_at stays NULL so the per-minute
        # sweeper never selects it.
        locked.next_minute_at = None if booked else at
        _apply_transition(locked, State.ACTIVE, actor, fields=["started_at", "next_minute_at"])
        if booked:
            settlement.session_started_locked(locked, at)
        else:
            bill_and_end([locked.pk], at)
        locked.refresh_from_db()
    _refresh(session, locked)
    return session


def pause(session, actor=None, reason="disconnected"):
    """active -> paused. Minutes that started before the pause are billed now; the paused time
    that follows is never billed."""
    with transaction.atomic():
        locked = _locked(session)
        _require_party(locked, actor, "client", "reader", "system")
        if locked.state != State.ACTIVE:
            raise IllegalTransition(locked.state, State.PAUSED)
        at = db_now()
        if not _is_booked(locked):  # booked readings are paid from their hold
            bill_and_end([locked.pk], at)
        locked.refresh_from_db()
        if locked.state != State.ACTIVE:  # billing ended it (funds ran out)
            _refresh(session, locked)
            return session
        locked.paused_at = at
        _apply_transition(locked, State.PAUSED, actor, reason=reason, fields=["paused_at"])
    _refresh(session, locked)
    return session


def resume(session, actor=None):
    """paused -> active; the pause is added to ``paused_total`` and the next minute moves by
    the same amount, so billing picks up exactly where it stopped."""
    with transaction.atomic():
        locked = _locked(session)
        _require_party(locked, actor, "client", "reader", "system")
        if locked.state != State.PAUSED:
            raise IllegalTransition(locked.state, State.ACTIVE)
        at = db_now()
        gap = max(at - locked.paused_at, timedelta(0))
        locked.paused_total += gap
        booked = _is_booked(locked)
        # Booked readings have no per-minute schedule (NULL keeps them out of the sweeper).
        locked.next_minute_at = None if booked else locked.next_minute_at + gap
        locked.paused_at = None
        _apply_transition(
            locked,
            State.ACTIVE,
            actor,
            extra={"paused_seconds": gap.total_seconds()},
            fields=["paused_total", "next_minute_at", "paused_at"],
        )
        if not booked:
            bill_and_end([locked.pk], at)
        locked.refresh_from_db()
    _refresh(session, locked)
    return session


def end(session, actor=None, reason=""):
    """active/paused -> ended, exactly once: bills what is due up to now (database time, taken
    after the lock), sets the totals, frees the reader and sends ``ended`` with the summary.
    Ending an already ended reading raises ``IllegalTransition`` and bills nothing."""
    with transaction.atomic():
        locked = _locked(session)
        role = _require_party(locked, actor, "client", "reader", "staff", "system")
        if locked.state not in (State.ACTIVE, State.PAUSED):
            raise IllegalTransition(locked.state, State.ENDED)
        at = db_now()
        if not _is_booked(locked):  # booked readings are settled from their hold instead
            bill_and_end([locked.pk], at)
        locked.refresh_from_db()
        if locked.state == State.ACTIVE or locked.state == State.PAUSED:
            reason = reason or {
                "client": EndReason.CLIENT,
                "reader": EndReason.READER,
                "staff": EndReason.STAFF,
            }.get(role, EndReason.DISCONNECTED)
            finish_locked(locked, at, reason, actor)
    _refresh(session, locked)
    return session


def finish_locked(locked, at, reason, actor=None):
    """End a session whose row the caller holds locked (used by ``end`` and the sweeper)."""
    if locked.state == State.PAUSED and locked.paused_at is not None:
        locked.paused_total += max(at - locked.paused_at, timedelta(0))
        locked.paused_at = None
    locked.ended_at = at
    locked.end_reason = reason
    locked.next_minute_at = None
    settled_fields = []
    if _is_booked(locked):
        # A booked reading is paid now, from its hold (readings.bookings settlement rule).
        settled_fields = settlement.settle_session_locked(locked, at, reason)
    _apply_transition(
        locked,
        State.ENDED,
        actor,
        reason=reason,
        extra={"billed_minutes": locked.billed_minutes, "total_cents": locked.total_cents},
        fields=[
            "ended_at",
            "end_reason",
            "next_minute_at",
            "paused_at",
            "paused_total",
            *settled_fields,
        ],
    )
    if locked.purchase_id:
        free = locked.billed_minutes - locked.paid_minutes
        sales.complete_purchase(
            locked.purchase_id,
            summary=f"{locked.billed_minutes} min" + (f" ({free} free)" if free else ""),
        )
    events.notify(locked, "ended", {"reason": reason, "summary": summary(locked)})
    presence.mark_free(locked.reader_id)
    return locked


def end_stale_paused(limit=500):
    """Sweeper: readings paused longer than the reconnect grace end (``disconnected``)."""
    ended = 0
    with transaction.atomic():
        cutoff = db_now() - reconnect_grace()
        stale = list(
            ReadingSession.objects.select_for_update(skip_locked=True)
            .filter(state=State.PAUSED, paused_at__lte=cutoff)
            .order_by("paused_at")[:limit]
        )
        for locked in stale:
            finish_locked(locked, db_now(), EndReason.DISCONNECTED)
            ended += 1
    return ended


def summary(session):
    """What both sides see at the end: served seconds, minutes, cost, reader earnings."""
    served = None
    if session.started_at and session.ended_at:
        served = max((session.ended_at - session.started_at - session.paused_total), timedelta(0))
    return {
        "session": str(session.public_id),
        "channel": session.channel,
        "state": session.state,
        "end_reason": session.end_reason,
        "started_at": session.started_at.isoformat() if session.started_at else None,
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "duration_seconds": int(served.total_seconds()) if served is not None else 0,
        "billed_minutes": session.billed_minutes,
        "free_minutes_used": session.billed_minutes - session.paid_minutes,
        "paid_minutes": session.paid_minutes,
        "rate_cents": session.rate_cents,
        "total_cents": session.total_cents,
        "reader_earned_cents": session.reader_earned_cents,
    }
