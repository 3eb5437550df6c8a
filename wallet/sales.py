"""The wallet's sales API: the one way a seller (readings, bookings, and later messages,
tickets, gifts and the shop) takes a client's money, with every rule written once.

A sale starts with ``open_purchase`` (one row per thing bought; opening it again returns the
same row) and is paid by any of:

* ``charge``: an immediate charge of a gross amount, split between the seller and the platform;
* ``reserve``, then ``capture`` (the whole reservation or part of it; the rest goes back) or
  ``release``;
* ``charge_batch``: many charges in one transaction (the per-minute sweep), each purchase's
  charges paid in order until the first one its wallet cannot pay.

Each call names the purchase (so the client, the seller and the reader's share), the gross
amount and an idempotency key: repeating a call never moves money twice. The sales API owns the
spending-limit check, the affordability rule, the split, the lock order (accounts in id order,
like every transfer), the metadata and the audit event; the ledger's own rules
(``wallet/ledger.sql``) refuse whatever slips past.

* ``check_can_pay`` / ``can_pay`` / ``affordable_units``: can this client pay an amount now,
  within their balance and their own spending limits. A read: the ledger still refuses at
  payment time whatever changed since (its triggers, not this check, keep the money right).
* ``split``: how a gross sale divides between the reader and the platform. The reader's share
  is rounded down to the cent and the platform gets the remainder, so the two always add up to
  the gross and a reader is never paid a fraction of a cent the sale did not bring in.
* ``reader_share_percent``: the reader's share per kind of sale, from the site's settings.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Sum

from home.audit import record_event

from . import services as ledger
from .errors import InsufficientFunds, InvalidAmount, SpendingLimitReached
from .models import Entry, LedgerAccount, Purchase, Transfer
from .money import format_cents
from .services import ledger_currency, spending_room

SaleKind = Purchase.Kind

# The ledger kind of a purchase's immediate charges (captures are ``hold_post``).
_CHARGE_KIND = {
    SaleKind.READING: Transfer.Kind.READING,
    SaleKind.BOOKING: Transfer.Kind.READING,
    SaleKind.MESSAGE: Transfer.Kind.MESSAGE,
    SaleKind.GIFT: Transfer.Kind.GIFT,
    SaleKind.TICKET: Transfer.Kind.PURCHASE,
    SaleKind.ORDER: Transfer.Kind.PURCHASE,
}


def split(gross, share_percent):
    """``(reader_cents, platform_cents)`` of a ``gross`` sale at the reader's ``share_percent``."""
    if gross < 0 or not 0 <= share_percent <= 100:
        raise ValueError(f"cannot split {gross} cents at {share_percent}%")
    reader_cents = gross * share_percent // 100
    return reader_cents, gross - reader_cents


def reader_share_percent(kind, *, marketplace=None):
    """The reader's share (0-100) of a sale of ``kind`` as the site's settings say now (or as
    ``marketplace``, the site's ``MarketplaceSettings`` a caller has read already, says).
    Sellers record it on the purchase when it is made, so a later change never reprices it."""
    SaleKind(kind)  # an unknown kind is a programming error, not a default share
    return (marketplace or _marketplace_settings()).reader_share_percent


def _marketplace_settings():
    from home.models import MarketplaceSettings

    return MarketplaceSettings.current()


def _wallet(client, *, with_limits=True):
    """``(balance, room under each limit)`` of the client's wallet, read without creating it
    (a client with no wallet has 0 and no room to spend); ``with_limits=False`` skips the
    limits (an empty room)."""
    row = (
        LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.CLIENT_WALLET, owner=client, currency=ledger_currency()
        )
        .values_list("pk", "balance")
        .first()
    )
    if row is None:
        return 0, {}
    return row[1], spending_room(client.pk, row[0]) if with_limits else {}


def check_can_pay(client, amount, *, within_limits=True):
    """Raise ``InsufficientFunds`` when the wallet holds less than ``amount`` cents, or
    ``SpendingLimitReached`` (with ``period``, ``limit``, ``remaining``) when one of the
    client's own limits would refuse it. ``within_limits=False`` checks the balance only."""
    balance, room = _wallet(client, with_limits=within_limits)
    if balance < amount:
        raise InsufficientFunds(
            f"This costs {format_cents(amount)} and your wallet has {format_cents(balance)}.",
            needed=amount,
            balance=balance,
        )
    _check_room(room, amount)


