"""Gift cards of wallet credit, public to sellers (the shop sells them).

A gift card's price is charged with the order that buys it (``sales.charge(...,
gift_cards=cents)`` puts it in the platform's gift cards account); ``issue`` then makes the
card and returns its code, which is shown and sent once and kept only as a digest. ``redeem``
moves the card's amount from the gift cards account into the redeemer's wallet, once: the card
row is locked and the transfer's idempotency key is the card's, so two redemptions at the same
moment credit one wallet once and the other gets ``GiftCardAlreadyRedeemed``.
"""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from home.audit import record_event

from . import services as ledger
from .errors import GiftCardAlreadyRedeemed, GiftCardInvalid
from .models import GiftCard, LedgerAccount, Transfer

# No 0/O, 1/I/L: a code read aloud or copied by hand still matches. 16 symbols of 31: 79 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16


def _normalise(code):
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def _digest(code):
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_code():
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def issue(purchase, amount, *, reference, recipient_email="", message=""):
    """Make the gift card ``reference`` names for ``purchase`` (whose charge paid ``amount``
    into the gift cards account). Returns ``(card, code)``; ``code`` is None when the card was
    issued before (the code is never stored, so it cannot be shown again)."""
    ledger.check_amount(amount)
    existing = GiftCard.objects.filter(reference=reference).first()
    if existing is not None:
        return existing, None
    code = _new_code()
    card = GiftCard.objects.create(
        purchase=purchase,
        reference=reference[:200],
        amount=amount,
        currency=ledger.ledger_currency(),
        code_digest=_digest(code),
        code_last4=_normalise(code)[-4:],
        recipient_email=recipient_email,
        message=message[:300],
    )
    return card, code


def redeem(user, code):
    """Credit ``user``'s wallet with the card ``code`` opens. Raises ``GiftCardInvalid`` for a
    code that opens nothing and ``GiftCardAlreadyRedeemed`` for a card used before (by anyone);
    nothing changes then. Returns the card."""
    normalised = _normalise(code)
    if len(normalised) != CODE_LENGTH:
        raise GiftCardInvalid()
    with transaction.atomic():
        card = GiftCard.objects.select_for_update().filter(code_digest=_digest(code)).first()
        if card is None:
            raise GiftCardInvalid()
        if card.redeemed_by_id is not None:
            raise GiftCardAlreadyRedeemed()
        credit = ledger.transfer(
            [
                ledger.Leg(ledger.platform_account(LedgerAccount.Kind.GIFT_CARDS), -card.amount),
                ledger.Leg(ledger.wallet_of(user), card.amount),
            ],
            idempotency_key=f"gift_card:{card.public_id}:redeem",
            kind=Transfer.Kind.GIFT_CARD,
            description=f"Gift card …{card.code_last4}",
            metadata={"gift_card": str(card.public_id)},
            initiated_by=user,
            # No purchase: the card's purchase is its buyer's; for the redeemer it is credit.
        )
        card.redeemed_by = user
        card.redeemed_at = timezone.now()
        card.redeem_transfer = credit
        card.save(update_fields=["redeemed_by", "redeemed_at", "redeem_transfer"])
        record_event("wallet.gift_card_redeemed", actor=user, target=card, amount=card.amount)
    return card
