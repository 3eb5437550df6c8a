"""How a booking is paid, and the two moments the reading services hand a booked session over:
the booking's state table, its purchase (``wallet.sales``), the capture or release of its hold,
and ``session_started_locked`` / ``settle_session_locked``, which ``services.start`` and
``services.finish_locked`` call with the session row locked. The booking rules themselves are
written down in ``readings.bookings``."""

from django.urls import reverse

from home.audit import record_event
from wallet import sales

from .errors import BookingError, IllegalTransition
from .models import Booking, ReadingSession

State = Booking.State
EndReason = ReadingSession.EndReason

# Every move a booking can make; anything else is a programming error (``move`` refuses it).
# Users meet the checks in the services first, with messages of their own.
TRANSITIONS = {
    State.PENDING: frozenset({State.ACCEPTED, State.DECLINED, State.CANCELLED, State.EXPIRED}),
    State.ACCEPTED: frozenset(
        {State.IN_PROGRESS, State.CANCELLED, State.NO_SHOW_CLIENT, State.NO_SHOW_READER}
    ),
    State.IN_PROGRESS: frozenset({State.COMPLETED}),
    State.COMPLETED: frozenset(),
    State.DECLINED: frozenset(),
    State.CANCELLED: frozenset(),
    State.EXPIRED: frozenset(),
    State.NO_SHOW_CLIENT: frozenset(),
    State.NO_SHOW_READER: frozenset(),
}


def can_transition(from_state, to_state):
    return to_state in TRANSITIONS.get(from_state, frozenset())


def move(booking, to_state):
    """Set ``booking.state`` to ``to_state`` if the table allows the move (the caller saves)."""
    if not can_transition(booking.state, to_state):
        raise IllegalTransition(
            booking.state, to_state, f"A booking that is {booking.state} cannot become {to_state}."
        )
    booking.state = to_state


# End reasons that charge the whole price; any other end charges the minutes started.
FULL_PRICE_REASONS = frozenset({EndReason.CLIENT, EndReason.BOOKED_TIME_OVER})


def party_name(user):
    return getattr(user, "public_name", None) or str(user)


def purchase_of(booking):
    """What the client buys with a booking: its hold, capture or release attach to it."""
    return sales.open_purchase(
        client=booking.client,
        seller=booking.reader,
        kind=sales.SaleKind.BOOKING,
        reference=f"booking:{booking.public_id}",
        description=f"Booked reading with {party_name(booking.reader)}",
        detail_url=reverse("readings:booking", args=[booking.public_id]),
        share_percent=booking.reader_share_percent,
        metadata={"channel": booking.channel, "length_minutes": booking.length_minutes},
    )


def charge(locked, amount, what, extra_metadata=None):
    """Capture ``amount`` of the booking's hold through the sale path (reader share / platform
    split) and release the rest; release it all when ``amount`` is 0. Sets ``charged_cents``.
    Returns the reader's part."""
    if locked.hold_id is None:
        return 0
    if locked.purchase_id is None:  # booked before purchases existed
        locked.purchase = purchase_of(locked)
        Booking.objects.filter(pk=locked.pk).update(purchase=locked.purchase)
    purchase = locked.purchase
    amount = max(amount, 0)
    metadata = {
        "booking": str(locked.public_id),
        "channel": locked.channel,
        "reader_name": party_name(locked.reader),
        **(extra_metadata or {}),
    }
    # A zero capture releases the whole reservation ("Released: <what>").
    reader_cents = sales.capture(
        purchase, locked.hold, amount, description=what[:200], metadata=metadata
    )
    locked.charged_cents = amount
    return reader_cents


# Hooks the reading services call for booked sessions (caller holds the session row lock) ------


def booking_of_session(session):
    """The booking a session belongs to, or ``None`` (one indexed lookup)."""
    return Booking.objects.filter(session_id=session.pk).first()


def session_started_locked(session, at):
    """``services.start`` moved a booked session to active: the booking is in progress (both
    are there, whoever joined through the room rather than ``join``)."""
    updates = {"state": State.IN_PROGRESS}
    booking = Booking.objects.select_for_update().get(session_id=session.pk)
    if booking.state != State.ACCEPTED:
        raise BookingError(f"This booking is {booking.get_state_display().lower()}.")
    move(booking, State.IN_PROGRESS)
    if booking.client_joined_at is None:
        updates["client_joined_at"] = at
    if booking.reader_joined_at is None:
        updates["reader_joined_at"] = at
    Booking.objects.filter(pk=booking.pk).update(**updates)
    record_event("booking.in_progress", target=booking, session=str(session.public_id))


def settle_session_locked(session, at, reason):
    """``services.finish_locked`` is ending a booked session: charge the hold and complete the
    booking. Sets the session's totals and returns the session fields to save."""
    booking = (
        Booking.objects.select_for_update().select_related("reader").get(session_id=session.pk)
    )
    if booking.state != State.IN_PROGRESS or booking.hold is None:
        return []
    if booking.hold.status != "pending":
        return []
    if reason in FULL_PRICE_REASONS:
        minutes = booking.length_minutes
    else:
        served = at - session.started_at - session.paused_total if session.started_at else None
        served_seconds = max(int(served.total_seconds()), 0) if served is not None else 0
        # Per started minute, like live readings (minute n starts at n * 60 s served).
        minutes = min(booking.length_minutes, served_seconds // 60 + 1)
    amount = booking.rate_cents * minutes
    if minutes == booking.length_minutes:
        amount = booking.price_cents
    reader_cents = charge(
        booking,
        amount,
        f"Booked reading with {party_name(booking.reader)}",
        {"reading": str(session.public_id), "minutes": minutes},
    )
    move(booking, State.COMPLETED)
    booking.save(update_fields=["state", "charged_cents"])
    record_event(
        "booking.completed",
        target=booking,
        reason=reason,
        minutes=minutes,
        charged_cents=booking.charged_cents,
    )
    sales.complete_purchase(
        booking.purchase_id, summary=f"{minutes} of {booking.length_minutes} min"
    )
    session.billed_minutes = minutes
    session.paid_minutes = minutes
    session.total_cents = booking.charged_cents
    session.reader_earned_cents = reader_cents
    return ["billed_minutes", "paid_minutes", "total_cents", "reader_earned_cents"]