def check_within_limits(client, amount):
    """Raise ``SpendingLimitReached`` when one of the client's own limits would refuse a
    payment of ``amount`` cents (the balance is not checked: a card pays it)."""
    _check_room(_wallet(client)[1], amount)


def _check_room(room, amount):
    for period, (cap, left) in room.items():
        if amount > left:
            raise SpendingLimitReached(
                f"This payment of {format_cents(amount)} would go over your {period} spending "
                f"limit of {format_cents(cap)}.",
                period=period,
                limit=cap,
                remaining=left,
            )


def can_pay(client, amount, *, within_limits=True):
    try:
        check_can_pay(client, amount, within_limits=within_limits)
    except (InsufficientFunds, SpendingLimitReached):
        return False
    return True


def affordable_units(client, unit_cents):
    """How many whole units of ``unit_cents`` (minutes, say) the client can pay now."""
    if unit_cents <= 0:
        raise ValueError("a unit costs at least one cent")
    balance, room = _wallet(client)
    for _cap, left in room.values():
        balance = min(balance, left)
    return max(balance, 0) // unit_cents


# Purchases ---------------------------------------------------------------------------------------


def open_purchase(
    *,
    client,
    seller,
    kind,
    reference,
    description,
    detail_url="",
    share_percent=None,
    metadata=None,
):
    """The purchase ``reference`` names (``"reading:<id>"``), opened on first use: a second call
    returns the first row unchanged. ``seller`` is the reader paid a share, or ``None`` for the
    platform. The reader's share is the site's for ``kind`` now, unless the seller agreed
    another with the client earlier (``share_percent``, e.g. the rate a booking was made at).
    The accounts a sale needs exist once the purchase does (sweeps never create accounts)."""
    kind = SaleKind(kind)
    if seller is None:
        share_percent = 0
    elif share_percent is None:
        share_percent = reader_share_percent(kind)
    existing = Purchase.objects.filter(reference=reference).first()
    if existing is not None:
        return existing
    ledger.wallet_of(client)
    if seller is not None:
        ledger.earnings_of(seller)
    try:
        with transaction.atomic():
            return Purchase.objects.create(
                kind=kind,
                client=client,
                seller=seller,
                reference=reference[:200],
                description=description[:200],
                detail_url=detail_url[:300],
                reader_share_percent=share_percent,
                metadata=metadata or {},
            )
    except IntegrityError:
        return Purchase.objects.get(reference=reference)


def complete_purchase(purchase_id, *, summary):
    """Record what a purchase came to in the seller's words ("10 min (3 free)")."""
    Purchase.objects.filter(pk=purchase_id).update(summary=summary[:200])


class Part(NamedTuple):
    """What one reader sold within a sale of several things (a shop order): ``gross`` cents of
    it, at the reader's ``share_percent`` (recorded by the seller when the item was ordered)."""

    seller: object
    gross: int
    share_percent: int


def _legs(purchase, gross, source, parts=None, gift_cards=0):
    """The legs of a sale of ``gross`` paid from ``source`` (an account), split once: the
    purchase's seller at its share, or each of ``parts`` at theirs; ``gift_cards`` cents of it
    (gift cards sold) wait in the gift cards account for their redemption; the platform gets
    the rest. Returns ``(legs, reader cents in all)``."""
    if parts is None:
        parts = [Part(purchase.seller, gross - gift_cards, purchase.reader_share_percent)]
    if gift_cards < 0 or sum(part.gross for part in parts) + gift_cards > gross:
        raise InvalidAmount("The parts of a sale add up to more than the sale.")
    legs = [ledger.Leg(source, -gross)]
    readers = 0
    for part in parts:
        reader_cents = split(part.gross, part.share_percent)[0] if part.seller else 0
        if reader_cents:
            legs.append(ledger.Leg(ledger.earnings_of(part.seller), reader_cents))
            readers += reader_cents
    if gift_cards:
        legs.append(ledger.Leg(ledger.platform_account(LedgerAccount.Kind.GIFT_CARDS), gift_cards))
    if gross - readers - gift_cards:
        legs.append(
            ledger.Leg(
                ledger.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE),
                gross - readers - gift_cards,
            )
        )
    return legs, readers


