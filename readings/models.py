"""The readings engine: live sessions, the minutes they were billed for, reader request stats
and the "call me when free" queue.

Time is database time everywhere (``now()``/``clock_timestamp()`` in SQL), never the web or
worker clock. The state machine lives in ``readings.services`` (``TRANSITIONS``); billing in
``readings.billing``.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models

from home.storage import private_storage

OPEN_STATES = ("requested", "accepted", "active", "paused")
LIVE_STATES = ("accepted", "active", "paused")


class ReadingSession(models.Model):
    """A live reading between a client and a reader, billed per minute.

    Billing bookkeeping: ``billed_minutes`` counts the minutes already accounted for (free and
    paid, indices ``0 .. billed_minutes-1``); ``next_minute_at`` is the database time at which
    minute ``billed_minutes`` starts (``started_at + paused_total + billed_minutes * 60 s``), so
    the sweeper finds due sessions with one indexed range scan.
    """

    # Written at every state change: Wagtail's reference index would only add writes.
    wagtail_reference_index_ignore = True

    class Channel(models.TextChoices):
        CHAT = "chat", "Chat"
        VOICE = "voice", "Voice"
        VIDEO = "video", "Video"

    class State(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    class EndReason(models.TextChoices):
        CLIENT = "client", "Ended by the client"
        READER = "reader", "Ended by the reader"
        INSUFFICIENT_FUNDS = "insufficient_funds", "Wallet balance ran out"
        SPENDING_LIMIT = "spending_limit", "Spending limit reached"
        DISCONNECTED = "disconnected", "Connection lost for too long"
        STAFF = "staff", "Ended by staff"
        # A booked reading whose booked time ran out (readings.bookings).
        BOOKED_TIME_OVER = "booked_time_over", "Booked time is over"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Lookups by client use readings_pair_idx (client, reader, state).
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="readings_as_client",
        db_index=False,
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="readings_as_reader"
    )
    reader_page = models.ForeignKey(
        "readers.ReaderPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reading_sessions",
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # No plain index on state: the sweepers' lookups have small partial indexes below, and an
    # index every billing update had to write (a live session's row is rewritten every minute).
    state = models.CharField(max_length=12, choices=State.choices, default=State.REQUESTED)
    rate_cents = models.PositiveIntegerField()
    # Captured at request time so a settings change never re-prices a running reading.
    reader_share_percent = models.PositiveSmallIntegerField(default=70)
    # What the client buys (``wallet.sales``): every minute's transfer pays for it. NULL only
    # for sessions of a booking (the booking is the purchase) and ones older than purchases.
    purchase = models.OneToOneField(
        "wallet.Purchase", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    free_minutes = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_total = models.DurationField(default=timedelta(0))
    next_minute_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    billed_minutes = models.PositiveIntegerField(default=0)
    paid_minutes = models.PositiveIntegerField(default=0)
    total_cents = models.PositiveIntegerField(default=0)
    reader_earned_cents = models.PositiveIntegerField(default=0)
    low_balance_notified = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(client=models.F("reader")), name="readings_not_self"
            ),
            models.CheckConstraint(condition=models.Q(rate_cents__gt=0), name="readings_rate_pos"),
            models.CheckConstraint(
                condition=models.Q(reader_share_percent__lte=100),
                name="readings_share_le_100",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_minutes__lte=models.F("billed_minutes")),
                name="readings_paid_within_billed",
            ),
            # A client has at most one open reading: two requests at once create one session.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(state__in=OPEN_STATES),
                name="readings_one_open_per_client",
            ),
            # A reader serves at most one reading at a time.
            models.UniqueConstraint(
                fields=["reader"],
                condition=models.Q(state__in=LIVE_STATES),
                name="readings_one_live_per_reader",
            ),
        ]
        indexes = [
            # The billing sweep's scan of active sessions. Deliberately not on next_minute_at:
            # no column the per-minute update writes is indexed, so PostgreSQL can update the row
            # in place (HOT, with the free space fillfactor leaves on each page, migration 0005)
            # without adding an entry to each of the table's indexes every minute.
            models.Index(
                fields=["id"], condition=models.Q(state="active"), name="readings_active_idx"
            ),
            models.Index(
                fields=["expires_at"],
                condition=models.Q(state="requested"),
                name="readings_requested_idx",
            ),
            models.Index(
                fields=["paused_at"], condition=models.Q(state="paused"), name="readings_paused_idx"
            ),
            models.Index(fields=["client", "reader", "state"], name="readings_pair_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} reading {self.public_id}"

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def group_name(self):
        """The Channels group every party of this reading listens to."""
        return f"reading_{self.public_id}"


class BilledMinute(models.Model):
    """One minute of a reading, accounted for exactly once (UNIQUE session, minute_index).

    Free intro minutes have ``amount_cents == 0`` and no transfer; paid minutes point to their
    wallet transfer (idempotency key ``reading:<session id>:minute:<minute_index>``).
    """

    # Lookups by session use the UNIQUE (session, minute_index) index.
    session = models.ForeignKey(
        ReadingSession, on_delete=models.PROTECT, related_name="minutes", db_index=False
    )
    minute_index = models.PositiveIntegerField()
    amount_cents = models.PositiveIntegerField()
    reader_cents = models.PositiveIntegerField(default=0)
    transfer = models.OneToOneField(
        "wallet.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    billed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "minute_index"], name="readings_minute_once"
            ),
            models.CheckConstraint(
                condition=models.Q(reader_cents__lte=models.F("amount_cents")),
                name="readings_minute_split_within_amount",
            ),
        ]

    def __str__(self):
        return f"minute {self.minute_index} of {self.session_id}"


class ReaderRequestStats(models.Model):
    """Per-reader counters about reading requests (missed = expired unanswered)."""

    reader = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_request_stats"
    )
    missed_requests = models.PositiveIntegerField(default=0)
    last_missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "reader request stats"

    def __str__(self):
        return f"{self.reader}: {self.missed_requests} missed"


class QueueEntry(models.Model):
    """A client waiting for a busy reader ("call me when free"). When the reader is free the
    first waiting entry is *offered* (the client has ``READING_QUEUE_OFFER_SECONDS`` to start);
    an offer that runs out moves on to the next in line."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered"
        TAKEN = "taken", "Taken"
        LAPSED = "lapsed", "Offer lapsed"
        LEFT = "left", "Left the queue"

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_queue_entries"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_queue"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "reader"],
                condition=models.Q(state__in=["waiting", "offered"]),
                name="readings_queue_once_per_pair",
            ),
            # One offer out at a time per reader.
            models.UniqueConstraint(
                fields=["reader"],
                condition=models.Q(state="offered"),
                name="readings_queue_one_offer",
            ),
        ]

    def __str__(self):
        return f"{self.client} waiting for {self.reader} ({self.state})"


