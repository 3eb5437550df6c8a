"""The double-entry ledger: accounts, transfers and their entries (legs), and two-phase holds.

Invariants kept by PostgreSQL itself (see migration 0002):
- the legs of a transfer sum to zero (statement-level trigger: every INSERT of entries must
  balance per transfer, so a transfer's legs are written in one statement);
- entries and transfers are append-only (triggers reject UPDATE and DELETE);
- an account's cached ``balance`` moves only with its entries (an AFTER INSERT trigger on entries
  adds the amount), so the cache always equals the sum of entries;
- accounts that may not go negative (client wallets, holds, reader earnings) never do (CHECK).
"""

import uuid

from django.conf import settings
from django.db import models


class LedgerAccount(models.Model):
    # No row of the ledger is "used" by content: none of this module's models is kept in
    # Wagtail's reference index, which would add writes to every save.
    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        CLIENT_WALLET = "client_wallet", "Client wallet"
        CLIENT_HOLDS = "client_holds", "Client reserved funds"
        CLIENT_OWED = "client_owed", "Client owes (negative balance)"
        READER_EARNINGS = "reader_earnings", "Reader earnings"
        PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
        STRIPE_CLEARING = "stripe_clearing", "Stripe clearing"
        PROMOTIONS = "promotions", "Promotions"
        REFUNDS = "refunds", "Refunds and credits"
        GIFT_CARDS = "gift_cards", "Gift cards not yet redeemed"

    # Kinds with one account per user; the others are platform-wide (owner is NULL).
    USER_KINDS = {
        Kind.CLIENT_WALLET,
        Kind.CLIENT_HOLDS,
        Kind.CLIENT_OWED,
        Kind.READER_EARNINGS,
    }
    # Gift cards outstanding hold what was paid for cards not yet redeemed: a redemption can
    # never take out more than was paid in.
    NON_NEGATIVE_KINDS = {
        Kind.CLIENT_WALLET,
        Kind.CLIENT_HOLDS,
        Kind.READER_EARNINGS,
        Kind.GIFT_CARDS,
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    currency = models.CharField(max_length=3, default="usd")
    balance = models.BigIntegerField(default=0, editable=False)
    may_go_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(may_go_negative=True) | models.Q(balance__gte=0),
                name="wallet_account_balance_non_negative",
            ),
            # Restricted kinds can never be flagged as allowed to go negative.
            models.CheckConstraint(
                condition=~models.Q(
                    kind__in=["client_wallet", "client_holds", "reader_earnings"],
                    may_go_negative=True,
                ),
                name="wallet_account_restricted_kinds",
            ),
            models.UniqueConstraint(
                fields=["kind", "owner", "currency"],
                name="wallet_account_one_per_owner",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=models.Q(owner__isnull=True),
                name="wallet_account_one_system_account",
            ),
        ]

    def __str__(self):
        owner = f" of {self.owner}" if self.owner_id else ""
        return f"{self.get_kind_display()}{owner} ({self.currency.upper()})"


