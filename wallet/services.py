"""The only code that moves money. Every function validates, owns its transaction and leaves
either a complete, balanced transfer or nothing at all.

Sign convention: an entry's amount is added to its account's balance. A client wallet going up by
$10 after a top-up is ``+1000`` on the wallet and ``-1000`` on Stripe clearing (money Stripe holds
for us). Amounts are integers in minor units (cents); floats and other currencies are refused.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone

from home.audit import record_event
from soulseer.db import bulk_cursor as ledger_cursor

from .errors import (
    AlreadyReversed,
    CreditNotAllowed,
    HoldAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
    NotReversible,
    SpendingLimitReached,
)
from .models import Hold, LedgerAccount, SpendingLimit, Transfer
from .money import format_cents

Kind = LedgerAccount.Kind
MAX_LEG_AMOUNT = 10**12  # ten billion dollars: anything above is a bug, not a payment


def ledger_currency():
    return getattr(settings, "WALLET_CURRENCY", "usd")


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount: int


def check_amount(amount, *, allow_zero=False):
    """Refuse anything that is not a positive integer number of minor units."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount("Amounts must be a whole number of cents.")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount("Amounts must be greater than zero.")
    if amount > MAX_LEG_AMOUNT:
        raise InvalidAmount("That amount is larger than any single payment we accept.")
    return amount


# Accounts ---------------------------------------------------------------------------------------


def get_account(kind, owner=None, currency=None):
    """Return (creating on first use) the account of ``kind`` for ``owner`` or the platform."""
    currency = (currency or ledger_currency()).lower()
    if kind in LedgerAccount.USER_KINDS and owner is None:
        raise ValueError(f"{kind} accounts belong to a user")
    if kind not in LedgerAccount.USER_KINDS and owner is not None:
        raise ValueError(f"{kind} is a platform account")
    lookup = {"kind": kind, "owner": owner, "currency": currency}
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(
                **lookup, may_go_negative=kind not in LedgerAccount.NON_NEGATIVE_KINDS
            )
    except IntegrityError:
        # Another request created it first.
        return LedgerAccount.objects.get(**lookup)


def wallet_of(user):
    return get_account(Kind.CLIENT_WALLET, user)


def holds_of(user):
    return get_account(Kind.CLIENT_HOLDS, user)


def earnings_of(user):
    return get_account(Kind.READER_EARNINGS, user)


def platform_account(kind):
    return get_account(kind)


# Transfers --------------------------------------------------------------------------------------


def _normalise_legs(legs):
    merged = {}
    accounts = {}
    for leg in legs:
        if isinstance(leg.amount, bool) or not isinstance(leg.amount, int):
            raise InvalidAmount("Amounts must be a whole number of cents.")
        if abs(leg.amount) > MAX_LEG_AMOUNT:
            raise InvalidAmount("That amount is larger than any single payment we accept.")
        merged[leg.account.pk] = merged.get(leg.account.pk, 0) + leg.amount
        accounts[leg.account.pk] = leg.account
    # Sorted by account id: every transfer locks account rows in the same order (no deadlocks).
    normalised = [(pk, amount) for pk, amount in sorted(merged.items()) if amount != 0]
    if len(normalised) < 2:
        raise InvalidAmount("A transfer needs at least two non-zero legs.")
    if sum(amount for _, amount in normalised) != 0:
        raise InvalidAmount("The legs of a transfer must sum to zero.")
    currencies = {accounts[pk].currency for pk, _ in normalised}
    if len(currencies) != 1:
        raise InvalidAmount("All legs of a transfer must be in the same currency.")
    return normalised, accounts


def _existing_transfer(idempotency_key, kind, normalised):
    existing = Transfer.objects.get(idempotency_key=idempotency_key)
    stored = sorted(existing.entries.values_list("account_id", "amount"))
    if existing.kind != kind or stored != normalised:
        raise IdempotencyConflict(idempotency_key)
    existing.replayed = True
    return existing


def _insufficient_funds_from(error):
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    return constraint == "wallet_account_balance_non_negative"