# Transport: chat transcript and reader notes (owned by the reading-room transport) -------------


class ChatMessage(models.Model):
    """One chat message of a reading; together they are the transcript both sides can read
    and download afterwards. Written only by ``readings.chat.post_message``."""

    session = models.ForeignKey(ReadingSession, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reading_messages"
    )
    body = models.TextField(max_length=2000)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["session", "sent_at"], name="readings_chat_session_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body=""), name="readings_chat_body_not_empty"
            )
        ]

    def __str__(self):
        return f"message {self.pk} in {self.session_id}"


class ReaderNote(models.Model):
    """A reader's private note about one client, kept across their readings together. Only that
    reader ever sees it."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_notes"
    )
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(blank=True, max_length=5000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reader", "client"], name="readings_note_per_pair")
        ]

    def __str__(self):
        return f"note by {self.reader_id} about {self.client_id}"


# Bookings (issue 6): scheduled readings paid from a wallet hold --------------------------------

# A booking in these states owns its time slot (the exclusion constraint below).
BOOKING_SLOT_STATES = ("pending", "accepted", "in_progress")


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Booking(models.Model):
    """A client's booked reading with one reader at a fixed time, paid from a wallet hold placed
    when booking. Every change goes through ``readings.bookings``; the reading itself is a normal
    ``ReadingSession`` (``session``) that is paid from the hold, never by the per-minute sweeper.

    ``charged_cents`` is what was finally posted from the hold (0 while unresolved or voided).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for the reader"
        ACCEPTED = "accepted", "Confirmed"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Not answered in time"
        NO_SHOW_CLIENT = "no_show_client", "Client did not come"
        NO_SHOW_READER = "no_show_reader", "Reader did not come"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings_as_client"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings_as_reader"
    )
    reader_page = models.ForeignKey(
        "readers.ReaderPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
    )
    channel = models.CharField(max_length=8, choices=ReadingSession.Channel.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    length_minutes = models.PositiveSmallIntegerField()
    # Captured when booking so a later rate or share change never re-prices it.
    rate_cents = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    reader_share_percent = models.PositiveSmallIntegerField(default=70)
    purchase = models.OneToOneField(
        "wallet.Purchase", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    hold = models.ForeignKey(
        "wallet.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session = models.OneToOneField(
        ReadingSession,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="booking",
    )
    charged_cents = models.PositiveIntegerField(default=0)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    client_joined_at = models.DateTimeField(null=True, blank=True)
    reader_joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["client", "starts_at"], name="readings_booking_client_idx"),
            models.Index(fields=["reader", "starts_at"], name="readings_booking_reader_idx"),
            models.Index(
                fields=["starts_at"],
                condition=models.Q(state__in=BOOKING_SLOT_STATES),
                name="readings_booking_open_idx",
            ),
        ]
        constraints = [
            # No double booking, decided by the database: two bookings of one reader whose
            # [starts_at, ends_at) ranges overlap cannot both hold the slot.
            ExclusionConstraint(
                name="readings_booking_no_overlap",
                expressions=[
                    ("reader", RangeOperators.EQUAL),
                    (
                        TsTzRange("starts_at", "ends_at", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=models.Q(state__in=BOOKING_SLOT_STATES),
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="readings_booking_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(client=models.F("reader")), name="readings_booking_not_self"
            ),
            models.CheckConstraint(
                condition=models.Q(length_minutes__gt=0, rate_cents__gt=0),
                name="readings_booking_length_rate_pos",
            ),
            models.CheckConstraint(
                condition=models.Q(reader_share_percent__lte=100),
                name="readings_booking_share_le_100",
            ),
            models.CheckConstraint(
                condition=models.Q(charged_cents__lte=models.F("price_cents")),
                name="readings_booking_charged_within_price",
            ),
        ]

    def __str__(self):
        return f"Booking {self.public_id} ({self.state})"

    @property
    def holds_slot(self):
        return self.state in BOOKING_SLOT_STATES


# Messages (issue 14): paid message readings and the client–reader inbox --------------------------


class MessageOffer(models.Model):
    """One of a reader's paid message readings: what it costs and how soon they promise to
    reply ("24-hour reading", "Rush, 4 hours"), within the staff's limits
    (``MarketplaceSettings.message_*``). Changed only by ``readings.messaging``; an offer that
    was used is retired (``active=False``), never edited, so a request keeps what it promised."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_offers"
    )
    title = models.CharField(max_length=80)
    price_cents = models.PositiveIntegerField()
    reply_hours = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reply_hours", "price_cents", "id"]
        indexes = [models.Index(fields=["reader", "active"], name="readings_offer_reader_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_cents__gt=0, reply_hours__gt=0),
                name="readings_offer_positive",
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.reader_id})"


class MessageThread(models.Model):
    """The one conversation between a client and a reader. Free follow-ups are open until
    ``follow_ups_until`` (``MESSAGE_FOLLOW_UP_DAYS`` after the last paid reply); outside that
    window the client writes by asking for a paid reading. ``*_read_at`` is when each side last
    read the thread (read receipts, unread counts)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_threads"
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reader_threads"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    follow_ups_until = models.DateTimeField(null=True, blank=True)
    client_read_at = models.DateTimeField(null=True, blank=True)
    reader_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "reader"], name="readings_thread_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(client=models.F("reader")), name="readings_thread_two_people"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="readings_thread_client_idx"),
            models.Index(fields=["reader", "-last_message_at"], name="readings_thread_reader_idx"),
        ]

    def __str__(self):
        return f"thread {self.public_id}"


class MessageRequest(models.Model):
    """A paid message reading: the client's question in a thread, paid into a reservation
    (``wallet.sales.reserve``) at the offer's price, with the promised reply time copied. The
    reader's reply captures it (``answered``); no reply by ``deadline`` releases it
    (``expired``). Each resolves exactly once (``readings.messaging``)."""

    class State(models.TextChoices):
        AWAITING = "awaiting", "Awaiting reply"
        ANSWERED = "answered", "Answered"
        EXPIRED = "expired", "Not answered in time"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    thread = models.ForeignKey(MessageThread, on_delete=models.PROTECT, related_name="requests")
    offer = models.ForeignKey(
        MessageOffer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=80)
    price_cents = models.PositiveIntegerField()
    reply_hours = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.AWAITING)
    purchase = models.OneToOneField(
        "wallet.Purchase", on_delete=models.PROTECT, related_name="message_request"
    )
    hold = models.OneToOneField("wallet.Hold", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The deadline sweep: awaiting requests by deadline.
            models.Index(
                fields=["deadline"],
                condition=models.Q(state="awaiting"),
                name="readings_msgreq_due_idx",
            )
        ]
        constraints = [
            # One open paid request per thread at a time.
            models.UniqueConstraint(
                fields=["thread"],
                condition=models.Q(state="awaiting"),
                name="readings_msgreq_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(state="awaiting") | models.Q(resolved_at__isnull=False),
                name="readings_msgreq_resolved_at",
            ),
        ]

    def __str__(self):
        return f"message request {self.public_id} ({self.state})"