def charge(
    purchase, gross, *, idempotency_key, description="", metadata=None, parts=None, gift_cards=0
):
    """Charge ``gross`` cents for ``purchase`` now: the reader's share to their earnings (or,
    with ``parts``, each reader's share of what they sold in it), ``gift_cards`` cents of it to
    the gift cards it buys (``wallet.gift_cards.issue`` makes them), the rest to the platform.
    Raises ``InsufficientFunds`` or ``SpendingLimitReached`` (nothing written); a repeated key
    returns the first transfer. Returns the ``Transfer``."""
    ledger.check_amount(gross)
    legs, reader_cents = _legs(
        purchase, gross, ledger.wallet_of(purchase.client), parts, gift_cards
    )
    with transaction.atomic():
        result = ledger.transfer(
            legs,
            idempotency_key=idempotency_key,
            kind=_CHARGE_KIND[purchase.kind],
            description=description or purchase.description,
            metadata=metadata,
            initiated_by=purchase.client,
            purchase=purchase,
        )
        if not result.replayed:
            record_event(
                "wallet.sale_charged",
                actor=purchase.client,
                target=purchase,
                gross=gross,
                reader_cents=reader_cents,
                transfer=str(result.public_id),
            )
    return result


def paid_for(purchase):
    """What the client has paid for ``purchase`` so far, net of what was given back (cents)."""
    total = Entry.objects.filter(
        transfer__purchase=purchase,
        account__kind=LedgerAccount.Kind.CLIENT_WALLET,
        account__owner_id=purchase.client_id,
        transfer__kind__in=[*_CHARGE_KIND.values(), Transfer.Kind.REFUND],
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or 0)


def refund(
    purchase,
    gross,
    *,
    idempotency_key,
    parts=None,
    gift_cards=0,
    initiated_by=None,
    reason="",
    description="",
):
    """Give ``gross`` cents of a charged ``purchase`` back to the client: the exact opposite of
    a charge of ``gross`` with the same ``parts`` and ``gift_cards`` (each reader gives back the
    share they earned on it, the gift cards account what it kept, the platform the rest). Never
    more than the client paid for it, net of earlier refunds (``InvalidAmount``); refused with
    ``InsufficientFunds`` when a reader's earnings no longer hold their share (paid out), or the
    gift cards were redeemed. A repeated key returns the first refund. Returns the ``Transfer``."""
    ledger.check_amount(gross)
    with transaction.atomic():
        # One refund decision at a time per purchase: the lock serialises the "paid" check.
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        existing = Transfer.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            existing.replayed = True
            return existing
        paid = paid_for(purchase)
        if gross > paid:
            raise InvalidAmount(
                f"At most {format_cents(paid)} of this purchase can still be given back."
            )
        legs, reader_cents = _legs(
            purchase, gross, ledger.wallet_of(purchase.client), parts, gift_cards
        )
        try:
            result = ledger.transfer(
                [ledger.Leg(leg.account, -leg.amount) for leg in legs],
                idempotency_key=idempotency_key,
                kind=Transfer.Kind.REFUND,
                description=description or f"Refund: {purchase.description}"[:200],
                metadata={"reason": reason, "reader_cents": reader_cents},
                initiated_by=initiated_by,
                purchase=purchase,
            )
        except InsufficientFunds as error:
            raise InsufficientFunds(
                "This refund would take back money a reader was already paid out, or gift "
                "cards already redeemed: it cannot reverse the sale exactly."
            ) from error
        record_event(
            "wallet.sale_refunded",
            actor=initiated_by,
            target=purchase,
            gross=gross,
            reader_cents=reader_cents,
            reason=reason,
            transfer=str(result.public_id),
        )
    return result


def reserve(purchase, amount, *, idempotency_key, description="", expires_at=None, metadata=None):
    """Reserve ``amount`` cents of the client's wallet for ``purchase`` (within their limits: a
    reservation counts as spending until it is released). Returns the ``Hold``; a repeated key
    returns the same one."""
    return ledger.hold(
        purchase.client,
        amount,
        idempotency_key=idempotency_key,
        description=description or purchase.description,
        expires_at=expires_at,
        metadata=metadata,
        purchase=purchase,
    )


