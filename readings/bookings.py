"""Booked readings: a client books a reader's free slot, the price is held in the client's wallet,
the reader accepts (or the page auto-accepts), both join at the slot time and the reading is paid
from the hold, never by the per-minute sweeper.

Public API (views and tasks call these; nothing else writes ``Booking`` rows)
-----------------------------------------------------------------------------
``booking_lengths() -> tuple[int, ...]``                       ``settings.BOOKING_LENGTHS``
``quote(reader_page, channel, length_minutes) -> int``         price in cents (rate x length)
``book(client, reader_page, *, channel, starts_at, length_minutes) -> Booking``
``accept(booking, reader) -> Booking``                          pending -> accepted
``decline(booking, reader, reason="") -> Booking``              pending -> declined, hold voided
``cancellation_terms(booking, at=None) -> dict``                free, charge, refund, free_until
``cancel(booking, actor, reason="") -> Booking``                pending/accepted -> cancelled
``join_opens_at(booking) -> datetime``                          starts_at - JOIN_EARLY minutes
``can_join(booking, user, at=None) -> bool``
``join(booking, user) -> ReadingSession``                       the reading room's session
``sweep_bookings() -> dict``                                    the beat task's work (counts)
``settle_session_locked(session, at, reason) -> list[str]``     called by ``services.finish_locked``
``session_started_locked(session, at)``                         called by ``services.start``

Every function owns its transaction and raises ``readings.errors.BookingError`` (message fit for
the person asking) with nothing changed when it refuses.

Rules (numbers in ``soulseer/settings/base.py``, ``BOOKING_*``)
----------------------------------------------------------------
* Price = the channel's per-minute rate x length, both captured when booking, with the reader
  share in force then. Free intro minutes never apply to bookings.
* Only a slot that ``readers.availability.free_slots`` offers can be booked. Two bookings of one
  reader can never overlap: the database's exclusion constraint decides a race, the loser gets
  ``SlotTaken`` and its hold is rolled back with its booking.
* A request not answered ``BOOKING_ACCEPT_DEADLINE_MINUTES`` before the start expires (hold
  voided, counted as a missed request of the reader).
* Cancelling: the reader (or staff) -> the client gets everything back. The client -> free while
  the reader has not accepted yet or until ``BOOKING_FREE_CANCEL_HOURS`` before the start; later
  ``BOOKING_LATE_CANCEL_PERCENT`` of the price is charged and the rest released.
* Joining opens ``BOOKING_JOIN_EARLY_MINUTES`` before the start. The first to join gets the
  reading room's session (accepted, waiting); it becomes active (``services.start``) when the
  other side joins (or both are in the room) and ends by itself at ``ends_at``.
* Settlement when the booked reading ends: ran to its end or ended by the client -> the full price;
  ended by the reader, staff, or a connection lost for good -> only the minutes started (per
  started minute, like live readings, at most the booked length); the rest is released.
* No-shows, ``BOOKING_NO_SHOW_GRACE_MINUTES`` after the start: reader absent -> ``no_show_reader``,
  everything released, a missed request counted; reader present but client absent ->
  ``no_show_client``, ``BOOKING_CLIENT_NO_SHOW_PERCENT`` of the price charged.
* Every charge is split like readings: the reader gets ``amount * share // 100`` (rounded down),
  the platform the rest.

Lock order: the reading session row before the booking row, as the reading services take them
(``start``/``end`` lock the session, then settle the booking), so the two never deadlock.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, OperationalError, connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from home.audit import record_event
from wallet import sales
from wallet.errors import InsufficientFunds, SpendingLimitReached
from wallet.money import format_cents

from . import presence, services, settlement
from .blocks import check_can_deal
from .errors import BookingError, SlotTaken
from .models import Booking, ReadingSession
from .settlement import TRANSITIONS, can_transition  # noqa: F401 (the booking API names them)

logger = logging.getLogger(__name__)

State = Booking.State
SessionState = ReadingSession.State
EndReason = ReadingSession.EndReason

# First key of the advisory lock that orders one reader's booking inserts ("BOOK").
BOOKING_LOCK_SPACE = 0x424F4F4B
# Sessions of a booking that can no longer be used (a waiting room someone left).
DEAD_SESSION_STATES = frozenset(
    {SessionState.CANCELLED, SessionState.EXPIRED, SessionState.DECLINED}
)


# Settings ---------------------------------------------------------------------------------------


def _setting(name, default):
    return int(getattr(settings, name, default))


def booking_lengths():
    return tuple(int(n) for n in getattr(settings, "BOOKING_LENGTHS", (15, 30, 45, 60)))


def free_cancel_window():
    return timedelta(hours=_setting("BOOKING_FREE_CANCEL_HOURS", 24))


def late_cancel_percent():
    return _setting("BOOKING_LATE_CANCEL_PERCENT", 50)


def join_early():
    return timedelta(minutes=_setting("BOOKING_JOIN_EARLY_MINUTES", 5))


def no_show_grace():
    return timedelta(minutes=_setting("BOOKING_NO_SHOW_GRACE_MINUTES", 10))


def client_no_show_percent():
    return _setting("BOOKING_CLIENT_NO_SHOW_PERCENT", 100)


def accept_deadline():
    return timedelta(minutes=_setting("BOOKING_ACCEPT_DEADLINE_MINUTES", 30))


_move = settlement.move
_charge = settlement.charge
_purchase = settlement.purchase_of
_name = settlement.party_name


# Helpers ----------------------------------------------------------------------------------------


def _local(when, user):
    from readers.availability import reader_zone

    zone = reader_zone(user)
    return f"{timezone.localtime(when, zone):%a %d %b %Y, %H:%M} ({zone.key})"


def booking_url(booking):
    """Where a notification about ``booking`` points (the UI's booking page when it exists)."""
    for name, args in (("readings:booking", [booking.public_id]), ("readings:bookings", [])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def _notify(user, title, body, booking):
    """In-app notification now (inside the caller's transaction) and an email after commit,
    the way favourites hear that a reader is online."""
    from readers.models import Notification

    url = booking_url(booking)
    Notification.objects.create(
        user=user, kind=Notification.Kind.BOOKING, title=title[:200], url=url[:300]
    )
    email = getattr(user, "email", "")
    if not email:
        return
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    text = f"{body}\n\n{site}{url}" if url else body

    def send():
        send_mail(f"SoulSeer: {title}"[:200], text, None, [email], fail_silently=True)

    transaction.on_commit(send)


def _lock(booking):
    """Lock the booking (and its session first, when it has one): session -> booking is the
    order the reading services use, so a join, a sweep and an ``end`` never deadlock."""
    session_id = Booking.objects.filter(pk=booking.pk).values_list("session_id", flat=True).get()
    if session_id:
        ReadingSession.objects.select_for_update().filter(pk=session_id).first()
    locked = (
        Booking.objects.select_for_update().select_related("client", "reader").get(pk=booking.pk)
    )
    if locked.session_id and locked.session_id != session_id:
        ReadingSession.objects.select_for_update().filter(pk=locked.session_id).first()
    return locked


def _refresh(target, source):
    for field in Booking._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


# Quote and book ---------------------------------------------------------------------------------


def _check_channel(reader_page, channel):
    if channel not in ReadingSession.Channel.values:
        raise BookingError("Choose chat, voice or video.")
    if not getattr(reader_page, f"offers_{channel}", False):
        raise BookingError(f"This reader does not offer {channel} readings.")


def _check_length(length_minutes):
    lengths = booking_lengths()
    if isinstance(length_minutes, bool) or length_minutes not in lengths:
        allowed = ", ".join(str(n) for n in lengths)
        raise BookingError(f"Choose a length of {allowed} minutes.")


def quote(reader_page, channel, length_minutes):
    """The price in cents of booking ``length_minutes`` of ``channel`` with this reader."""
    _check_channel(reader_page, channel)
    _check_length(length_minutes)
    return getattr(reader_page, f"{channel}_rate_cents") * length_minutes


def book(client, reader_page, *, channel, starts_at, length_minutes):
    """Book ``length_minutes`` of ``channel`` with ``reader_page``'s reader from ``starts_at``.

    Refuses (``BookingError``, nothing written, no hold): a reader without an account, the
    client's own page, a channel the reader does not offer, a length not in ``BOOKING_LENGTHS``,
    either side blocked the other (``Blocked``, a ``ReadingError``), a time in the past, too
    soon or not among the reader's free slots, a client already booked
    at an overlapping time, a wallet balance below the price, or a spending limit. Otherwise
    places a wallet hold for the price (key ``booking:<public_id>:hold``) and returns the booking,
    ``pending`` or (``auto_accept_bookings``) ``accepted``. A concurrent booking of an
    overlapping slot loses to the exclusion constraint: ``SlotTaken``, and its hold rolls back.
    """
    from readers import availability
    from readers.models import ReaderPage

    if reader_page.user_id is None:
        raise BookingError("This reader does not take bookings.")
    if reader_page.user_id == client.pk:
        raise BookingError("You cannot book a reading with yourself.")
    check_can_deal(client, reader_page.user_id, lock=False)
    page = ReaderPage.objects.select_related("user").get(pk=reader_page.pk)
    reader = page.user
    price = quote(page, channel, length_minutes)
    if starts_at is None or timezone.is_naive(starts_at):
        raise BookingError("Choose a time from the calendar.")
    now = timezone.now()
    if starts_at <= now:
        raise BookingError("That time has already passed. Please choose a later time.")
    notice = availability.min_notice()
    if starts_at < now + notice:
        minutes = int(notice.total_seconds() // 60)
        ahead = f"{minutes // 60} hours" if minutes % 60 == 0 else f"{minutes} minutes"
        raise BookingError(f"Bookings must start at least {ahead} from now.")
    if not availability.is_bookable(reader, starts_at, length_minutes, now=now):
        raise BookingError(
            "That time is not available for this length. Please choose another time."
        )
    ends_at = starts_at + timedelta(minutes=length_minutes)
    if Booking.objects.filter(
        client=client,
        state__in=(State.PENDING, State.ACCEPTED, State.IN_PROGRESS),
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exists():
        raise BookingError("You already have a booking at that time.")
    try:
        sales.check_can_pay(client, price, within_limits=False)
    except InsufficientFunds as error:
        raise BookingError(
            f"This booking costs {format_cents(price)} and your wallet has "
            f"{format_cents(error.balance)}. Please top up first."
        ) from error
    market = services.marketplace_settings()
    auto = bool(page.auto_accept_bookings)
    booking = Booking(
        client=client,
        reader=reader,
        reader_page=page,
        channel=channel,
        starts_at=starts_at,
        ends_at=ends_at,
        length_minutes=length_minutes,
        rate_cents=getattr(page, f"{channel}_rate_cents"),
        price_cents=price,
        reader_share_percent=sales.reader_share_percent(sales.SaleKind.BOOKING, marketplace=market),
        state=State.ACCEPTED if auto else State.PENDING,
    )
    try:
        with transaction.atomic():
            check_can_deal(client, reader)
            _serialise_bookings_of(reader.pk)
            at = services.db_now()
            booking.decided_at = at if auto else None
            try:
                with transaction.atomic():
                    booking.save()
            except IntegrityError as error:
                constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", "")
                if constraint == "readings_booking_no_overlap":
                    raise SlotTaken() from error
                raise
            except OperationalError as error:
                # Two uncommitted overlapping rows wait for each other in the exclusion check;
                # PostgreSQL aborts one (deadlock). The lock above prevents it; this is the
                # safety net should anything insert bookings without it.
                if getattr(error.__cause__, "sqlstate", "") == "40P01":
                    raise SlotTaken() from error
                raise
            booking.purchase = _purchase(booking)
            booking.hold = sales.reserve(
                booking.purchase,
                price,
                idempotency_key=f"booking:{booking.public_id}:hold",
                description=f"Booking with {_name(reader)}"[:200],
                expires_at=ends_at,
                metadata={"booking": str(booking.public_id), "channel": channel},
            )
            booking.save(update_fields=["purchase", "hold"])
            record_event(
                "booking.requested",
                actor=client,
                target=booking,
                reader_id=reader.pk,
                starts_at=starts_at.isoformat(),
                length_minutes=length_minutes,
                price_cents=price,
                auto_accepted=auto,
            )
            when = _local(starts_at, reader)
            if auto:
                _notify(
                    reader,
                    f"New booking: {_name(client)}, {when}",
                    f"{_name(client)} booked a {length_minutes}-minute {channel} reading with "
                    f"you on {when}. It was accepted automatically.",
                    booking,
                )
                _notify_client_accepted(booking)
            else:
                _notify(
                    reader,
                    f"Booking request: {_name(client)}, {when}",
                    f"{_name(client)} asks for a {length_minutes}-minute {channel} reading on "
                    f"{when}. Please accept or decline it.",
                    booking,
                )
    except InsufficientFunds as error:
        raise BookingError(
            f"This booking costs {format_cents(price)}, more than your wallet has. "
            "Please top up first."
        ) from error
    except SpendingLimitReached as error:
        raise BookingError(str(error)) from error
    return booking


def _serialise_bookings_of(reader_id):
    """Bookings of one reader are inserted one at a time (a transaction-scoped advisory lock).

    The exclusion constraint still decides who gets a slot: the second insert waits for the first
    to commit and then violates the constraint (``SlotTaken``). Without this order, two
    uncommitted overlapping inserts each wait for the other inside the exclusion check and
    PostgreSQL breaks the deadlock by aborting one.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BOOKING_LOCK_SPACE, reader_id])


def _notify_client_accepted(booking):
    when = _local(booking.starts_at, booking.client)
    _notify(
        booking.client,
        f"Booking confirmed: {_name(booking.reader)}, {when}",
        f"{_name(booking.reader)} confirmed your {booking.length_minutes}-minute "
        f"{booking.channel} reading on {when}. Join from "
        f"{_setting('BOOKING_JOIN_EARLY_MINUTES', 5)} minutes before the start.",
        booking,
    )


# Reader's answer --------------------------------------------------------------------------------


def accept(booking, reader):
    """pending -> accepted (only the booking's reader, before the answer deadline)."""
    with transaction.atomic():
        locked = _lock(booking)
        if services.party_role(locked, reader) != "reader":
            raise BookingError("Only the reader of this booking can accept it.")
        if locked.state != State.PENDING:
            raise BookingError(f"This booking is already {locked.get_state_display().lower()}.")
        at = services.db_now()
        if at >= locked.starts_at - accept_deadline():
            raise BookingError("It is too late to accept this request; it has expired.")
        _move(locked, State.ACCEPTED)
        locked.decided_at = at
        locked.save(update_fields=["state", "decided_at"])
        record_event("booking.accepted", actor=reader, target=locked)
        _notify_client_accepted(locked)
    return _refresh(booking, locked)


def decline(booking, reader, reason=""):
    """pending -> declined; the hold goes back to the client in full."""
    with transaction.atomic():
        locked = _lock(booking)
        if services.party_role(locked, reader) != "reader":
            raise BookingError("Only the reader of this booking can decline it.")
        if locked.state != State.PENDING:
            raise BookingError(f"This booking is already {locked.get_state_display().lower()}.")
        _move(locked, State.DECLINED)
        locked.decided_at = services.db_now()
        locked.cancel_reason = (reason or "").strip()[:300]
        _charge(locked, 0, f"Booking with {_name(locked.reader)} declined")
        locked.save(update_fields=["state", "decided_at", "cancel_reason", "charged_cents"])
        record_event("booking.declined", actor=reader, target=locked, reason=locked.cancel_reason)
        when = _local(locked.starts_at, locked.client)
        _notify(
            locked.client,
            f"Booking declined: {_name(locked.reader)}, {when}",
            f"{_name(locked.reader)} cannot take your reading on {when}. "
            f"{format_cents(locked.price_cents)} is back in your wallet."
            + (f"\n\nThe reader wrote: {locked.cancel_reason}" if locked.cancel_reason else ""),
            locked,
        )
    return _refresh(booking, locked)


# Cancelling -------------------------------------------------------------------------------------


def cancellation_terms(booking, at=None):
    """What the *client* would pay to cancel now (or at ``at``): ``{"free": bool,
    "charge_cents": int, "refund_cents": int, "free_until": datetime, "free_once_accepted":
    bool, "late_charge_cents": int}``. Free while the reader has not accepted or until
    ``BOOKING_FREE_CANCEL_HOURS`` before the start; ``free_once_accepted`` says whether the
    second still holds at ``at`` (a pending booking less than that far away is free only until
    the reader accepts), and ``late_charge_cents`` is what a late cancellation costs."""
    at = at or timezone.now()
    free_until = booking.starts_at - free_cancel_window()
    free_once_accepted = at < free_until
    free = booking.state == State.PENDING or free_once_accepted
    late_charge = booking.price_cents * late_cancel_percent() // 100
    charge = 0 if free else late_charge
    return {
        "free": free,
        "charge_cents": charge,
        "refund_cents": booking.price_cents - charge,
        "free_until": free_until,
        "free_once_accepted": free_once_accepted,
        "late_charge_cents": late_charge,
    }


def cancel(booking, actor, reason="", *, waive_fee=False):
    """pending/accepted -> cancelled, before the reading started. The client pays what
    ``cancellation_terms`` says; a reader (or staff) cancelling releases everything, and so
    does ``waive_fee`` (a block between the two, ``readings.messaging.block``)."""
    with transaction.atomic():
        locked = _lock(booking)
        role = services.party_role(locked, actor)
        if role not in ("client", "reader", "staff"):
            raise BookingError("You are not part of this booking.")
        if locked.state not in (State.PENDING, State.ACCEPTED):
            raise BookingError(
                f"This booking is {locked.get_state_display().lower()} and cannot be cancelled."
            )
        at = services.db_now()
        if role == "client" and not waive_fee:
            charge = cancellation_terms(locked, at)["charge_cents"]
        else:
            charge = 0
        _charge(
            locked,
            charge,
            f"Late cancellation: booking with {_name(locked.reader)}"
            if charge
            else f"Booking with {_name(locked.reader)} cancelled",
            {"late_cancellation": True} if charge else None,
        )
        _close_waiting_session(locked, "booking_cancelled")
        _move(locked, State.CANCELLED)
        locked.cancelled_by = actor
        locked.cancel_reason = (reason or "").strip()[:300]
        locked.save(update_fields=["state", "cancelled_by", "cancel_reason", "charged_cents"])
        record_event(
            "booking.cancelled",
            actor=actor,
            target=locked,
            by=role,
            charged_cents=locked.charged_cents,
            reason=locked.cancel_reason,
        )
        note = f"\n\nReason given: {locked.cancel_reason}" if locked.cancel_reason else ""
        if role == "client":
            when = _local(locked.starts_at, locked.reader)
            _notify(
                locked.reader,
                f"Booking cancelled: {_name(locked.client)}, {when}",
                f"{_name(locked.client)} cancelled the reading on {when}."
                + (
                    f" A late-cancellation fee of {format_cents(locked.charged_cents)} was charged."
                    if locked.charged_cents
                    else ""
                )
                + note,
                locked,
            )
        else:
            when = _local(locked.starts_at, locked.client)
            _notify(
                locked.client,
                f"Booking cancelled: {_name(locked.reader)}, {when}",
                f"Your reading with {_name(locked.reader)} on {when} was cancelled. "
                f"{format_cents(locked.price_cents)} is back in your wallet." + note,
                locked,
            )
    return _refresh(booking, locked)


def _close_waiting_session(locked, reason):
    """A session someone opened by joining, still waiting for the other side: it expires."""

    # The row is already locked by ``_lock``.
    session = ReadingSession.objects.filter(pk=locked.session_id).first()
    if session is None or session.state not in (SessionState.ACCEPTED, SessionState.REQUESTED):
        return
    session.ended_at = services.db_now()
    services._apply_transition(
        session, SessionState.EXPIRED, None, reason=reason, fields=["ended_at"]
    )
    presence.mark_free(session.reader_id)


# Joining ----------------------------------------------------------------------------------------


def join_opens_at(booking):
    return booking.starts_at - join_early()


def _join_refusal(booking, user, at):
    """Why ``user`` cannot join at ``at`` (a message), or ``None`` when they can."""
    role = services.party_role(booking, user)
    if role not in ("client", "reader"):
        return "You are not part of this booking."
    if booking.state == State.IN_PROGRESS:
        return None if at < booking.ends_at else "This booked reading is over."
    if booking.state == State.PENDING:
        return "The reader has not confirmed this booking yet."
    if booking.state != State.ACCEPTED:
        return f"This booking is {booking.get_state_display().lower()}."
    if at < join_opens_at(booking):
        return (
            f"You can join from {_local(join_opens_at(booking), user)}, "
            f"{int(join_early().total_seconds() // 60)} minutes before the start."
        )
    if at >= booking.starts_at + no_show_grace() or at >= booking.ends_at:
        return "The time to join this booking is over."
    return None


def can_join(booking, user, at=None):
    """Whether ``user`` (client or reader) may join now: accepted (or in progress) and from
    ``join_opens_at`` until the no-show grace after the start (in progress: until the end)."""
    return _join_refusal(booking, user, at or timezone.now()) is None


def join(booking, user):
    """``user`` (client or reader) joins the booked reading and gets its ``ReadingSession``.

    The first to join opens the session (accepted: the reading room waits for the other side);
    when both have joined it starts (active, paid from the hold, not billed per minute). Joining
    again returns the same session. Refuses (``Blocked``) when either side blocked the other,
    and (``BookingError``) outside the join window, before
    the reader accepted, or when either side is still in another live reading.
    """
    with transaction.atomic():
        # The pair's lock first: the order ``messaging.block`` takes it before the booking's.
        other_id = booking.reader_id if user.pk == booking.client_id else booking.client_id
        check_can_deal(user, other_id)
        locked = _lock(booking)
        role = services.party_role(locked, user)
        at = services.db_now()
        refusal = _join_refusal(locked, user, at)
        if refusal:
            raise BookingError(refusal)
        field = f"{role}_joined_at"
        if getattr(locked, field) is None:
            setattr(locked, field, at)
            locked.save(update_fields=[field])
            record_event("booking.joined", actor=user, target=locked, by=role)
        session = locked.session
        if locked.state != State.IN_PROGRESS:
            if session is None or session.state in DEAD_SESSION_STATES:
                session = _open_session(locked, at)
            if locked.client_joined_at and locked.reader_joined_at:
                services.start(session, user)
                locked.refresh_from_db()
                session.refresh_from_db()
    _refresh(booking, locked)
    return session


def _open_session(locked, at):
    """The reading room's session for this booking, accepted and waiting for both sides."""

    session = ReadingSession(
        client_id=locked.client_id,
        reader_id=locked.reader_id,
        reader_page_id=locked.reader_page_id,
        channel=locked.channel,
        state=SessionState.ACCEPTED,
        rate_cents=locked.rate_cents,
        reader_share_percent=locked.reader_share_percent,
        free_minutes=0,
        accepted_at=at,
    )
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as error:
        text = str(error)
        if "readings_one_open_per_client" in text:
            raise BookingError(
                "The client is still in another reading. Finish it first, then join again."
            ) from error
        if "readings_one_live_per_reader" in text:
            raise BookingError(
                "The reader is finishing another reading. Please join again in a moment."
            ) from error
        raise
    locked.session = session
    locked.save(update_fields=["session"])
    record_event("reading.accepted", actor=None, target=session, booking=str(locked.public_id))
    presence.mark_busy(locked.reader_id)
    return session


# The sweep --------------------------------------------------------------------------------------


def _expire_unanswered(at, limit):
    done = 0
    due = list(
        Booking.objects.filter(
            state=State.PENDING, starts_at__lte=at + accept_deadline()
        ).values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        with transaction.atomic():
            locked = _lock(Booking(pk=pk))
            if locked.state != State.PENDING:
                continue
            _move(locked, State.EXPIRED)
            locked.decided_at = services.db_now()
            _charge(locked, 0, f"Booking with {_name(locked.reader)} not answered")
            locked.save(update_fields=["state", "decided_at", "charged_cents"])
            services.record_missed_request(locked.reader_id, locked.decided_at)
            record_event("booking.expired", target=locked)
            when = _local(locked.starts_at, locked.client)
            _notify(
                locked.client,
                f"Booking not confirmed: {_name(locked.reader)}, {when}",
                f"{_name(locked.reader)} did not answer your request for {when} in time. "
                f"{format_cents(locked.price_cents)} is back in your wallet.",
                locked,
            )
            done += 1
    return done


def _apply_no_shows(at, limit):
    counts = {"no_show_reader": 0, "no_show_client": 0}
    due = list(
        Booking.objects.filter(
            state=State.ACCEPTED, starts_at__lte=at - no_show_grace()
        ).values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        with transaction.atomic():
            locked = _lock(Booking(pk=pk))
            if locked.state != State.ACCEPTED:
                continue
            if locked.reader_joined_at is None:
                _move(locked, State.NO_SHOW_READER)
                _charge(locked, 0, f"{_name(locked.reader)} did not join the booked reading")
                services.record_missed_request(locked.reader_id, at)
                when = _local(locked.starts_at, locked.client)
                _notify(
                    locked.client,
                    f"{_name(locked.reader)} did not join your reading",
                    f"{_name(locked.reader)} did not join your booked reading on {when}. "
                    f"{format_cents(locked.price_cents)} is back in your wallet. We are sorry.",
                    locked,
                )
            else:
                _move(locked, State.NO_SHOW_CLIENT)
                amount = locked.price_cents * client_no_show_percent() // 100
                _charge(
                    locked,
                    amount,
                    f"Missed booked reading with {_name(locked.reader)}",
                    {"no_show": True},
                )
                when = _local(locked.starts_at, locked.reader)
                _notify(
                    locked.reader,
                    f"{_name(locked.client)} did not join the reading",
                    f"{_name(locked.client)} did not join the booked reading on {when}. "
                    f"{format_cents(locked.charged_cents)} was charged for the missed booking.",
                    locked,
                )
            _close_waiting_session(locked, locked.state)
            locked.save(update_fields=["state", "charged_cents"])
            record_event(f"booking.{locked.state}", target=locked)
            counts[str(locked.state)] += 1
    return counts


def _end_finished(at, limit):
    """Booked readings whose time is over end (``booked_time_over``, full price); one paused
    at its end (a side gone) ends as ``disconnected`` (minutes started)."""
    ended = 0
    due = list(
        Booking.objects.filter(state=State.IN_PROGRESS, ends_at__lte=at)
        .exclude(session=None)
        .values_list("session_id", flat=True)[:limit]
    )
    for session_id in due:
        session = ReadingSession.objects.get(pk=session_id)
        reason = (
            EndReason.BOOKED_TIME_OVER
            if session.state == SessionState.ACTIVE
            else EndReason.DISCONNECTED
        )
        try:
            services.end(session, None, reason=reason)
        except BookingError:
            continue
        except services.IllegalTransition:
            continue  # ended a moment ago by a person or the stale-pause sweep
        ended += 1
    return ended


def sweep_bookings(limit=500):
    """Expire unanswered requests, apply no-shows, end booked readings whose time is over.
    Safe to run concurrently and repeatedly: each booking is re-checked under its lock, so a
    second run finds nothing to do. Returns counts."""
    at = services.db_now()
    counts = {"expired": _expire_unanswered(at, limit)}
    counts.update(_apply_no_shows(at, limit))
    counts["ended"] = _end_finished(at, limit)
    if any(counts.values()):
        logger.info("sweep_bookings: %s", counts)
    return counts