class Message(models.Model):
    """One message of a thread. A message whose text shares contact details is ``held`` until
    staff clear it (only its sender sees it meanwhile); ``request`` links a paid question
    (``kind`` question) or the reply that answered it (``kind`` reply)."""

    class Kind(models.TextChoices):
        TEXT = "text", "Message"
        QUESTION = "question", "Paid question"
        REPLY = "reply", "Paid reply"

    class Review(models.TextChoices):
        NONE = "", "Not held"
        HELD = "held", "Held for review"
        CLEARED = "cleared", "Cleared by staff"
        REMOVED = "removed", "Removed by staff"

    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sent_messages"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    request = models.ForeignKey(
        MessageRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)
    review = models.CharField(max_length=8, choices=Review.choices, default="", blank=True)
    review_reason = models.CharField(max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at"], name="readings_message_thread_idx"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(review="held"),
                name="readings_message_held_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body=""), name="readings_message_body_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="text") | models.Q(request__isnull=False),
                name="readings_message_paid_has_request",
            ),
        ]

    def __str__(self):
        return f"message {self.pk} in {self.thread_id}"

    @property
    def is_visible_to_other_side(self):
        return self.review in ("", "cleared")


class MessageAttachment(models.Model):
    """A file sent with a message (an image, audio or a PDF), checked by its content, kept in
    the private storage and served only to the thread's two people."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to="messages/%Y/%m/", max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    name = models.CharField(max_length=200)

    def __str__(self):
        return self.name


class Block(models.Model):
    """``blocker`` does not want to hear from ``blocked``: neither may message, start a reading,
    book or join the other's line while it stands (``readings.blocks.is_blocked``)."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="readings_block_once"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="readings_block_not_self"
            ),
        ]