def capture(purchase, held, gross, *, description="", metadata=None):
    """Charge ``gross`` cents (at most the reservation) of ``held`` for ``purchase``, split like
    a charge; the rest goes back to the wallet. ``gross`` 0 releases it all. A reservation is
    resolved once (``HoldAlreadyResolved``). Returns the reader's share in cents."""
    if held.hold_transfer.purchase_id not in (None, purchase.pk):
        raise ValueError("this reservation belongs to another purchase")
    if gross == 0:
        release(purchase, held, description=f"Released: {description}" if description else "")
        return 0
    ledger.check_amount(gross)
    if gross > held.amount:
        raise InvalidAmount("Cannot charge more than the reserved amount.")
    legs, reader_cents = _legs(purchase, gross, held.escrow)
    with transaction.atomic():
        resolved = ledger.post_hold(
            held,
            legs[1:],
            description=description or purchase.description,
            metadata=metadata,
            purchase=purchase,
        )
        record_event(
            "wallet.sale_captured",
            target=purchase,
            gross=gross,
            reserved=held.amount,
            reader_cents=reader_cents,
            transfer=str(resolved.resolve_transfer.public_id),
        )
    return reader_cents


def release(purchase, held, *, description=""):
    """Give a whole reservation back to the wallet (``HoldAlreadyResolved`` when resolved)."""
    return ledger.void_hold(held, description=description, purchase=purchase)


# The per-minute sweep's batch ---------------------------------------------------------------------


class Charge(NamedTuple):
    """One charge of a batch: ``gross`` cents for the purchase ``purchase_id`` (a named tuple:
    a sweep makes one per minute)."""

    purchase_id: int
    gross: int
    idempotency_key: str
    description: str = ""
    metadata: dict | None = None


@dataclass
class BatchResult:
    """What ``charge_batch`` did: ``transfers`` ``{key: transfer id}`` of the charges paid,
    ``refused`` ``{purchase id: "insufficient_funds" | "spending_limit"}`` for purchases whose
    next charge could not be paid (their later charges in the batch were not tried), and
    ``balances`` ``{client id: wallet balance}`` once the batch is paid."""

    transfers: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)
    balances: dict = field(default_factory=dict)
    reader_cents: dict = field(default_factory=dict)


# One query for what every charge of a batch needs about its purchase: the split and the
# accounts. unnest() join, not "= ANY(%s)": never a quadratic filter on a big batch.
_PURCHASES_SQL = """
    SELECT p.id, p.kind, p.client_id, p.seller_id, p.reader_share_percent, w.id, e.id
    FROM unnest(%b::bigint[]) AS wanted(id)
    JOIN wallet_purchase p ON p.id = wanted.id
    LEFT JOIN wallet_ledgeraccount w
           ON w.kind = 'client_wallet' AND w.owner_id = p.client_id AND w.currency = %s
    LEFT JOIN wallet_ledgeraccount e
           ON e.kind = 'reader_earnings' AND e.owner_id = p.seller_id AND e.currency = %s
"""


