"""Reads for the wallet pages: what a user sees of their own money, with the query shape fixed
once (one query for the balances, two for a page of history whatever its length)."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

from .models import Entry, Hold, LedgerAccount, SpendingLimit, Transfer

Kind = LedgerAccount.Kind
TransferKind = Transfer.Kind

# History filter: the label a person understands -> the transfer kinds behind it.
HISTORY_CATEGORIES = {
    "top_ups": ("Top-ups", [TransferKind.TOP_UP]),
    "readings": ("Readings", [TransferKind.READING, TransferKind.MESSAGE]),
    "purchases": ("Shop and gifts", [TransferKind.PURCHASE, TransferKind.GIFT]),
    "refunds": (
        "Refunds and credits",
        [TransferKind.REFUND, TransferKind.CREDIT, TransferKind.REVERSAL, TransferKind.DISPUTE],
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


def pending_holds(user):
    return Hold.objects.filter(wallet__owner=user, status=Hold.Status.PENDING).order_by(
        "expires_at", "created_at"
    )


def user_transfer(user, public_id):
    """A transfer that touched one of ``user``'s accounts, or None (never someone else's)."""
    return (
        Transfer.objects.filter(public_id=public_id, entries__account__owner=user)
        .distinct()
        .first()
    )


def spending_limit_of(user):
    return SpendingLimit.objects.filter(user=user).first()


# Explaining a line ------------------------------------------------------------------------------


@dataclass
class HistoryLine:
    entry: Entry
    title: str
    detail: str = ""
    icon: str = "coin"
    tags: list = field(default_factory=list)

    @property
    def amount(self):
        return self.entry.amount

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


def history_lines(entries):
    entries = list(entries)
    top_ups = _top_up_details(entries)
    lines = []
    for entry in entries:
        extra = top_ups.get(entry.transfer_id)
        if extra:
            entry.transfer.metadata = {**extra, **(entry.transfer.metadata or {})}
        lines.append(explain(entry))
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
)
_STATEMENT_BATCH = 500
# A spreadsheet runs a cell that starts like a formula: text cells get a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value):
    value = str(value or "")
    return "'" + value if value.startswith(_FORMULA_START) else value


def statement_rows(entries, zone):
    """The CSV rows of ``entries`` (a ``history_entries`` queryset), explained like the page
    explains them, read in batches so a long history never sits in memory at once."""
    from .money import decimal_string

    batch = []

    def flush():
        for line in history_lines(batch):
            entry = line.entry
            yield (
                timezone.localtime(entry.created_at, zone).strftime("%Y-%m-%d %H:%M"),
                _text_cell(line.title),
                _text_cell(line.detail),
                _text_cell(entry.transfer.get_kind_display()),
                "Earnings" if line.is_earnings else "Wallet",
                decimal_string(entry.amount),
                str(entry.transfer.public_id),
            )
        batch.clear()

    for entry in entries.iterator(chunk_size=_STATEMENT_BATCH):
        batch.append(entry)
        if len(batch) == _STATEMENT_BATCH:
            yield from flush()
    yield from flush()