class Purchase(models.Model):
    """One thing a client bought (a reading, a booking, later a message, a gift, a ticket, an
    order): every transfer that pays for it points here, so a statement shows one line per
    purchase instead of one per minute. Opened by a seller through ``wallet.sales``; not part of
    the append-only ledger (the seller may add its ``summary`` when the purchase is complete)."""

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        READING = "reading", "Live reading"
        BOOKING = "booking", "Booked reading"
        MESSAGE = "message", "Message reading"
        GIFT = "gift", "Gift"
        TICKET = "ticket", "Livestream ticket"
        ORDER = "order", "Shop order"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases"
    )
    # NULL: the platform sells (no reader share).
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sales",
    )
    # What the seller sells, unique: opening the same purchase twice returns the first one.
    reference = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=200)
    # What it came to in the seller's words ("10 min (3 free)"), set when it is complete.
    summary = models.CharField(max_length=200, blank=True)
    # Where the buyer reads about it (a reading's summary and transcript); may be empty.
    detail_url = models.CharField(max_length=300, blank=True)
    # The reader's share in force when the purchase was opened; later changes never reprice it.
    reader_share_percent = models.PositiveSmallIntegerField()
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reader_share_percent__lte=100),
                name="wallet_purchase_share_within_100",
            ),
            models.CheckConstraint(
                condition=models.Q(seller__isnull=False) | models.Q(reader_share_percent=0),
                name="wallet_purchase_platform_sale_has_no_share",
            ),
        ]
        indexes = [models.Index(fields=["client", "-created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"


class Transfer(models.Model):
    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        TOP_UP = "top_up", "Top-up"
        READING = "reading", "Reading"
        HOLD = "hold", "Funds reserved"
        HOLD_POST = "hold_post", "Reserved funds charged"
        HOLD_VOID = "hold_void", "Reserved funds released"
        REFUND = "refund", "Refund"
        DISPUTE = "dispute", "Dispute"
        CREDIT = "credit", "Credit"
        PAYOUT = "payout", "Payout"
        PURCHASE = "purchase", "Purchase"
        GIFT = "gift", "Gift"
        GIFT_CARD = "gift_card", "Gift card redeemed"
        MESSAGE = "message", "Paid message"
        REVERSAL = "reversal", "Reversal"
        ADJUSTMENT = "adjustment", "Adjustment"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Not indexed: no query looks transfers up by kind alone (history filters entries by
    # account first), and every index is paid on each of the billing sweep's inserts.
    kind = models.CharField(max_length=16, choices=Kind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    description = models.CharField(max_length=200, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The purchase this transfer pays (or holds, releases, refunds) for; set at insert like
    # every other column (transfers are append-only). No foreign-key constraint: a statement-
    # level trigger checks that each new transfer's purchase exists (migration 0013; a deferred
    # per-row check cost the billing sweep a lock and a lookup per minute), and purchases are
    # never deleted (a trigger refuses it).
    purchase = models.ForeignKey(
        Purchase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
        db_constraint=False,
    )

    class Meta:
        permissions = [
            ("grant_satisfaction_credit", "Can grant satisfaction credit on a reading"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.idempotency_key}"


class Entry(models.Model):
    """One leg of a transfer: a signed amount in minor units on one account."""

    wagtail_reference_index_ignore = True

    # No foreign-key constraint: the statement-level entry trigger checks that each new entry's
    # transfer exists (migration 0009; a deferred per-row check cost a fifth of a billing
    # sweep), and neither side can change afterwards (both tables are append-only).
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="entries", db_constraint=False
    )
    # The (account, -created_at) index below serves every lookup by account.
    account = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="wallet_entry_non_zero"),
        ]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self):
        return f"{self.amount:+d} on {self.account_id}"


class Hold(models.Model):
    """A two-phase reservation: funds moved from a wallet into the client's holds account, then
    posted (fully or partly) to their destinations or voided back. Resolves exactly once."""

    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        POSTED = "posted", "Posted"
        VOIDED = "voided", "Voided"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    wallet = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="holds")
    escrow = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    posted_amount = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    description = models.CharField(max_length=200, blank=True)
    hold_transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="+")
    resolve_transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_hold_positive"),
            models.CheckConstraint(
                condition=models.Q(posted_amount__gte=0, posted_amount__lte=models.F("amount")),
                name="wallet_hold_posted_within_amount",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="pending", resolve_transfer__isnull=True, posted_amount=0)
                    | models.Q(status="voided", resolve_transfer__isnull=False, posted_amount=0)
                    | models.Q(status="posted", resolve_transfer__isnull=False)
                ),
                name="wallet_hold_resolution_consistent",
            ),
        ]

    def __str__(self):
        return f"Hold {self.public_id} ({self.status})"


