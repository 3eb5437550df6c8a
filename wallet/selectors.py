"""Reads for the wallet pages: what a user sees of their own money, with the query shape fixed
once (one query for the balances, two for a page of history whatever its length, four for a
purchase's receipt whatever its number of minutes).

History shows purchases, not minutes: the entries of transfers that pay for one purchase
(``Transfer.purchase``) make one line per account, grouped in SQL (window functions over the
filtered entries, so a page is one query however many minutes a reading had); every other entry
is a line of its own, explained by ``explain``."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from home.csv import text_cell

from .models import Entry, Hold, LedgerAccount, Purchase, SpendingLimit, Transfer
from .money import decimal_string, format_cents

Kind = LedgerAccount.Kind
TransferKind = Transfer.Kind
PurchaseKind = Purchase.Kind

# History filter: the label a person understands -> the transfer kinds behind it.
HISTORY_CATEGORIES = {
    "top_ups": ("Top-ups", [TransferKind.TOP_UP]),
    "readings": ("Readings", [TransferKind.READING, TransferKind.MESSAGE]),
    "purchases": ("Shop and gifts", [TransferKind.PURCHASE, TransferKind.GIFT]),
    "refunds": (
        "Refunds and credits",
        [
            TransferKind.REFUND,
            TransferKind.CREDIT,
            TransferKind.REVERSAL,
            TransferKind.DISPUTE,
            TransferKind.GIFT_CARD,
        ],
    ),
    "holds": (
        "Reserved funds",
        [TransferKind.HOLD, TransferKind.HOLD_POST, TransferKind.HOLD_VOID],
    ),
    "payouts": ("Payouts", [TransferKind.PAYOUT]),
}
HISTORY_PAGE_SIZE = 20


@dataclass
class WalletSummary:
    balance: int = 0
    reserved: int = 0
    earnings: int = 0
    has_earnings_account: bool = False
    currency: str = "usd"

    @property
    def total(self):
        return self.balance + self.reserved


def wallet_summary(user, request=None):
    """Balance, reserved and earnings of ``user`` in ONE query (no accounts are created).

    With ``request`` the result is memoised on it, so the header chip and the page share it.
    """
    if request is not None and hasattr(request, "_wallet_summary"):
        return request._wallet_summary
    summary = WalletSummary()
    if user is not None and user.is_authenticated:
        rows = LedgerAccount.objects.filter(
            owner=user, kind__in=[Kind.CLIENT_WALLET, Kind.CLIENT_HOLDS, Kind.READER_EARNINGS]
        ).values_list("kind", "balance", "currency")
        for kind, balance, currency in rows:
            summary.currency = currency
            if kind == Kind.CLIENT_WALLET:
                summary.balance += balance
            elif kind == Kind.CLIENT_HOLDS:
                summary.reserved += balance
            else:
                summary.earnings += balance
                summary.has_earnings_account = True
    if request is not None:
        request._wallet_summary = summary
    return summary


def history_entries(user, *, category="", date_from=None, date_to=None):
    """The user's own wallet (and earnings) entries, newest first, with their transfers.

    Holds accounts are left out: reserving moves money wallet -> holds, and the wallet side
    already tells that story ("Reserved for ...").
    """
    entries = (
        Entry.objects.filter(
            account__owner=user, account__kind__in=[Kind.CLIENT_WALLET, Kind.READER_EARNINGS]
        )
        .select_related("transfer", "account")
        .order_by("-created_at", "-id")
    )
    if category in HISTORY_CATEGORIES:
        entries = entries.filter(transfer__kind__in=HISTORY_CATEGORIES[category][1])
    tz = timezone.get_current_timezone()
    if date_from:
        entries = entries.filter(created_at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tz)
        entries = entries.filter(created_at__lt=end)
    return entries


def history_line_entries(user, *, category="", date_from=None, date_to=None):
    """The history as lines, newest first: one entry per line (its latest), annotated with the
    line's figures. The entries of one purchase on one account make one line; any other entry
    is a line of its own. Filters apply to entries first, so a purchase line holds those of its
    entries that match. One query per page (plus the paginator's count), whatever the number of
    entries behind each line.

    Annotations: ``line_total`` (sum of the line's amounts), ``line_entries`` (how many),
    ``line_minutes`` (how many are per-minute reading charges), ``line_posted`` and
    ``line_voided`` (how many capture or release a reservation)."""
    entries = history_entries(user, category=category, date_from=date_from, date_to=date_to)
    # Purchase ids are positive and entry ids negated: one key, no collision between the two.
    line = [
        F("account_id"),
        Coalesce(F("transfer__purchase_id"), -F("id"), output_field=BigIntegerField()),
    ]

    def per_line(expression):
        return Window(expression, partition_by=line)

    return (
        entries.select_related("transfer__purchase__client")
        .annotate(
            line_rank=Window(
                RowNumber(), partition_by=line, order_by=[F("created_at").desc(), F("id").desc()]
            ),
            line_total=per_line(Sum("amount")),
            line_entries=per_line(Count("id")),
            line_minutes=per_line(Count("id", filter=Q(transfer__kind=TransferKind.READING))),
            line_posted=per_line(Count("id", filter=Q(transfer__kind=TransferKind.HOLD_POST))),
            line_voided=per_line(Count("id", filter=Q(transfer__kind=TransferKind.HOLD_VOID))),
        )
        .filter(line_rank=1)
        .order_by("-created_at", "-id")
    )


def pending_holds(user):
    return Hold.objects.filter(wallet__owner=user, status=Hold.Status.PENDING).order_by(
        "expires_at", "created_at"
    )


def user_transfer(user, public_id):
    """A transfer that touched one of ``user``'s accounts, or None (never someone else's)."""
    return (
        Transfer.objects.filter(public_id=public_id, entries__account__owner=user)
        .select_related("purchase")
        .distinct()
        .first()
    )


def spending_limit_of(user):
    return SpendingLimit.objects.filter(user=user).first()


# Explaining a line ------------------------------------------------------------------------------


@dataclass
class HistoryLine:
    """One line of the history: one entry, or (``purchase`` set) all the entries of one
    purchase on one account, whose latest is ``entry``."""

    entry: Entry
    title: str
    detail: str = ""
    icon: str = "coin"
    tags: list = field(default_factory=list)
    purchase: Purchase | None = None
    total: int | None = None  # a purchase line's sum; None: the entry's own amount
    count: int = 1  # entries behind the line
    minutes: int = 0  # per-minute charges among them

    @property
    def amount(self):
        return self.entry.amount if self.total is None else self.total

    @property
    def is_earnings(self):
        return self.entry.account.kind == Kind.READER_EARNINGS


def _card(metadata):
    brand = metadata.get("card_brand") or metadata.get("brand") or ""
    last4 = metadata.get("card_last4") or metadata.get("last4") or ""
    if not last4:
        return ""
    return f"{brand.replace('_', ' ').title() or 'Card'} •{last4}"


def _minutes(metadata):
    minutes = metadata.get("minutes")
    if minutes in (None, ""):
        return ""
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        return ""
    return f"{minutes} min"


def explain(entry):
    """A line a person can read: "Reading with Luna, 12 min", "Top-up, Visa •4242", ..."""
    transfer = entry.transfer
    meta = transfer.metadata or {}
    desc = transfer.description
    kind = transfer.kind
    reader = meta.get("reader_name") or ""
    client = meta.get("client_name") or ""
    earnings = entry.account.kind == Kind.READER_EARNINGS

    if kind == TransferKind.TOP_UP:
        title = "Top-up (auto-reload)" if meta.get("source") == "auto_reload" else "Top-up"
        return HistoryLine(entry, title, _card(meta) or desc, icon="plus")
    if kind in (TransferKind.READING, TransferKind.MESSAGE):
        noun = "Message reading" if kind == TransferKind.MESSAGE else "Reading"
        if earnings:
            title = f"{noun} with {client}" if client else f"Earnings from a {noun.lower()}"
        else:
            title = f"{noun} with {reader}" if reader else (desc or noun)
        parts = [p for p in (_minutes(meta), meta.get("channel", "").title()) if p]
        return HistoryLine(entry, title, ", ".join(parts) or desc, icon="moon")
    if kind == TransferKind.HOLD:
        what = desc or "a booking"
        return HistoryLine(entry, f"Reserved for {what[0].lower()}{what[1:]}", "", icon="lock")
    if kind == TransferKind.HOLD_VOID:
        return HistoryLine(entry, "Reserved funds released", desc, icon="unlock")
    if kind == TransferKind.HOLD_POST:
        if earnings:
            return HistoryLine(entry, desc or "Earnings", "From reserved funds", icon="moon")
        return HistoryLine(entry, "Unused reserved funds returned", desc, icon="unlock")
    if kind == TransferKind.CREDIT:
        reason = meta.get("reason", "")
        if earnings:
            return HistoryLine(entry, "Satisfaction credit given to a client", reason, icon="heart")
        return HistoryLine(entry, desc or "Credit", reason, icon="heart")
    if kind in (TransferKind.REFUND, TransferKind.REVERSAL, TransferKind.DISPUTE):
        label = transfer.get_kind_display()
        return HistoryLine(entry, desc or label, meta.get("reason", ""), icon="undo")
    if kind == TransferKind.GIFT_CARD:
        return HistoryLine(entry, "Gift card redeemed", desc, icon="heart")
    if kind == TransferKind.PAYOUT:
        return HistoryLine(entry, "Payout to your bank", desc, icon="bank")
    if kind in (TransferKind.PURCHASE, TransferKind.GIFT):
        return HistoryLine(entry, desc or transfer.get_kind_display(), "", icon="bag")
    return HistoryLine(entry, desc or transfer.get_kind_display(), "")


def _top_up_details(entries):
    """Card and source of the top-ups among ``entries``, in two queries for the whole page:
    {transfer_id: {"card_brand", "card_last4", "source"}}."""
    from .models import TopUp

    ids = {
        e.transfer_id
        for e in entries
        if e.transfer.kind == TransferKind.TOP_UP and not _card(e.transfer.metadata or {})
    }
    if not ids:
        return {}
    top_ups = list(
        TopUp.objects.filter(credit_transfer_id__in=ids).values_list(
            "credit_transfer_id", "payment_method_id", "source"
        )
    )
    cards = {}
    method_ids = {pm for _t, pm, _s in top_ups if pm}
    if method_ids:
        from djstripe.models import PaymentMethod

        for method in PaymentMethod.objects.filter(id__in=method_ids).only("id", "stripe_data"):
            card = (method.stripe_data or {}).get("card") or {}
            cards[method.id] = {
                "card_brand": card.get("brand", ""),
                "card_last4": card.get("last4"),
            }
    return {
        transfer_id: {**cards.get(pm, {}), "source": source} for transfer_id, pm, source in top_ups
    }


def _name(user):
    return (user.display_name or user.username) if user is not None else ""


def _purchase_detail(purchase, entry, earnings):
    """What a purchase came to: the seller's summary once set, else what the ledger tells."""
    if purchase.summary:
        return purchase.summary
    if purchase.kind == PurchaseKind.BOOKING:
        if entry.line_posted:
            return "From reserved funds" if earnings else "Charged"
        return "Released" if entry.line_voided else "Reserved"
    minutes = entry.line_minutes
    if purchase.kind == PurchaseKind.READING or minutes:
        return f"{minutes} min so far" if minutes else "In progress"
    return ""


def _purchase_icon(purchase, entry):
    if purchase.kind == PurchaseKind.BOOKING and not entry.line_posted:
        return "unlock" if entry.line_voided else "lock"
    if purchase.kind in (PurchaseKind.GIFT, PurchaseKind.TICKET, PurchaseKind.ORDER):
        return "bag"
    return "moon"


def purchase_title(purchase, *, earnings):
    """The client reads the purchase's description ("Chat reading with Aurora Vale"); the
    seller reads what they sold and to whom ("Chat reading for Ann")."""
    if not earnings:
        return purchase.description
    client = _name(purchase.client)
    if purchase.kind == PurchaseKind.READING:
        channel = CHANNEL_LABELS.get((purchase.metadata or {}).get("channel"), "Live")
        return f"{channel} reading for {client}"
    return f"{purchase.get_kind_display()} for {client}"


def explain_purchase(entry):
    """The line of a purchase on one account, from its latest ``entry`` (annotated by
    ``history_line_entries``)."""
    purchase = entry.transfer.purchase
    earnings = entry.account.kind == Kind.READER_EARNINGS
    return HistoryLine(
        entry,
        purchase_title(purchase, earnings=earnings),
        _purchase_detail(purchase, entry, earnings),
        icon=_purchase_icon(purchase, entry),
        purchase=purchase,
        total=entry.line_total,
        count=entry.line_entries,
        minutes=entry.line_minutes,
    )


def history_lines(entries):
    """Lines a person can read for ``entries``: a purchase line for an entry annotated by
    ``history_line_entries`` whose transfer pays a purchase, ``explain`` for any other."""
    entries = list(entries)
    top_ups = _top_up_details(entries)
    lines = []
    for entry in entries:
        if entry.transfer.purchase_id and getattr(entry, "line_total", None) is not None:
            lines.append(explain_purchase(entry))
            continue
        extra = top_ups.get(entry.transfer_id)
        if extra:
            entry.transfer.metadata = {**extra, **(entry.transfer.metadata or {})}
        lines.append(explain(entry))
    return lines


# A purchase's receipt -----------------------------------------------------------------------------

RECEIPT_PAGE_SIZE = 60  # movements per receipt page (a long reading has one per minute)
RECEIPT_PREVIEW_SIZE = 10  # movements shown when a history line is opened in place


def user_purchase(user, public_id):
    """A purchase ``user`` bought, sold or earned a part of, or None (never anyone else's,
    whatever the id)."""
    if user is None or not user.is_authenticated:
        return None
    # A reader paid a part of a sale of several sellers' things (a shop order) earned from it
    # without being its seller.
    earned = Entry.objects.filter(
        transfer__purchase=OuterRef("pk"), account__owner=user, account__kind=Kind.READER_EARNINGS
    )
    return (
        Purchase.objects.filter(public_id=public_id)
        .filter(Q(client=user) | Q(seller=user) | Exists(earned))
        .select_related("client", "seller")
        .first()
    )


@dataclass
class ReceiptLine:
    """One movement of a purchase as its receipt lists it; ``amount`` is what it did to the
    user's balance (None: nothing, e.g. a reservation charged in full)."""

    transfer: Transfer
    label: str
    detail: str = ""
    amount: int | None = None


@dataclass
class PurchaseReceipt:
    purchase: Purchase
    as_seller: bool
    title: str
    total: int  # paid by the client (reserved funds not counted) or earned by the seller
    reserved: int  # still reserved for it (client only)
    movements: int  # how many transfers the user's accounts took part in

    @property
    def detail(self):
        return self.purchase.summary

    @property
    def detail_url(self):
        """Where the seller tells more (the reading's summary and transcript): a path on this
        site or an https address, never anything a browser would run."""
        url = self.purchase.detail_url or ""
        if (url.startswith("/") and not url.startswith("//")) or url.startswith("https://"):
            return url
        return ""

    @property
    def icon(self):
        if self.purchase.kind in (PurchaseKind.GIFT, PurchaseKind.TICKET, PurchaseKind.ORDER):
            return "bag"
        return "lock" if self.reserved and not self.total else "moon"


def _receipt_kinds(as_seller):
    if as_seller:
        return (Kind.READER_EARNINGS,), Kind.READER_EARNINGS
    return (Kind.CLIENT_WALLET, Kind.CLIENT_HOLDS), Kind.CLIENT_WALLET


def purchase_receipt(user, purchase):
    """The figures of ``purchase`` for ``user`` (its client or its seller), in one query."""
    as_seller = purchase.client_id != user.pk
    kinds, main = _receipt_kinds(as_seller)
    figures = Entry.objects.filter(
        transfer__purchase=purchase, account__owner=user, account__kind__in=kinds
    ).aggregate(
        main=Sum("amount", filter=Q(account__kind=main)),
        held=Sum("amount", filter=Q(account__kind=Kind.CLIENT_HOLDS)),
        movements=Count("transfer_id", distinct=True),
    )
    main_sum, held = figures["main"] or 0, figures["held"] or 0
    return PurchaseReceipt(
        purchase=purchase,
        as_seller=as_seller,
        title=purchase_title(purchase, earnings=as_seller),
        total=main_sum if as_seller else -(main_sum + held),
        reserved=0 if as_seller else held,
        movements=figures["movements"],
    )


def purchase_movements(user, purchase):
    """The transfers of ``purchase`` that moved ``user``'s money, oldest first, each with
    ``amount`` (on the wallet, or the earnings for the seller) and ``held`` (on the client's
    reserved funds). A queryset: paginate it (one query per page)."""
    as_seller = purchase.client_id != user.pk
    kinds, main = _receipt_kinds(as_seller)
    return (
        Transfer.objects.filter(
            purchase=purchase, entries__account__owner=user, entries__account__kind__in=kinds
        )
        .annotate(
            amount=Sum("entries__amount", filter=Q(entries__account__kind=main)),
            held=Sum("entries__amount", filter=Q(entries__account__kind=Kind.CLIENT_HOLDS)),
        )
        .order_by("created_at", "id")
    )


def purchase_preview(user, purchase):
    """``(lines, more)``: the first ``RECEIPT_PREVIEW_SIZE`` movements of ``purchase`` as
    ``ReceiptLine``, and whether it has more (one query)."""
    shown = list(purchase_movements(user, purchase)[: RECEIPT_PREVIEW_SIZE + 1])
    as_seller = purchase.client_id != user.pk
    return receipt_lines(shown[:RECEIPT_PREVIEW_SIZE], as_seller=as_seller), (
        len(shown) > RECEIPT_PREVIEW_SIZE
    )


def _minute_label(metadata):
    minute = (metadata or {}).get("minute")
    try:
        return f"Minute {int(minute) + 1}"
    except (TypeError, ValueError):
        return ""


def receipt_lines(transfers, *, as_seller):
    """``ReceiptLine`` for each of ``transfers`` (from ``purchase_movements``)."""
    lines = []
    for transfer in transfers:
        kind, amount, held = transfer.kind, transfer.amount, transfer.held or 0
        meta = transfer.metadata or {}
        if kind in (TransferKind.READING, TransferKind.MESSAGE):
            label = _minute_label(meta) or transfer.get_kind_display()
            detail = "Your share" if as_seller else ""
        elif kind == TransferKind.HOLD:
            label, detail = "Reserved", "Held from your balance until the reading"
        elif kind == TransferKind.HOLD_POST:
            if as_seller:
                label, detail = "Charged", "Your share, from the client's reserved funds"
            else:
                charged = -(held + (amount or 0))
                label = f"Charged {format_cents(charged)}"
                detail = "From your reserved funds"
                if amount:
                    detail += "; the unused part came back to your balance"
        elif kind == TransferKind.HOLD_VOID:
            label, detail = "Released", "Back to your balance"
        else:
            label, detail = transfer.description or transfer.get_kind_display(), ""
        lines.append(ReceiptLine(transfer, label, detail, amount))
    return lines


# A reader's earnings ------------------------------------------------------------------------------

# The transfers that pay a reader for a sale: live minutes, and captured booking holds.
SALE_KINDS = (TransferKind.READING, TransferKind.HOLD_POST)
CHANNEL_LABELS = {"chat": "Chat", "voice": "Voice", "video": "Video"}


@dataclass
class EarningsRow:
    label: str
    today: int = 0
    week: int = 0
    month: int = 0


@dataclass
class EarningsReport:
    rows: list = field(default_factory=list)  # one EarningsRow per channel that earned
    total: EarningsRow = field(default_factory=lambda: EarningsRow("All readings"))
    available: int = 0  # the earnings balance: what can be paid out now


def earnings_report(user, *, now=None):
    """What ``user`` earned from sales today, over the last 7 and 30 days (days as the reader's
    own time zone counts them, today included), per channel, and what is available to pay out.
    Two queries: the balance, and one aggregate over the earnings account's last 30 days."""
    import zoneinfo

    from django.db.models import Q, Sum
    from django.db.models.fields.json import KeyTextTransform

    report = EarningsReport()
    account = LedgerAccount.objects.filter(owner=user, kind=Kind.READER_EARNINGS).first()
    if account is None:
        return report
    report.available = account.balance
    try:
        zone = zoneinfo.ZoneInfo(user.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    today = timezone.localtime(now or timezone.now(), zone).date()

    def day_start(days_back):
        return datetime.combine(today - timedelta(days=days_back), time.min, tzinfo=zone)

    rows = (
        Entry.objects.filter(
            account=account,
            amount__gt=0,
            transfer__kind__in=SALE_KINDS,
            created_at__gte=day_start(29),
        )
        .values(channel=KeyTextTransform("channel", "transfer__metadata"))
        .annotate(
            today=Sum("amount", filter=Q(created_at__gte=day_start(0))),
            week=Sum("amount", filter=Q(created_at__gte=day_start(6))),
            month=Sum("amount"),
        )
        .order_by("channel")
    )
    for row in rows:
        line = EarningsRow(
            CHANNEL_LABELS.get(row["channel"], "Other"),
            row["today"] or 0,
            row["week"] or 0,
            row["month"] or 0,
        )
        report.rows.append(line)
        report.total.today += line.today
        report.total.week += line.week
        report.total.month += line.month
    return report


# The statement as a file --------------------------------------------------------------------------

STATEMENT_COLUMNS = (
    "Date",
    "Description",
    "Detail",
    "Type",
    "Account",
    "Amount (USD)",
    "Reference",
    "Minutes",
)
_STATEMENT_BATCH = 500


def _line_minutes(line):
    """Reading minutes a line paid for: its per-minute charges, or an older reading's own
    count (``metadata["minutes"]``); "" for lines that are not minutes."""
    if line.purchase is not None:
        return str(line.minutes) if line.minutes else ""
    transfer = line.entry.transfer
    if transfer.kind not in (TransferKind.READING, TransferKind.MESSAGE):
        return ""
    try:
        return str(int((transfer.metadata or {}).get("minutes")))
    except (TypeError, ValueError):
        return ""


def statement_rows(entries, zone):
    """The CSV rows of ``entries`` (a ``history_line_entries`` queryset: one row per line, a
    purchase's minutes in one row), explained like the page explains them, read in batches so
    a long history never sits in memory at once."""
    batch = []

    def flush():
        for line in history_lines(batch):
            entry = line.entry
            if line.purchase is not None:
                kind, reference = line.purchase.get_kind_display(), line.purchase.public_id
            else:
                kind, reference = entry.transfer.get_kind_display(), entry.transfer.public_id
            yield (
                timezone.localtime(entry.created_at, zone).strftime("%Y-%m-%d %H:%M"),
                text_cell(line.title),
                text_cell(line.detail),
                text_cell(kind),
                "Earnings" if line.is_earnings else "Wallet",
                decimal_string(line.amount),
                str(reference),
                _line_minutes(line),
            )
        batch.clear()

    for entry in entries.iterator(chunk_size=_STATEMENT_BATCH):
        batch.append(entry)
        if len(batch) == _STATEMENT_BATCH:
            yield from flush()
    yield from flush()
