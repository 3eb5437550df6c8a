"""The only code that moves money. Every function validates, owns its transaction and leaves
either a complete, balanced transfer or nothing at all.

Sign convention: an entry's amount is added to its account's balance. A client wallet going up by
$10 after a top-up is ``+1000`` on the wallet and ``-1000`` on Stripe clearing (money Stripe holds
for us). Amounts are integers in minor units (cents); floats and other currencies are refused.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from home.audit import record_event

from .errors import (
    AlreadyReversed,
    HoldAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
)
from .models import Hold, LedgerAccount, Transfer

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


def transfer(
    legs,
    *,
    idempotency_key,
    kind,
    description="",
    metadata=None,
    initiated_by=None,
    reverses=None,
):
    """Move money between accounts as one balanced, idempotent transfer.

    Repeating a call with the same key returns the first transfer (``replayed`` is True) without
    moving money again; the same key with different legs raises ``IdempotencyConflict``. A leg that
    would take a restricted account below zero raises ``InsufficientFunds`` and writes nothing.
    """
    if not idempotency_key:
        raise ValueError("transfer() needs an idempotency key")
    normalised, _accounts = _normalise_legs(legs)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO wallet_transfer
                        (public_id, kind, idempotency_key, description, metadata,
                         initiated_by_id, reverses_id, created_at)
                    VALUES (gen_random_uuid(), %s, %s, %s, %s::jsonb, %s, %s, now())
                    ON CONFLICT (idempotency_key) DO NOTHING
                    RETURNING id
                    """,
                    [
                        kind,
                        idempotency_key,
                        description[:200],
                        _json(metadata or {}),
                        getattr(initiated_by, "pk", None),
                        getattr(reverses, "pk", None),
                    ],
                )
                row = cursor.fetchone()
                if row is None:
                    return _existing_transfer(idempotency_key, kind, normalised)
                transfer_id = row[0]
                # One multi-row insert; the entry trigger moves each balance and the CHECK
                # constraint refuses a restricted balance below zero.
                values = ", ".join(["(%s, %s, %s, now())"] * len(normalised))
                params = []
                for account_id, amount in normalised:
                    params += [transfer_id, account_id, amount]
                sql = (
                    "INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at) VALUES "
                )
                cursor.execute(sql + values, params)
    except IntegrityError as error:
        if _insufficient_funds_from(error):
            raise InsufficientFunds() from error
        raise
    result = Transfer.objects.get(pk=transfer_id)
    result.replayed = False
    return result


def _json(value):
    import json

    return json.dumps(value, sort_keys=True, default=str)


def reverse(original, *, initiated_by=None, reason=""):
    """Undo a transfer with a new transfer of the opposite legs; each is reversed at most once."""
    if original.kind == Transfer.Kind.REVERSAL:
        raise AlreadyReversed("A reversal cannot itself be reversed; make a new transfer instead.")
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
        )
    except IntegrityError as error:
        raise AlreadyReversed("This transfer was already reversed.") from error
    if not result.replayed:
        record_event("wallet.transfer_reversed", actor=initiated_by, target=original, reason=reason)
    return result


# Holds (two-phase) ------------------------------------------------------------------------------


def hold(user, amount, *, idempotency_key, description="", expires_at=None, metadata=None):
    """Reserve ``amount`` of ``user``'s wallet: no longer spendable, but not yet spent.

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


def post_hold(hold_obj, destinations, *, description="", metadata=None, kind=None):
    """Charge a hold: pay ``destinations`` (a list of ``Leg`` with positive amounts) from it and
    release whatever is left back to the wallet. A hold is resolved at most once."""
    total = 0
    for leg in destinations:
        check_amount(leg.amount)
        total += leg.amount
    with transaction.atomic():
        locked = (
            Hold.objects.select_for_update().select_related("wallet", "escrow").get(pk=hold_obj.pk)
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
        )
        locked.status = Hold.Status.POSTED
        locked.posted_amount = total
        locked.resolve_transfer = resolve
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "posted_amount", "resolve_transfer", "resolved_at"])
    return locked


def void_hold(hold_obj, *, description=""):
    """Release a hold back to the wallet in full. A hold is resolved at most once."""
    with transaction.atomic():
        locked = (
            Hold.objects.select_for_update().select_related("wallet", "escrow").get(pk=hold_obj.pk)
        )
        if locked.status != Hold.Status.PENDING:
            raise HoldAlreadyResolved(locked)
        resolve = transfer(
            [Leg(locked.escrow, -locked.amount), Leg(locked.wallet, locked.amount)],
            idempotency_key=f"hold:{locked.public_id}:resolve",
            kind=Transfer.Kind.HOLD_VOID,
            description=description or f"Released: {locked.description}"[:200],
        )
        locked.status = Hold.Status.VOIDED
        locked.resolve_transfer = resolve
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolve_transfer", "resolved_at"])
    return locked