# One round trip per transfer on the hot path (issue 4). The statement below is the whole
# transfer: it inserts the transfer (idempotent on its key) and, only if that insert happened,
# its legs. Everything that keeps the books right still runs inside it: the statement-level
# entry trigger locks the touched accounts in id order and moves their balances, the CHECK
# constraint refuses a restricted balance below zero (the whole statement fails, nothing is
# written), and a second statement-level trigger refuses legs that do not balance. ``limited``
# says whether a debited client wallet's owner has spending limits; then nothing is written here
# and the transfer goes through ``_transfer_checking_limits`` (it must lock and sum past
# spending first).
_TRANSFER_SQL = """
WITH limited AS (
    SELECT EXISTS (
        SELECT 1
        FROM wallet_ledgeraccount a
        -- LATERAL ... LIMIT 1: a primary-key lookup per debited account whatever the
        -- statistics say (the plan is prepared once and reused).
        JOIN LATERAL (
            SELECT 1 FROM wallet_spendinglimit l
            WHERE l.user_id = a.owner_id
              AND (l.daily IS NOT NULL OR l.weekly IS NOT NULL OR l.monthly IS NOT NULL
                   OR l.pending <> '{}'::jsonb)
            LIMIT 1
        ) AS has_limit ON true
        WHERE a.id = ANY(%s::bigint[]) AND a.kind = 'client_wallet'
    ) AS yes
),
new_transfer AS (
    INSERT INTO wallet_transfer
        (public_id, kind, idempotency_key, description, metadata,
         initiated_by_id, reverses_id, purchase_id, created_at)
    SELECT gen_random_uuid(), %s::varchar, %s::varchar, %s::varchar, %s::jsonb,
           %s::bigint, %s::bigint, %s::bigint, now()
    FROM limited
    WHERE NOT limited.yes
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id, public_id, created_at
),
new_entries AS (
    INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)
    SELECT new_transfer.id, leg.account_id, leg.amount, now()
    FROM new_transfer, unnest(%s::bigint[], %s::bigint[]) AS leg(account_id, amount)
)
SELECT limited.yes, new_transfer.id, new_transfer.public_id, new_transfer.created_at
FROM limited LEFT JOIN new_transfer ON true
"""

_INSERT_TRANSFER_SQL = """
INSERT INTO wallet_transfer
    (public_id, kind, idempotency_key, description, metadata,
     initiated_by_id, reverses_id, purchase_id, created_at)
VALUES (gen_random_uuid(), %s::varchar, %s::varchar, %s::varchar, %s::jsonb,
        %s::bigint, %s::bigint, %s::bigint, now())
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, public_id, created_at
"""

_INSERT_ENTRIES_SQL = """
INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)
SELECT %s::bigint, leg.account_id, leg.amount, now()
FROM unnest(%s::bigint[], %s::bigint[]) AS leg(account_id, amount)
"""


def transfer(
    legs,
    *,
    idempotency_key,
    kind,
    description="",
    metadata=None,
    initiated_by=None,
    reverses=None,
    purchase=None,
):
    """Move money between accounts as one balanced, idempotent transfer (paying for
    ``purchase``, a ``Purchase`` or its id, when given).

    Repeating a call with the same key returns the first transfer (``replayed`` is True) without
    moving money again; the same key with different legs raises ``IdempotencyConflict``. A leg that
    would take a restricted account below zero raises ``InsufficientFunds`` and writes nothing.
    Spending beyond the client's own limits raises ``SpendingLimitReached`` and writes nothing.
    """
    if not idempotency_key:
        raise ValueError("transfer() needs an idempotency key")
    normalised, accounts = _normalise_legs(legs)
    description = description[:200]
    metadata_json = _json(metadata or {})
    head = [
        kind,
        idempotency_key,
        description,
        metadata_json,
        getattr(initiated_by, "pk", None),
        getattr(reverses, "pk", None),
        getattr(purchase, "pk", purchase),
    ]
    account_ids = [pk for pk, _ in normalised]
    amounts = [amount for _, amount in normalised]
    # Only spending kinds look for limits; the database decides which debited accounts are
    # client wallets (the Leg's account object may be a bare stand-in).
    debited = [pk for pk, amount in normalised if amount < 0] if kind in SPENDING_KINDS else []
    db = connections[DEFAULT_DB_ALIAS]
    try:
        if db.in_atomic_block:
            # A savepoint, so a refusal leaves the caller's transaction usable.
            with transaction.atomic():
                cursor = ledger_cursor(db)
                cursor.execute(_TRANSFER_SQL, [debited, *head, account_ids, amounts])
                row = cursor.fetchone()
        else:
            # Autocommit: the single statement is its own transaction (all or nothing; the
            # deferred foreign-key checks run at its end). No BEGIN/COMMIT round trips.
            cursor = ledger_cursor(db)
            cursor.execute(_TRANSFER_SQL, [debited, *head, account_ids, amounts])
            row = cursor.fetchone()
        limited, transfer_id, public_id, created_at = row
        if limited:
            transfer_id, public_id, created_at = _transfer_checking_limits(
                kind, idempotency_key, head, normalised
            )
    except IntegrityError as error:
        if _insufficient_funds_from(error):
            raise InsufficientFunds() from error
        raise
    if transfer_id is None:
        return _existing_transfer(idempotency_key, kind, normalised)
    # Built from what INSERT ... RETURNING gave back: no extra round trip on the hot path.
    # Positional values in field order (Transfer.from_db), as a query would build it.
    result = Transfer.from_db(
        DEFAULT_DB_ALIAS,
        None,
        [
            transfer_id,
            public_id,
            kind,
            idempotency_key,
            description,
            json.loads(metadata_json) if metadata else {},
            head[4],
            head[5],
            created_at,
            head[6],
        ],
    )
    result.replayed = False
    _run_post_transfer_hooks(result, normalised, accounts)
    return result