class GiftCard(models.Model):
    """Wallet credit someone bought for someone else: the price sits in the platform's gift
    cards account until the code is redeemed, once, into the redeemer's wallet. Only a digest of
    the code is kept; the code itself is shown and sent once, when the card is issued."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The sale that paid for it; ``reference`` names the card within it (unique: issuing the
    # same card twice returns the first).
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="gift_cards")
    reference = models.CharField(max_length=200, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    code_digest = models.CharField(max_length=64, unique=True)
    code_last4 = models.CharField(max_length=4)
    recipient_email = models.EmailField(blank=True)
    message = models.CharField(max_length=300, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redeemed_gift_cards",
    )
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeem_transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="wallet_giftcard_positive"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(redeemed_by__isnull=True, redeem_transfer__isnull=True)
                    | models.Q(redeemed_by__isnull=False, redeem_transfer__isnull=False)
                ),
                name="wallet_giftcard_redeemed_consistent",
            ),
        ]

    def __str__(self):
        return f"Gift card …{self.code_last4} ({'redeemed' if self.redeemed_by_id else 'open'})"


# Spending limits (client protection) ------------------------------------------------------------


class SpendingLimit(models.Model):
    """Limits a client sets on their own spending over rolling windows (cents; NULL = no limit).

    Lowering a limit applies at once; raising or removing one waits ``pending_effective_at``
    (a cooling-off delay, ``SPENDING_LIMIT_INCREASE_DELAY``) so a limit set in a calm moment
    protects the client in a less calm one. Pending values live in ``pending`` (a dict of the
    period names that change, value cents or None) until then.
    """

    PERIODS = ("daily", "weekly", "monthly")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="spending_limit"
    )
    daily = models.PositiveBigIntegerField(null=True, blank=True)
    weekly = models.PositiveBigIntegerField(null=True, blank=True)
    monthly = models.PositiveBigIntegerField(null=True, blank=True)
    pending = models.JSONField(default=dict, blank=True)
    pending_effective_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Spending limits of {self.user}"

    def limits_at(self, now):
        """The limits in force at ``now``: {period: cents or None}."""
        limits = {period: getattr(self, period) for period in self.PERIODS}
        if self.pending and self.pending_effective_at and self.pending_effective_at <= now:
            limits.update({p: v for p, v in self.pending.items() if p in self.PERIODS})
        return limits


# Stripe money flows -----------------------------------------------------------------------------


class TopUp(models.Model):
    """One attempt to add money to a client's wallet with a Stripe PaymentIntent.

    The row exists before the PaymentIntent does (its ``public_id`` travels in the PaymentIntent's
    metadata), so a webhook that arrives before the API call returns still finds its owner. The
    wallet is credited only by the verified ``payment_intent.succeeded`` webhook.
    """

    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        CREATED = "created", "Created"
        PROCESSING = "processing", "Processing"
        REQUIRES_ACTION = "requires_action", "Needs authentication"
        SUCCEEDED = "succeeded", "Added to wallet"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        PAGE = "page", "Top-up page"
        AUTO_RELOAD = "auto_reload", "Auto-reload"
        CARD_SALE = "card_sale", "Card payment for a sale"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="top_ups"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PAGE)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.CREATED, db_index=True
    )
    payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    credit_transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refunded_amount = models.BigIntegerField(default=0)
    # A card payment for one sale (source CARD_SALE): the purchase reference of what it pays
    # for ("order:<uuid>"). Its credit is spent on that sale by the seller's handler
    # (``wallet.card_sales``), in the webhook's transaction, or refunded to the card.
    sale_reference = models.CharField(max_length=100, blank=True)
    # Set when Stripe's PaymentIntent disagrees with the top-up or with its event (see
    # payments.credit_top_up); staff find these in the admin's Top-ups listing.
    needs_review = models.BooleanField(default=False)
    review_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_topup_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount")),
                name="wallet_topup_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(source="card_sale") ^ models.Q(sale_reference=""),
                name="wallet_topup_card_sale_has_reference",
            ),
        ]

    def __str__(self):
        return f"Top-up {self.public_id} ({self.status})"

    @property
    def is_final(self):
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}


class AutoReload(models.Model):
    """A client's standing order: top up ``amount`` with a saved card whenever the wallet drops
    under ``threshold``, at most ``daily_limit`` times in any 24 hours."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auto_reload"
    )
    enabled = models.BooleanField(default=False)
    threshold = models.BigIntegerField()
    amount = models.BigIntegerField()
    payment_method_id = models.CharField(max_length=255)
    daily_limit = models.PositiveSmallIntegerField(default=3)
    last_failure_message = models.CharField(max_length=300, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=0, amount__gt=0, daily_limit__gt=0),
                name="wallet_autoreload_positive",
            ),
        ]

    def __str__(self):
        return f"Auto-reload for {self.user} ({'on' if self.enabled else 'off'})"


class PayoutAccount(models.Model):
    """A reader's Stripe Connect Express account, with its status mirrored from Stripe."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account"
    )
    stripe_account_id = models.CharField(max_length=255, unique=True)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.stripe_account_id} ({self.user})"

    @property
    def ready(self):
        return self.details_submitted and self.payouts_enabled


class PayoutRequest(models.Model):
    """Money a reader asked to be paid out: the ledger moves reader_earnings → stripe_clearing,
    then a Stripe Transfer (idempotency key = this row's id) sends it to their Connect account.
    A failed Transfer reverses the ledger move."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        PAID = "paid", "Sent"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_requests"
    )
    account = models.ForeignKey(PayoutAccount, on_delete=models.PROTECT, related_name="payouts")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    stripe_transfer_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    ledger_transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="+")
    reversal_transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    failure_message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_payout_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="failed", reversal_transfer__isnull=True),
                name="wallet_payout_failed_is_reversed",
            ),
        ]

    def __str__(self):
        return f"Payout {self.public_id} ({self.status})"
