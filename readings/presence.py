"""Reader presence (online / busy / offline) and the "call me when free" queue.

Presence is stored on ``ReaderPage.presence`` with a queryset ``.update()`` (no page revision,
no ``save()`` of the page). Readers choose online or offline; ``busy`` follows their readings:
accepting a request makes them busy, the end of that reading makes them online again (unless
they went offline meanwhile). When a reader becomes free, the first client waiting in their queue
gets an ``offer`` event and ``READING_QUEUE_OFFER_SECONDS`` (default 60) to start the reading;
during the offer the reader is reserved for that client; a lapsed offer moves to the next client.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Now
from django.utils import timezone

from home.audit import record_event
from wallet import sales
from wallet.money import format_cents

from . import events
from .blocks import check_can_deal, check_not_suspended
from .errors import CannotReadYourself, QueueError, QueueNeedsTopUp
from .models import LIVE_STATES, QueueEntry, ReadingSession
from .rules import db_now, min_start_minutes


def _presence():
    from readers.models import ReaderPage

    return ReaderPage.Presence


def _pages():
    from readers.models import ReaderPage

    return ReaderPage.objects


ACTIVE_QUEUE_STATES = (QueueEntry.State.WAITING, QueueEntry.State.OFFERED)
# A lapsed turn is mentioned on the reader's page for this long ("you missed your turn").
RECENT_LAPSE = timedelta(minutes=10)


def presence_timeout():
    return timedelta(seconds=int(getattr(settings, "READER_PRESENCE_TIMEOUT_SECONDS", 120)))


def _heartbeat_interval():
    # A poll every few seconds need not write every time: a quarter of the timeout is plenty.
    return min(timedelta(seconds=15), presence_timeout() / 4)


def _db_time_ago(delta):
    # Database time, like the rest of the engine (web and worker clocks may disagree).
    return ExpressionWrapper(Now() - Value(delta), output_field=DateTimeField())


def record_heartbeat(reader_user):
    """An open desk of this reader reported in. Writes at most every few seconds (the
    condition makes most polls a no-op UPDATE)."""
    _pages().filter(user=reader_user).filter(
        Q(presence_seen_at__isnull=True)
        | Q(presence_seen_at__lt=_db_time_ago(_heartbeat_interval()))
    ).update(presence_seen_at=Now())


def lapse_idle_readers(limit=500):
    """Sweeper: online readers whose desk has not reported in for the presence timeout go
    offline, and busy readers without a live reading (reachable only through old data) too.
    Returns how many readers were taken offline."""
    presence = _presence()
    cutoff = _db_time_ago(presence_timeout())
    with transaction.atomic():
        quiet = list(
            _pages()
            .select_for_update(of=("self",), skip_locked=True)
            .filter(presence=presence.ONLINE)
            .filter(Q(presence_seen_at__isnull=True) | Q(presence_seen_at__lt=cutoff))
            .values_list("pk", "user_id")[:limit]
        )
        busy = list(
            _pages()
            .select_for_update(of=("self",), skip_locked=True)
            .filter(presence=presence.BUSY)
            .values_list("pk", "user_id")[:limit]
        )
        if busy:
            # Asked after the page rows are locked, so a reading accepted meanwhile (its
            # transaction also set the page busy) is seen here.
            in_reading = set(
                ReadingSession.objects.filter(
                    reader_id__in=[user_id for _pk, user_id in busy], state__in=LIVE_STATES
                ).values_list("reader_id", flat=True)
            )
            quiet += [(pk, user_id) for pk, user_id in busy if user_id not in in_reading]
        if not quiet:
            return 0
        _pages().filter(pk__in=[pk for pk, _user_id in quiet]).update(presence=presence.OFFLINE)
        for _pk, user_id in quiet:
            record_event(
                "reader.presence_lapsed",
                actor=None,
                target=None,
                reader_id=user_id,
                presence=presence.OFFLINE,
            )
    return len(quiet)


def offer_seconds():
    return int(getattr(settings, "READING_QUEUE_OFFER_SECONDS", 60))


def presence_of(reader_user):
    return _pages().filter(user=reader_user).values_list("presence", flat=True).first()


def set_presence(reader_user, state):
    """The reader sets themselves online or offline (``busy`` is accepted too); a suspended
    reader can only go offline (``AccountSuspended``). Going online while in a live reading
    stores ``busy``. Becoming free offers the slot to the queue."""
    presence = _presence()
    if state not in presence.values:
        raise ValueError(f"unknown presence {state!r}")
    if state != presence.OFFLINE:
        check_not_suspended(reader_user)
    with transaction.atomic():
        in_reading = ReadingSession.objects.filter(
            reader=reader_user, state__in=LIVE_STATES
        ).exists()
        if state == presence.BUSY and not in_reading:
            raise ValueError("busy follows a live reading; choose online or offline")
        if state == presence.ONLINE and in_reading:
            state = presence.BUSY
        pages = _pages().filter(user=reader_user)
        coming_online = state == presence.ONLINE and pages.exclude(presence=state).exists()
        fields = {"presence": state}
        if state != presence.OFFLINE:
            # Going online happens at the desk: it counts as its first heartbeat.
            fields["presence_seen_at"] = Now()
        pages.update(**fields)
        record_event("reader.presence_changed", actor=reader_user, target=None, presence=state)
        if state == presence.ONLINE:
            offer_next(reader_user.pk)
        if coming_online:
            # Favourites asked to hear about it (rate-limited per client inside the service).
            from readers.services import notify_favorites_online

            for page in pages:
                notify_favorites_online(page)
    return state


def mark_busy(reader_id):
    """A reading of this reader was accepted (inside that transaction)."""
    presence = _presence()
    _pages().filter(user_id=reader_id).exclude(presence=presence.OFFLINE).update(
        presence=presence.BUSY
    )


def mark_free(reader_id):
    """A live reading of this reader is over (inside that transaction): busy -> online, and the
    first client in the queue gets the offer."""
    presence = _presence()
    if ReadingSession.objects.filter(reader_id=reader_id, state__in=LIVE_STATES).exists():
        return
    # The reading room was open until now: the timeout counts from the end of the reading.
    updated = (
        _pages()
        .filter(user_id=reader_id, presence=presence.BUSY)
        .update(presence=presence.ONLINE, presence_seen_at=Now())
    )
    if updated:
        offer_next(reader_id)


# Queue ------------------------------------------------------------------------------------------


def join_queue(client, reader_page):
    """Wait for a busy reader. Returns the ``QueueEntry`` (the existing one when already
    waiting). Refuses yourself, a reader either side has blocked (``Blocked``) and readers who
    are online (request directly) or offline."""
    reader_id = reader_page.user_id
    if reader_id is None:
        raise QueueError("This reader cannot take readings.")
    if reader_id == client.pk:
        raise CannotReadYourself()
    check_can_deal(client, reader_id, lock=False)
    current = presence_of(reader_page.user)
    if current == _presence().OFFLINE:
        raise QueueError("This reader is offline; the queue is only for busy readers.")
    existing = QueueEntry.objects.filter(
        client=client, reader_id=reader_id, state__in=ACTIVE_QUEUE_STATES
    ).first()
    if existing is not None:
        return existing
    _check_can_pay_to_start(client, reader_page)
    if (
        current == _presence().ONLINE
        and not QueueEntry.objects.filter(
            reader_id=reader_id, state__in=ACTIVE_QUEUE_STATES
        ).exists()
    ):
        # Free with nobody in line: the client should simply start a reading. An online reader
        # with an offer out (reserved for the next client) or a line still queues.
        raise QueueError("This reader is free now: start a reading instead of queueing.")
    try:
        with transaction.atomic():
            check_can_deal(client, reader_id)
            entry = QueueEntry.objects.create(client=client, reader_id=reader_id)
            record_event("queue.joined", actor=client, target=entry, reader_id=reader_id)
            if current == _presence().ONLINE:
                offer_next(reader_id)
    except IntegrityError:
        return QueueEntry.objects.get(
            client=client, reader_id=reader_id, state__in=ACTIVE_QUEUE_STATES
        )
    entry.refresh_from_db()
    return entry


def _check_can_pay_to_start(client, reader_page):
    """Waiting in line is only worth it if the client can start when their turn comes: the
    wallet must cover the reader's cheapest channel for ``MIN_START_MINUTES`` (the same rule
    ``request_reading`` applies; a top-up while waiting is fine, it is checked again then)."""
    rates = [cents for _channel, _label, cents in reader_page.rates]
    if not rates:
        raise QueueError("This reader takes no live readings.")
    needed = min(rates) * min_start_minutes()
    if not sales.can_pay(client, needed, within_limits=False):
        raise QueueNeedsTopUp(
            f"You need at least {format_cents(needed)} in your wallet to start a reading with "
            "this reader. Top up first, then join the line."
        )


def leave_queue(client, reader_page):
    with transaction.atomic():
        entry = (
            QueueEntry.objects.select_for_update()
            .filter(client=client, reader_id=reader_page.user_id, state__in=ACTIVE_QUEUE_STATES)
            .first()
        )
        if entry is None:
            return None
        was_offered = entry.state == QueueEntry.State.OFFERED
        entry.state = QueueEntry.State.LEFT
        entry.save(update_fields=["state"])
        if was_offered:
            offer_next(entry.reader_id)
    return entry


def position_in_queue(client, reader_user):
    entry = QueueEntry.objects.filter(
        client=client, reader=reader_user, state__in=ACTIVE_QUEUE_STATES
    ).first()
    if entry is None:
        return None
    return (
        QueueEntry.objects.filter(
            reader=reader_user, state__in=ACTIVE_QUEUE_STATES, created_at__lt=entry.created_at
        ).count()
        + 1
    )


@dataclass(frozen=True)
class QueueStatus:
    """What one client sees of one reader's line (the reader page's actions panel)."""

    entry: QueueEntry | None = None  # the client's waiting/offered entry
    position: int | None = None  # 1 = first in line (or holding the offer)
    lapsed_recently: bool = False  # the client's last turn ran out a moment ago
    reserved_for_other: bool = False  # an offer is out to someone else

    @property
    def waiting(self):
        return self.entry is not None and self.entry.state == QueueEntry.State.WAITING

    @property
    def offered(self):
        return self.entry is not None and self.entry.state == QueueEntry.State.OFFERED

    @property
    def offer_seconds_left(self):
        if not self.offered or self.entry.offer_expires_at is None:
            return 0
        return max(int((self.entry.offer_expires_at - timezone.now()).total_seconds()), 0)


def queue_status(client, reader_id, *, check_reserved=True):
    """The client's place in ``reader_id``'s line, in one query: the client's latest entry for
    that reader, its position, and whether someone else holds the offer (only asked for when
    ``check_reserved``: an offer is out only while the reader is online)."""
    if client is None or not client.is_authenticated or client.pk == reader_id:
        return QueueStatus()
    active = Q(reader_id=reader_id, state__in=ACTIVE_QUEUE_STATES)
    entry = (
        QueueEntry.objects.filter(client=client, reader_id=reader_id)
        .annotate(
            ahead=Subquery(
                QueueEntry.objects.filter(active, created_at__lt=OuterRef("created_at"))
                .values("reader_id")
                .annotate(n=Count("id"))
                .values("n")[:1]
            ),
            other_offer=Exists(
                QueueEntry.objects.filter(
                    reader_id=reader_id, state=QueueEntry.State.OFFERED
                ).exclude(client=client)
            ),
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if entry is None:
        # Never queued for this reader: only "is an offer out?" matters.
        reserved = (
            check_reserved
            and QueueEntry.objects.filter(
                reader_id=reader_id, state=QueueEntry.State.OFFERED
            ).exists()
        )
        return QueueStatus(reserved_for_other=reserved)
    if entry.state in ACTIVE_QUEUE_STATES:
        return QueueStatus(
            entry=entry,
            position=(entry.ahead or 0) + 1,
            reserved_for_other=entry.other_offer,
        )
    lapsed = (
        entry.state == QueueEntry.State.LAPSED
        and entry.offer_expires_at is not None
        and entry.offer_expires_at > timezone.now() - RECENT_LAPSE
    )
    return QueueStatus(lapsed_recently=lapsed, reserved_for_other=entry.other_offer)


def offer_next(reader_id):
    """Offer the free reader to the first waiting client (one offer at a time)."""
    presence = _presence()
    with transaction.atomic():
        if not _pages().filter(user_id=reader_id, presence=presence.ONLINE).exists():
            return None
        if QueueEntry.objects.filter(reader_id=reader_id, state=QueueEntry.State.OFFERED).exists():
            return None
        entry = (
            QueueEntry.objects.select_for_update(skip_locked=True)
            .filter(reader_id=reader_id, state=QueueEntry.State.WAITING)
            .order_by("created_at", "id")
            .first()
        )
        if entry is None:
            return None
        now = db_now()
        entry.state = QueueEntry.State.OFFERED
        entry.offered_at = now
        entry.offer_expires_at = now + timedelta(seconds=offer_seconds())
        try:
            with transaction.atomic():
                entry.save(update_fields=["state", "offered_at", "offer_expires_at"])
        except IntegrityError:
            return None  # another transaction made the offer first
        events.notify_many(
            [
                (
                    events.queue_group_for(entry.client_id),
                    {
                        "type": "reading.event",
                        "event": "offer",
                        "session": "",
                        "reader_id": reader_id,
                        "expires_at": entry.offer_expires_at.isoformat(),
                    },
                )
            ]
        )
    return entry


def lapse_offers(limit=500):
    """Sweeper: offers not taken in time lapse; the next client in line gets the offer."""
    readers = set()
    with transaction.atomic():
        lapsed = list(
            QueueEntry.objects.select_for_update(skip_locked=True).filter(
                state=QueueEntry.State.OFFERED, offer_expires_at__lte=db_now()
            )[:limit]
        )
        for entry in lapsed:
            entry.state = QueueEntry.State.LAPSED
            entry.save(update_fields=["state"])
            readers.add(entry.reader_id)
    for reader_id in readers:
        offer_next(reader_id)
    return len(lapsed)


__all__ = [
    "set_presence",
    "presence_of",
    "mark_busy",
    "mark_free",
    "join_queue",
    "leave_queue",
    "position_in_queue",
    "queue_status",
    "QueueStatus",
    "offer_next",
    "lapse_offers",
    "record_heartbeat",
    "lapse_idle_readers",
]