def _transfer_checking_limits(kind, idempotency_key, head, normalised):
    """The transfer for a client with spending limits: insert the transfer (a replay is never
    refused), lock its accounts in id order, check the limits of every debited client wallet
    against its past spending, then insert the legs. Returns ``(id, public_id, created_at)``,
    or Nones when the key was used before."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INSERT_TRANSFER_SQL, head)
        row = cursor.fetchone()
        if row is None:
            return None, None, None
        cursor.execute(
            "SELECT id, kind, owner_id FROM wallet_ledgeraccount WHERE id = ANY(%s) "
            "ORDER BY id FOR UPDATE",
            [[pk for pk, _ in normalised]],
        )
        locked = {pk: (account_kind, owner_id) for pk, account_kind, owner_id in cursor}
        for account_id, amount in normalised:
            account_kind, owner_id = locked[account_id]
            if amount < 0 and account_kind == Kind.CLIENT_WALLET:
                _enforce_spending_limit(cursor, account_id, owner_id, -amount)
        cursor.execute(
            _INSERT_ENTRIES_SQL,
            [row[0], [pk for pk, _ in normalised], [amount for _, amount in normalised]],
        )
    return row


# Code outside the ledger reacts to money movements here without the ledger importing it; each
# hook gets (transfer, debited client wallets) and runs inside the caller's transaction, so it
# must defer real work with transaction.on_commit (e.g. wallet.payments.on_wallet_debited).
post_transfer_hooks = []


def _run_post_transfer_hooks(result, normalised, accounts):
    debited = [
        accounts[pk]
        for pk, amount in normalised
        if amount < 0 and accounts[pk].kind == Kind.CLIENT_WALLET
    ]
    if debited:
        for hook in post_transfer_hooks:
            hook(result, debited)


def _json(value):
    return json.dumps(value, sort_keys=True, default=str)


HOLD_KINDS = frozenset({Transfer.Kind.HOLD, Transfer.Kind.HOLD_POST, Transfer.Kind.HOLD_VOID})


def reverse(original, *, initiated_by=None, reason=""):
    """Undo a transfer with a new transfer of the opposite legs; each is reversed at most once."""
    if original.kind == Transfer.Kind.REVERSAL:
        raise AlreadyReversed("A reversal cannot itself be reversed; make a new transfer instead.")
    if original.kind in HOLD_KINDS:
        # Reversing one would move money in or out of the holds account behind the hold's
        # back: the hold would still say pending (or posted) while its money was gone.
        raise NotReversible(
            "Reserved funds are released or charged through their hold, never reversed."
        )
    legs = [
        Leg(entry.account, -entry.amount) for entry in original.entries.select_related("account")
    ]
    key = f"reversal:{original.public_id}"
    try:
        result = transfer(
            legs,
            idempotency_key=key,
            kind=Transfer.Kind.REVERSAL,
            description=f"Reversal of {original.get_kind_display().lower()}"[:200],
            metadata={"reason": reason, "reverses": str(original.public_id)},
            initiated_by=initiated_by,
            reverses=original,
            purchase=original.purchase_id,
        )
    except IntegrityError as error:
        raise AlreadyReversed("This transfer was already reversed.") from error
    if not result.replayed:
        record_event("wallet.transfer_reversed", actor=initiated_by, target=original, reason=reason)
    return result


# Holds (two-phase) ------------------------------------------------------------------------------


def hold(
    user,
    amount,
    *,
    idempotency_key,
    description="",
    expires_at=None,
    metadata=None,
    purchase=None,
):
    """Reserve ``amount`` of ``user``'s wallet: no longer spendable, but not yet spent (for
    ``purchase`` when given: its resolution pays for the same purchase).

    Returns the ``Hold``; repeating the call with the same key returns the same hold.
    """
    check_amount(amount)
    wallet = wallet_of(user)
    escrow = holds_of(user)
    with transaction.atomic():
        hold_transfer = transfer(
            [Leg(wallet, -amount), Leg(escrow, amount)],
            idempotency_key=idempotency_key,
            kind=Transfer.Kind.HOLD,
            description=description,
            metadata=metadata,
            initiated_by=user,
            purchase=purchase,
        )
        if hold_transfer.replayed:
            return Hold.objects.get(hold_transfer=hold_transfer)
        return Hold.objects.create(
            wallet=wallet,
            escrow=escrow,
            amount=amount,
            description=description[:200],
            hold_transfer=hold_transfer,
            expires_at=expires_at,
        )


def post_hold(hold_obj, destinations, *, description="", metadata=None, kind=None, purchase=None):
    """Charge a hold: pay ``destinations`` (a list of ``Leg`` with positive amounts) from it and
    release whatever is left back to the wallet. A hold is resolved at most once."""
    total = 0
    for leg in destinations:
        check_amount(leg.amount)
        total += leg.amount
    with transaction.atomic():
        locked = (
            Hold.objects.select_for_update()
            .select_related("wallet", "escrow", "hold_transfer")
            .get(pk=hold_obj.pk)
        )
        if locked.status != Hold.Status.PENDING:
            raise HoldAlreadyResolved(locked)
        if total > locked.amount:
            raise InvalidAmount("Cannot charge more than the reserved amount.")
        legs = [Leg(locked.escrow, -locked.amount), *destinations]
        if locked.amount - total:
            legs.append(Leg(locked.wallet, locked.amount - total))
        resolve = transfer(
            legs,
            idempotency_key=f"hold:{locked.public_id}:resolve",
            kind=kind or Transfer.Kind.HOLD_POST,
            description=description or locked.description,
            metadata=metadata,
            purchase=purchase or locked.hold_transfer.purchase_id,
        )
        locked.status = Hold.Status.POSTED
        locked.posted_amount = total
        locked.resolve_transfer = resolve
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "posted_amount", "resolve_transfer", "resolved_at"])
    return locked


def void_hold(hold_obj, *, description="", purchase=None):
    """Release a hold back to the wallet in full. A hold is resolved at most once."""
    with transaction.atomic():
        locked = (
            Hold.objects.select_for_update()
            .select_related("wallet", "escrow", "hold_transfer")
            .get(pk=hold_obj.pk)
        )
        if locked.status != Hold.Status.PENDING:
            raise HoldAlreadyResolved(locked)
        resolve = transfer(
            [Leg(locked.escrow, -locked.amount), Leg(locked.wallet, locked.amount)],
            idempotency_key=f"hold:{locked.public_id}:resolve",
            kind=Transfer.Kind.HOLD_VOID,
            description=description or f"Released: {locked.description}"[:200],
            purchase=purchase or locked.hold_transfer.purchase_id,
        )
        locked.status = Hold.Status.VOIDED
        locked.resolve_transfer = resolve
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolve_transfer", "resolved_at"])
    return locked


# Spending limits --------------------------------------------------------------------------------

# Transfers that spend a client's money when they debit the client's wallet. Top-ups, refunds,
# credits and released holds move money *into* the wallet and never count.
SPENDING_KINDS = frozenset(
    {
        Transfer.Kind.READING,
        Transfer.Kind.PURCHASE,
        Transfer.Kind.GIFT,
        Transfer.Kind.MESSAGE,
        Transfer.Kind.HOLD,
    }
)
SPENDING_WINDOWS = {
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
    "monthly": timedelta(days=30),
}
PERIOD_WORDS = {"daily": "today", "weekly": "this week", "monthly": "this month"}

# Rolling-window spending of one wallet. A hold counts for what it still reserves (pending), what
# was charged from it (posted) or nothing (voided); other spending kinds count their wallet debit.
_SPENDING_SQL = """
    SELECT COALESCE(SUM(spent) FILTER (WHERE created_at >= %(day)s), 0),
           COALESCE(SUM(spent) FILTER (WHERE created_at >= %(week)s), 0),
           COALESCE(SUM(spent), 0)
    FROM (
        SELECT e.created_at,
               CASE WHEN h.id IS NULL THEN -e.amount
                    WHEN h.status = 'voided' THEN 0
                    WHEN h.status = 'posted' THEN h.posted_amount
                    ELSE h.amount END AS spent
        FROM wallet_entry e
        JOIN wallet_transfer t ON t.id = e.transfer_id
        LEFT JOIN wallet_hold h ON h.hold_transfer_id = t.id
        WHERE e.account_id = %(account)s AND e.amount < 0 AND e.created_at >= %(month)s
          AND t.kind = ANY(%(kinds)s)
    ) AS spending