def charge_batch(charges, *, purchases=()):
    """Pay many charges at once; the caller's transaction (which must be open) holds it all.
    ``purchases`` adds purchase ids with nothing to charge now whose wallet balance the caller
    wants reported (and locked) all the same (a reading in its free minutes).

    Charges are paid in the order given; once a purchase's charge cannot be paid (its wallet
    is short, or the client's own limit refuses it), none of its later charges in the batch is.
    Wallets of clients without spending limits are paid in a few statements (one insert of the
    transfers, one of their legs, every touched account locked once in id order); wallets with
    limits charge by charge through ``transfer``, which enforces them. A key already used is not
    charged again. No audit row per charge: the seller records what each one paid for (the
    sweep's billed minutes) beside the transfers. Returns a ``BatchResult``."""
    result = BatchResult()
    wanted = {c.purchase_id for c in charges} | set(purchases)
    if not wanted:
        return result
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("charge_batch() runs inside the caller's transaction")
    currency = ledger_currency()
    cursor = ledger.ledger_cursor()
    cursor.execute(_PURCHASES_SQL, [sorted(wanted), currency, currency])
    purchases = {row[0]: row for row in cursor.fetchall()}
    for _pk, _kind, client_id, seller_id, _share, wallet_id, earnings_id in purchases.values():
        if wallet_id is None or (seller_id is not None and earnings_id is None):
            raise LookupError(f"purchase {_pk} has no accounts: open it with open_purchase()")
    platform = ledger.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    platform_id = platform.pk
    wallets = {row[5] for row in purchases.values()}
    balances = ledger.lock_accounts_for_batch(
        [*wallets, *(row[6] for row in purchases.values() if row[6]), platform.pk]
    )
    limited = set(ledger.wallets_with_spending_limits(wallets))
    fast, slow = [], []
    for item in charges:
        _pk, kind, client_id, _seller, share, wallet_id, earnings_id = purchases[item.purchase_id]
        if item.purchase_id in result.refused:
            continue
        ledger.check_amount(item.gross)
        reader_cents, platform_cents = split(item.gross, share)
        result.reader_cents[item.idempotency_key] = reader_cents
        if wallet_id in limited:
            slow.append((item, kind, client_id, wallet_id, earnings_id, reader_cents))
            continue
        if balances[wallet_id] < item.gross:
            paid_before = _paid_before(item.idempotency_key)
            if paid_before is not None:
                result.transfers[item.idempotency_key] = paid_before
                continue
            result.refused[item.purchase_id] = "insufficient_funds"
            continue
        balances[wallet_id] -= item.gross
        legs = (
            (wallet_id, -item.gross),
            (platform_id, platform_cents),
            (earnings_id, reader_cents),
        )
        fast.append(
            (
                _CHARGE_KIND[kind],
                ledger.BatchTransfer(
                    item.idempotency_key,
                    tuple([leg for leg in legs if leg[1]]),
                    item.description,
                    item.metadata,
                    item.purchase_id,
                ),
            )
        )
    by_kind = {}
    for kind, batch_transfer in fast:
        by_kind.setdefault(kind, []).append(batch_transfer)
    for kind, batch in by_kind.items():
        result.transfers.update(ledger.transfer_many(batch, kind=kind))
    for item, kind, client_id, wallet_id, earnings_id, reader_cents in slow:
        if item.purchase_id in result.refused:
            continue
        legs = [
            ledger.Leg(_stand_in(wallet_id, "client_wallet", currency, client_id), -item.gross),
            ledger.Leg(platform, item.gross - reader_cents),
        ]
        if reader_cents:
            legs.append(
                ledger.Leg(_stand_in(earnings_id, "reader_earnings", currency), reader_cents)
            )
        try:
            posted = ledger.transfer(
                [leg for leg in legs if leg.amount],
                idempotency_key=item.idempotency_key,
                kind=_CHARGE_KIND[kind],
                description=item.description,
                metadata=item.metadata,
                purchase=item.purchase_id,
            )
        except SpendingLimitReached:
            result.refused[item.purchase_id] = "spending_limit"
            continue
        except InsufficientFunds:
            result.refused[item.purchase_id] = "insufficient_funds"
            continue
        result.transfers[item.idempotency_key] = posted.pk
    if slow:
        balances.update(
            LedgerAccount.objects.filter(pk__in={entry[3] for entry in slow}).values_list(
                "pk", "balance"
            )
        )
    for _pk, _kind, client_id, _seller, _share, wallet_id, _earnings in purchases.values():
        result.balances[client_id] = balances[wallet_id]
    return result


def _paid_before(idempotency_key):
    """The transfer a key already paid, or None: a charge replayed after its wallet ran low is
    still paid, not refused (looked up only then, so a batch pays no query per charge)."""
    return (
        Transfer.objects.filter(idempotency_key=idempotency_key)
        .values_list("pk", flat=True)
        .first()
    )


def _stand_in(pk, kind, currency, owner_id=None):
    """An account by id for ``transfer``'s legs, without reading the row again."""
    return LedgerAccount(pk=pk, kind=kind, currency=currency, owner_id=owner_id)