"""


def spending_in_windows(wallet_id, *, now=None, cursor=None):
    """How much a client wallet spent in each rolling window: {"daily": cents, ...}."""
    now = now or timezone.now()
    params = {
        "account": wallet_id,
        "day": now - SPENDING_WINDOWS["daily"],
        "week": now - SPENDING_WINDOWS["weekly"],
        "month": now - SPENDING_WINDOWS["monthly"],
        "kinds": [str(kind) for kind in SPENDING_KINDS],
    }
    if cursor is None:
        with connection.cursor() as own_cursor:
            own_cursor.execute(_SPENDING_SQL, params)
            row = own_cursor.fetchone()
    else:
        cursor.execute(_SPENDING_SQL, params)
        row = cursor.fetchone()
    return dict(zip(("daily", "weekly", "monthly"), (int(value) for value in row), strict=True))


def _enforce_spending_limit(cursor, wallet_id, owner_id, amount):
    """Refuse a payment of ``amount`` from client wallet ``wallet_id`` beyond its owner's own
    limits (``SpendingLimitReached``).

    Runs inside the transfer's transaction, after the idempotency check (a replay is never
    refused) and with the transfer's account rows locked (in id order, like every transfer), so
    two payments from the same wallet cannot both pass the check against the same total.
    """
    for period, (cap, left) in spending_room(owner_id, wallet_id, cursor=cursor).items():
        if amount > left:
            raise SpendingLimitReached(
                f"This payment of {format_cents(amount)} would go over your {period} "
                f"spending limit of {format_cents(cap)} ({format_cents(left)} left "
                f"{PERIOD_WORDS[period]}). You can change your limits on your wallet page.",
                period=period,
                limit=cap,
                remaining=left,
            )


def spending_room(owner_id, wallet_id, *, now=None, cursor=None):
    """``{period: (cap, cents left)}`` for each of the owner's spending limits in force now,
    in ``SpendingLimit.PERIODS`` order (none: no limit)."""
    limit = SpendingLimit.objects.filter(user_id=owner_id).first()
    if limit is None:
        return {}
    now = now or timezone.now()
    in_force = {p: cap for p, cap in limit.limits_at(now).items() if cap is not None}
    if not in_force:
        return {}
    spent = spending_in_windows(wallet_id, now=now, cursor=cursor)
    return {
        period: (in_force[period], max(in_force[period] - spent[period], 0))
        for period in SpendingLimit.PERIODS
        if period in in_force
    }


def spending_limit_increase_delay():
    return getattr(settings, "SPENDING_LIMIT_INCREASE_DELAY", timedelta(hours=24))


def set_spending_limits(user, *, daily=None, weekly=None, monthly=None):
    """Set ``user``'s limits (cents or None for no limit).

    Lowering (or adding) a limit applies immediately. Raising or removing one is a pending change
    that takes effect after ``spending_limit_increase_delay()``; asking again for the same pending
    value keeps its original date, asking for the current value cancels it. Returns the
    ``SpendingLimit`` row.
    """
    requested = {"daily": daily, "weekly": weekly, "monthly": monthly}
    for value in requested.values():
        if value is not None:
            check_amount(value)
    now = timezone.now()
    with transaction.atomic():
        limit, _created = SpendingLimit.objects.select_for_update().get_or_create(user=user)
        # Fold in a pending change whose time has come.
        current = limit.limits_at(now)
        pending = (
            {}
            if limit.pending_effective_at and limit.pending_effective_at <= now
            else {p: v for p, v in (limit.pending or {}).items() if p in SpendingLimit.PERIODS}
        )
        pending_at = limit.pending_effective_at if pending else None
        applied, delayed = {}, {}
        for period in SpendingLimit.PERIODS:
            new, old = requested[period], current[period]
            if new == old:
                pending.pop(period, None)
            elif new is not None and (old is None or new < old):
                applied[period] = new
                pending.pop(period, None)
            elif period in pending and pending[period] == new:
                pass  # already waiting for exactly this; keep its date
            else:
                pending[period] = new
                delayed[period] = new
            current[period] = applied.get(period, current[period])
        if delayed:
            pending_at = now + spending_limit_increase_delay()
        for period in SpendingLimit.PERIODS:
            setattr(limit, period, current[period])
        limit.pending = pending
        limit.pending_effective_at = pending_at if pending else None
        limit.save()
        record_event(
            "wallet.spending_limits_changed",
            actor=user,
            target=limit,
            applied=applied,
            delayed=delayed,
            effective_at=(
                limit.pending_effective_at.isoformat() if limit.pending_effective_at else None
            ),
        )
    limit.applied_now = applied
    limit.delayed = delayed
    return limit


# Satisfaction credit ----------------------------------------------------------------------------


def _lock_accounts(account_ids):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM wallet_ledgeraccount WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [sorted(set(account_ids))],
        )


def satisfaction_credit_reader_share():
    return Decimal(str(getattr(settings, "SATISFACTION_CREDIT_READER_SHARE", "1")))


def reading_credit_summary(reading):
    """What a reading transfer paid and how much of it was already given back as credit.

    Returns a dict: ``client`` (user), ``paid`` (total that left the client), ``reader_account``
    and ``reader_paid`` (the reader's earnings leg), ``credited`` and ``clawed_back`` so far, and
    ``remaining`` (the most that can still be credited).
    """
    if reading.kind != Transfer.Kind.READING:
        raise CreditNotAllowed("Satisfaction credit is only possible on a reading.")
    client = reader_account = None
    paid = reader_paid = 0
    for entry in reading.entries.select_related("account__owner"):
        kind = entry.account.kind
        if kind in (Kind.CLIENT_WALLET, Kind.CLIENT_HOLDS) and entry.amount < 0:
            client = entry.account.owner
        elif kind == Kind.READER_EARNINGS and entry.amount > 0:
            reader_account, reader_paid = entry.account, entry.amount
            paid += entry.amount
        elif kind in (Kind.PLATFORM_REVENUE, Kind.PROMOTIONS) and entry.amount > 0:
            paid += entry.amount
    if client is None or paid <= 0:
        raise CreditNotAllowed("This reading was not paid from a client's wallet.")
    credited = clawed = 0
    credits = Transfer.objects.filter(
        kind=Transfer.Kind.CREDIT, metadata__satisfaction_for=str(reading.public_id)
    ).prefetch_related("entries__account")
    for credit in credits:
        for entry in credit.entries.all():
            if entry.account.kind == Kind.CLIENT_WALLET:
                credited += entry.amount
            elif entry.account.kind == Kind.READER_EARNINGS:
                clawed += -entry.amount
    return {
        "client": client,
        "paid": paid,
        "reader_account": reader_account,
        "reader_paid": reader_paid,
        "credited": credited,
        "clawed_back": clawed,
        "remaining": max(paid - credited, 0),
    }


def grant_satisfaction_credit(reading, amount, *, staff_user, reason, request_key):
    """Give a client part (or all) of a reading back as wallet credit.

    Policy: the reader gives back their proportional share of ``amount`` times
    ``SATISFACTION_CREDIT_READER_SHARE`` (rounded down), never more than they earned from the
    reading nor than their earnings balance holds now; the platform covers the rest. The credits
    on one reading never add up to more than it cost. ``request_key`` (one per submitted form)
    makes a retry return the first credit instead of paying twice.
    """
    check_amount(amount)
    if not (reason or "").strip():
        raise CreditNotAllowed("Say why the credit is given; the client and reader may ask.")
    key = f"satisfaction:{reading.public_id}:{request_key}"
    with transaction.atomic():
        # One credit decision at a time per reading: the lock serialises the "remaining" check.
        reading = Transfer.objects.select_for_update().get(pk=reading.pk)
        existing = Transfer.objects.filter(idempotency_key=key).first()
        if existing is not None:
            existing.replayed = True
            return existing
        if Transfer.objects.filter(reverses=reading).exists():
            raise CreditNotAllowed("This reading was reversed already; nothing is left to credit.")
        summary = reading_credit_summary(reading)
        if amount > summary["remaining"]:
            raise InvalidAmount(
                f"At most {format_cents(summary['remaining'])} can still be credited for "
                "this reading."
            )
        wallet = wallet_of(summary["client"])
        revenue = platform_account(Kind.PLATFORM_REVENUE)
        earnings = summary["reader_account"]
        _lock_accounts([a.pk for a in (wallet, revenue, earnings) if a is not None])
        clawback = 0
        if earnings is not None:
            proportional = (
                Decimal(amount)
                * summary["reader_paid"]
                * satisfaction_credit_reader_share()
                / summary["paid"]
            ).to_integral_value(rounding=ROUND_FLOOR)
            available = LedgerAccount.objects.values_list("balance", flat=True).get(pk=earnings.pk)
            clawback = max(
                0,
                min(
                    int(proportional),
                    summary["reader_paid"] - summary["clawed_back"],
                    available,
                ),
            )
        legs = [Leg(wallet, amount), Leg(revenue, -(amount - clawback))]
        if clawback:
            legs.append(Leg(earnings, -clawback))
        reader_name = (reading.metadata or {}).get("reader_name", "")
        credit = transfer(
            legs,
            idempotency_key=key,
            kind=Transfer.Kind.CREDIT,
            description=(
                f"Satisfaction credit for your reading with {reader_name}"
                if reader_name
                else "Satisfaction credit for a reading"
            ),
            metadata={
                "satisfaction_for": str(reading.public_id),
                "reason": reason.strip(),
                "reader_clawback": clawback,
                "reader_name": reader_name,
            },
            initiated_by=staff_user,
        )
        record_event(
            "wallet.satisfaction_credit_granted",
            actor=staff_user,
            target=reading,
            amount=amount,
            reader_clawback=clawback,
            platform_covered=amount - clawback,
            client_id=summary["client"].pk,
            credit=str(credit.public_id),
            reason=reason.strip(),
        )
    return credit


# Batch posting (readings billing) ----------------------------------------------------------------
# Added for the readings sweeper; the functions above are unchanged. Many small balanced transfers
# in a few statements: one INSERT of all transfers, one INSERT of all their legs. The
# statement-level balance trigger (migration 0005) then updates each touched account once, so a
# hot account (platform revenue) is written once per batch instead of once per leg.


class BatchTransfer(NamedTuple):
    """One transfer of a batch: ``legs`` are ``(account_id, amount)`` pairs summing to zero.
    A named tuple: a sweep builds one per minute, and a tuple costs a fraction of a frozen
    dataclass to make."""

    idempotency_key: str
    legs: tuple
    description: str = ""
    metadata: dict | None = None
    purchase_id: int | None = None


def wallets_with_spending_limits(account_ids):
    """``{account id: owner id}`` for the client wallets among ``account_ids`` whose owner has a
    spending limit in force now (one query; ``limits_at`` decides pending changes)."""
    if not account_ids:
        return {}
    cursor = ledger_cursor()
    cursor.execute(
        # unnest() join, not "id = ANY(%s)": never a quadratic filter on a big batch.
        """
        SELECT a.id, l.id FROM unnest(%b::bigint[]) AS wanted(id)
        JOIN wallet_ledgeraccount a ON a.id = wanted.id
        JOIN wallet_spendinglimit l ON l.user_id = a.owner_id
        WHERE a.kind = 'client_wallet'
          AND (l.daily IS NOT NULL OR l.weekly IS NOT NULL OR l.monthly IS NOT NULL
               OR l.pending <> '{}'::jsonb)
        """,
        [sorted(set(account_ids))],
    )
    limit_of_account = dict(cursor.fetchall())
    if not limit_of_account:
        return {}
    now = timezone.now()
    in_force = {
        limit.pk: limit.user_id
        for limit in SpendingLimit.objects.filter(pk__in=set(limit_of_account.values()))
        if any(cap is not None for cap in limit.limits_at(now).values())
    }
    return {
        account_id: in_force[limit_id]
        for account_id, limit_id in limit_of_account.items()
        if limit_id in in_force
    }


def lock_accounts_for_batch(account_ids):
    """Lock ``account_ids`` in id order (the order every transfer locks in) and return
    ``{id: balance}`` as of the lock. Callers check funds against these balances before
    ``transfer_many``."""
    cursor = ledger_cursor()
    cursor.execute(
        # unnest() join, not "id = ANY(%s)": never a quadratic filter on a big batch.
        "SELECT a.id, a.balance FROM unnest(%b::bigint[]) AS wanted(id) "
        "JOIN wallet_ledgeraccount a ON a.id = wanted.id ORDER BY a.id FOR UPDATE OF a",
        [sorted(set(account_ids))],
    )
    return dict(cursor.fetchall())


def transfer_many(batch, *, kind):
    """Post many balanced transfers at once; returns ``{idempotency_key: transfer_id}``.

    Same invariants as ``transfer`` (balanced legs, checked here and by the entry trigger;
    append-only; restricted balances never below zero) but for throughput the caller must:
    hold the debited accounts locked (``lock_accounts_for_batch``) and have checked that they
    can pay: a shortfall raises ``InsufficientFunds`` and rolls back the *whole* batch. A key
    already used is skipped (its money moved before) and maps to the existing transfer.
    Spending kinds are refused for wallets whose owner has a spending limit in force: post
    those one by one with ``transfer`` (which enforces the limit).
    """
    if not batch:
        return {}
    keys, descriptions, metadatas, purchases = [], [], [], []
    legs_by_key = {}
    debited_wallets = set()
    for item in batch:
        if not item.idempotency_key:
            raise ValueError("transfer_many() needs an idempotency key per transfer")
        total = 0
        for _account_id, amount in item.legs:
            if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
                raise InvalidAmount("Legs must be non-zero whole numbers of cents.")
            if abs(amount) > MAX_LEG_AMOUNT:
                raise InvalidAmount("That amount is larger than any single payment we accept.")
            total += amount
        if total != 0 or len(item.legs) < 2:
            raise InvalidAmount("The legs of a transfer must sum to zero.")
        keys.append(item.idempotency_key)
        descriptions.append(item.description[:200])
        metadatas.append(_json(item.metadata or {}))
        purchases.append(item.purchase_id)
        legs_by_key[item.idempotency_key] = item.legs
        debited_wallets.update(account_id for account_id, amount in item.legs if amount < 0)
    if len(set(keys)) != len(keys):
        raise ValueError("transfer_many() got the same idempotency key twice")
    if kind in SPENDING_KINDS:
        limited = wallets_with_spending_limits(debited_wallets)
        if limited:
            raise ValueError(
                "transfer_many() cannot enforce spending limits; use transfer() for "
                f"user {limited[min(limited)]}"
            )
    try:
        with transaction.atomic():
            cursor = ledger_cursor()
            cursor.execute(
                """
                INSERT INTO wallet_transfer
                    (public_id, kind, idempotency_key, description, metadata,
                     initiated_by_id, reverses_id, purchase_id, created_at)
                SELECT gen_random_uuid(), %s, k, d, m::jsonb, NULL, NULL, p, now()
                FROM unnest(%b::text[], %b::text[], %b::text[], %b::bigint[]) AS t(k, d, m, p)
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING idempotency_key, id
                """,
                [kind, keys, descriptions, metadatas, purchases],
            )
            created = dict(cursor.fetchall())
            transfer_ids, account_ids, amounts = [], [], []
            for key, transfer_id in created.items():
                for account_id, amount in sorted(legs_by_key[key]):
                    transfer_ids.append(transfer_id)
                    account_ids.append(account_id)
                    amounts.append(amount)
            if transfer_ids:
                cursor.execute(
                    """
                    INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)
                    SELECT t, a, x, now() FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[])
                        AS e(t, a, x)
                    """,
                    [transfer_ids, account_ids, amounts],
                )
            result = dict(created)
            missing = [key for key in keys if key not in created]
            if missing:
                result.update(
                    Transfer.objects.filter(idempotency_key__in=missing).values_list(
                        "idempotency_key", "id"
                    )
                )
    except IntegrityError as error:
        if _insufficient_funds_from(error):
            raise InsufficientFunds() from error
        raise
    _run_batch_post_transfer_hooks(debited_wallets)
    return result


def _run_batch_post_transfer_hooks(debited_account_ids):
    """Run the post-transfer hooks (auto-reload) only for debited wallets whose owner opted in:
    one query instead of one hook call per transfer."""
    if not post_transfer_hooks or not debited_account_ids:
        return
    wallets = list(
        LedgerAccount.objects.raw(
            # unnest() join, not a 5,000-literal IN list parsed per batch.
            """
            SELECT a.* FROM unnest(%s::bigint[]) AS debited(id)
            JOIN wallet_ledgeraccount a ON a.id = debited.id
            JOIN wallet_autoreload r ON r.user_id = a.owner_id AND r.enabled
            WHERE a.kind = %s
            ORDER BY a.id
            """,
            [sorted(debited_account_ids), Kind.CLIENT_WALLET.value],
        )
    )
    if wallets:
        for hook in post_transfer_hooks:
            hook(None, wallets)
