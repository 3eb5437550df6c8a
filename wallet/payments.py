"""Stripe money flows into and back out of client wallets: saved cards, top-ups, auto-reload,
refunds and disputes.

Rules these functions keep:
- The wallet is credited only from a verified ``payment_intent.succeeded`` webhook
  (``credit_top_up``), once per PaymentIntent (transfer key ``stripe:pi:<id>``), for the amount in
  the Stripe object, never an amount from the browser.
- Refunds and disputes debit the wallet as far as it goes and put the rest on the client's
  ``client_owed`` account (it may go negative; the next top-up repays it first). The refund
  service and the ``charge.refunded`` webhook share one key per Stripe Refund
  (``stripe:refund:<id>``), so a refund is debited once whichever path sees it first.
- Every Stripe call that creates something carries an idempotency key derived from our own row,
  so a retry after a timeout never charges twice.
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from djstripe.models import Customer
from djstripe.models import PaymentMethod as StripePaymentMethod
from djstripe.models import Refund as StripeRefund
from djstripe.settings import djstripe_settings

from home.audit import record_event

from . import jobs, sale_handlers, services
from .errors import InvalidAmount, WalletError
from .models import AutoReload, LedgerAccount, TopUp, Transfer
from .money import format_cents

logger = logging.getLogger(__name__)
Kind = LedgerAccount.Kind

TOP_UP_PURPOSE = "wallet_top_up"
# Stripe's smallest charge in dollars; a card sale of less is paid from the wallet.
CARD_SALE_MIN_CENTS = 50


class PaymentError(WalletError):
    """A payment step failed; the message is safe to show to the client."""


class PaymentDeclined(PaymentError):
    pass


class StripeUnavailable(PaymentError):
    def __init__(self, message=None):
        super().__init__(
            message
            or "We could not reach our payment provider. Nothing was charged; please try again "
            "in a minute."
        )


def api_key():
    return djstripe_settings.STRIPE_SECRET_KEY


@contextmanager
def stripe_errors():
    """Turn Stripe's exceptions into messages a client can read."""
    try:
        yield
    except stripe.CardError as error:
        raise PaymentDeclined(
            error.user_message or "Your card was declined. Please try another card."
        ) from error
    except stripe.APIConnectionError as error:
        raise StripeUnavailable() from error
    except stripe.StripeError as error:
        logger.warning("Stripe error: %s", error)
        raise PaymentError(
            "Our payment provider could not complete this request. Nothing was charged."
        ) from error


# Amounts ----------------------------------------------------------------------------------------


def top_up_bounds():
    return settings.WALLET_TOPUP_MIN_CENTS, settings.WALLET_TOPUP_MAX_CENTS


def check_top_up_amount(amount, currency=None):
    """A top-up is a whole number of cents within the configured bounds, in the ledger currency."""
    services.check_amount(amount)
    if currency is not None and str(currency).lower() != services.ledger_currency():
        raise InvalidAmount(f"Top-ups are in {services.ledger_currency().upper()} only.")
    low, high = top_up_bounds()
    if amount < low:
        raise InvalidAmount(f"The smallest top-up is {format_cents(low)}.")
    if amount > high:
        raise InvalidAmount(f"The largest top-up is {format_cents(high)}.")
    return amount


# Customers and saved cards ----------------------------------------------------------------------


def customer_for(user):
    """The user's dj-stripe Customer, created in Stripe on first use (one per user)."""
    existing = Customer.objects.filter(subscriber=user, livemode=False).first()
    if existing is None:
        existing = Customer.objects.filter(subscriber=user).first()
    if existing is not None:
        return existing
    with stripe_errors(), transaction.atomic():
        # Serialise creation per user: two tabs must not create two Stripe customers.
        get_user_model().objects.select_for_update().get(pk=user.pk)
        existing = Customer.objects.filter(subscriber=user).first()
        if existing is not None:
            return existing
        customer, _ = Customer.get_or_create(subscriber=user, api_key=api_key())
        return customer


def saved_cards(user):
    """Cards saved to the user's Stripe customer (mirrored by dj-stripe)."""
    return (
        StripePaymentMethod.objects.filter(customer__subscriber=user, stripe_data__type="card")
        .select_related("customer")
        .order_by("-created", "-djstripe_created")
    )


def card_summary(card):
    data = card.stripe_data.get("card") or {}
    return {
        "id": card.id,
        "brand": (data.get("brand") or "card").title(),
        "last4": data.get("last4") or "····",
        "exp": f"{int(data.get('exp_month') or 0):02d}/{str(data.get('exp_year') or '')[-2:]}",
    }


def start_card_setup(user):
    """Create a SetupIntent for the user's customer; the browser confirms it with Stripe.js."""
    customer = customer_for(user)
    with stripe_errors():
        setup_intent = stripe.SetupIntent.create(
            customer=customer.id,
            usage="off_session",
            payment_method_types=["card"],
            api_key=api_key(),
        )
    return {"id": setup_intent.id, "client_secret": setup_intent.client_secret}


def save_card_from_setup(user, setup_intent_id):
    """Mirror the card a confirmed SetupIntent collected, attached to the user's customer.

    Raises ``PermissionError`` when the SetupIntent belongs to someone else.
    """
    customer = customer_for(user)
    if not isinstance(setup_intent_id, str) or not setup_intent_id.startswith("seti_"):
        raise PaymentError("That card could not be saved. Please try again.")
    with stripe_errors():
        setup_intent = stripe.SetupIntent.retrieve(setup_intent_id, api_key=api_key())
        if setup_intent.customer != customer.id:
            raise PermissionError("This card setup belongs to another customer.")
        if setup_intent.status != "succeeded" or not setup_intent.payment_method:
            raise PaymentError("The card was not confirmed. Please check the details and retry.")
        payment_method = stripe.PaymentMethod.retrieve(
            setup_intent.payment_method, api_key=api_key()
        )
        owner = payment_method.customer
        if owner is None:
            # Stripe attaches on success; some servers (localstripe) leave it to us.
            payment_method = stripe.PaymentMethod.attach(
                payment_method.id, customer=customer.id, api_key=api_key()
            )
        elif owner != customer.id:
            raise PermissionError("This card belongs to another customer.")
        card = StripePaymentMethod.sync_from_stripe_data(payment_method, api_key=api_key())
    record_event("wallet.card_saved", actor=user, target=card.customer, payment_method=card.id)
    return card


def remove_card(user, card):
    """Detach a saved card (the caller looked it up with ``saved_cards(user)``)."""
    with stripe_errors():
        card.detach()
    AutoReload.objects.filter(user=user, payment_method_id=card.id).update(enabled=False)
    record_event("wallet.card_removed", actor=user, payment_method=card.id)


# Top-ups ----------------------------------------------------------------------------------------


def start_top_up(user, amount, payment_method_id, *, source=TopUp.Source.PAGE):
    """Charge a saved card ``amount`` cents with a confirmed PaymentIntent.

    Returns the ``TopUp`` in ``processing`` (the webhook credits the wallet and marks it
    succeeded) or ``requires_action``. A declined card raises ``PaymentDeclined`` and leaves the
    top-up ``failed``; nothing is credited in any error case.
    """
    check_top_up_amount(amount)
    card = saved_cards(user).filter(id=payment_method_id).first()
    if card is None:
        raise PaymentError("Choose one of your saved cards.")
    top_up = TopUp.objects.create(
        user=user,
        amount=amount,
        currency=services.ledger_currency(),
        source=source,
        payment_method_id=card.id,
    )
    return _charge(top_up, card.customer.id, off_session=source == TopUp.Source.AUTO_RELOAD)


def start_card_sale(user, amount, payment_method_id, *, reference, description):
    """Charge a saved card ``amount`` cents for one sale (``reference``, "order:<uuid>"):
    a top-up whose credit the seller's handler (``sale_handlers``) spends on that sale when the
    verified webhook credits it, or that is refunded to the card when the sale can't be made.

    Idempotent on ``reference``: while a payment for it is under way or done, that payment is
    returned and the card is not charged again. Returns the ``TopUp`` (as ``start_top_up``)."""
    services.check_amount(amount)
    if amount < CARD_SALE_MIN_CENTS:
        raise InvalidAmount(
            f"Card payments start at {format_cents(CARD_SALE_MIN_CENTS)}: pay from your wallet."
        )
    if sale_handlers.handler_for(reference) is None:
        raise ValueError(f"No seller handles card payments for {reference!r}")
    card = saved_cards(user).filter(id=payment_method_id).first()
    if card is None:
        raise PaymentError("Choose one of your saved cards.")
    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=user.pk)
        existing = (
            TopUp.objects.filter(user=user, sale_reference=reference)
            .exclude(status=TopUp.Status.FAILED)
            .first()
        )
        if existing is not None:
            existing.client_secret = None
            return existing
        top_up = TopUp.objects.create(
            user=user,
            amount=amount,
            currency=services.ledger_currency(),
            source=TopUp.Source.CARD_SALE,
            sale_reference=reference,
            payment_method_id=card.id,
        )
    return _charge(top_up, card.customer.id, off_session=False, description=description)


def card_sale_payment(user, reference):
    """The latest card payment ``user`` started for the sale ``reference``, or None."""
    return TopUp.objects.filter(user=user, sale_reference=reference).order_by("-created_at").first()


def _charge(top_up, customer_id, *, off_session, description=None):
    params = {
        "amount": top_up.amount,
        "currency": top_up.currency,
        "customer": customer_id,
        "payment_method": top_up.payment_method_id,
        "payment_method_types": ["card"],
        "confirm": True,
        "metadata": {
            "purpose": TOP_UP_PURPOSE,
            "top_up": str(top_up.public_id),
            "user": str(top_up.user_id),
            **({"sale": top_up.sale_reference} if top_up.sale_reference else {}),
        },
        "idempotency_key": f"topup-{top_up.public_id}",
        "api_key": api_key(),
    }
    if off_session:
        params["off_session"] = True
    if description:
        # In metadata: Stripe shows it on the payment, and localstripe refuses "description".
        params["metadata"]["description"] = description[:200]
    try:
        with stripe_errors():
            intent = stripe.PaymentIntent.create(**params)
    except PaymentError as error:
        intent_id = _failed_intent_id(error.__cause__)
        _mark_failed(top_up, str(error), intent_id)
        raise
    # The webhook may already have landed and finished the top-up: only move forward.
    TopUp.objects.filter(pk=top_up.pk, payment_intent_id__isnull=True).update(
        payment_intent_id=intent.id
    )
    next_status = {
        "requires_action": TopUp.Status.REQUIRES_ACTION,
        "requires_payment_method": TopUp.Status.FAILED,
        "canceled": TopUp.Status.FAILED,
    }.get(intent.status, TopUp.Status.PROCESSING)
    TopUp.objects.filter(pk=top_up.pk, status=TopUp.Status.CREATED).update(status=next_status)
    top_up.refresh_from_db()
    top_up.client_secret = intent.client_secret
    return top_up


def client_secret_for(top_up):
    """The PaymentIntent's client secret while the browser must authenticate it (3-D Secure),
    else None.

    Also follows the PaymentIntent out of ``requires_action`` (the page polls this): a failed or
    abandoned authentication (``requires_payment_method``/``canceled``) fails the top-up with
    Stripe's message; a passed one moves it to ``processing`` and the ``payment_intent.succeeded``
    webhook credits the wallet as for any top-up (never this poll).
    """
    if top_up.status != TopUp.Status.REQUIRES_ACTION or not top_up.payment_intent_id:
        return None
    try:
        intent = stripe.PaymentIntent.retrieve(top_up.payment_intent_id, api_key=api_key())
    except stripe.StripeError:
        return None
    if intent.status == "requires_action":
        return intent.client_secret
    if intent.status in {"requires_payment_method", "canceled"}:
        error = intent.get("last_payment_error") or {}
        _mark_failed(
            top_up,
            error.get("message")
            or "Your bank could not confirm this payment. Your card was not charged.",
        )
    elif intent.status in {"processing", "succeeded", "requires_capture"}:
        TopUp.objects.filter(pk=top_up.pk, status=TopUp.Status.REQUIRES_ACTION).update(
            status=TopUp.Status.PROCESSING
        )
        top_up.refresh_from_db()
    return None


def _failed_intent_id(error):
    intent = getattr(error, "json_body", None) or {}
    intent = (intent.get("error") or {}).get("payment_intent") or {}
    return intent.get("id") if isinstance(intent, dict) else None


def _mark_failed(top_up, message, intent_id=None):
    updates = {"status": TopUp.Status.FAILED, "failure_message": message[:300]}
    with transaction.atomic():
        newly_failed = (
            TopUp.objects.filter(pk=top_up.pk)
            .exclude(status__in=[TopUp.Status.SUCCEEDED, TopUp.Status.FAILED])
            .exists()
        )
        TopUp.objects.filter(pk=top_up.pk).exclude(status=TopUp.Status.SUCCEEDED).update(**updates)
        if intent_id:
            TopUp.objects.filter(pk=top_up.pk, payment_intent_id__isnull=True).update(
                payment_intent_id=intent_id
            )
        top_up.refresh_from_db()
        if newly_failed:
            _card_sale_failed(top_up, message)


def _card_sale_failed(top_up, message):
    """Tell the seller that the card payment for its sale failed (nothing was credited)."""
    if top_up.source != TopUp.Source.CARD_SALE:
        return
    handler = sale_handlers.handler_for(top_up.sale_reference)
    if handler is not None:
        handler.failed(top_up.sale_reference, message)


def _settle_card_sale(top_up):
    """Spend a card sale's fresh credit on its sale (the seller's handler, in this
    transaction). When the seller can't make the sale after all (the last one sold while the
    card was charged), the card is refunded in full after commit."""
    handler = sale_handlers.handler_for(top_up.sale_reference)
    if handler is not None and handler.paid(top_up.sale_reference, top_up.user):
        return
    if handler is None:
        logger.error("No seller handles %s: refunding top-up %s", top_up.sale_reference, top_up)
    record_event("wallet.card_sale_refunding", target=top_up, sale=top_up.sale_reference)
    top_up_id = top_up.pk
    transaction.on_commit(lambda: jobs.enqueue("wallet.tasks.refund_card_sale", top_up_id))


def refund_card_sale(top_up_id):
    """Give a card sale's payment back to the card (what is left of it to refund); nothing
    happens when it was refunded already. Returns the dj-stripe ``Refund`` or None."""
    top_up = TopUp.objects.get(pk=top_up_id)
    if top_up.source != TopUp.Source.CARD_SALE or top_up.refunded_amount >= top_up.amount:
        return None
    try:
        return refund_top_up(top_up, reason="The sale could not be made; refunded in full.")
    except InvalidAmount:
        return None  # another run refunded it between the read and the lock


def _top_up_for_intent(data, *, lock=True):
    """The TopUp a PaymentIntent (as Stripe sent it) pays for, or None for other payments."""
    queryset = TopUp.objects.select_for_update() if lock else TopUp.objects.all()
    top_up = queryset.filter(payment_intent_id=data["id"]).first()
    if top_up is not None:
        return top_up
    metadata = data.get("metadata") or {}
    if metadata.get("purpose") != TOP_UP_PURPOSE or not metadata.get("top_up"):
        return None
    top_up = queryset.filter(public_id=metadata["top_up"]).first()
    if (
        top_up is None
        or (top_up.payment_intent_id and top_up.payment_intent_id != data["id"])
        or str(top_up.user_id) != str(metadata.get("user"))
    ):
        logger.error("PaymentIntent %s names an unknown top-up %s", data["id"], metadata)
        return None
    return top_up


def _lock_accounts(*accounts):
    ids = sorted({account.pk for account in accounts})
    locked = LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {account.pk: account for account in locked}


def _credit_from_card(user, amount, *, idempotency_key, kind, description, metadata, **extra):
    """Money that came in by card (a top-up, a won dispute) reaches the client from Stripe
    clearing: what the client owes us (a refund or dispute after spending) is repaid first, the
    rest goes to the wallet. Returns ``(transfer, repaid)``; idempotent on the key."""
    wallet = services.wallet_of(user)
    owed = services.get_account(Kind.CLIENT_OWED, user)
    clearing = services.platform_account(Kind.STRIPE_CLEARING)
    locked = _lock_accounts(wallet, owed, clearing)
    repay = min(amount, max(0, -locked[owed.pk].balance))
    credit = services.transfer(
        [
            services.Leg(clearing, -amount),
            services.Leg(owed, repay),
            services.Leg(wallet, amount - repay),
        ],
        idempotency_key=idempotency_key,
        kind=kind,
        description=description,
        metadata={**metadata, "repaid": repay},
        **extra,
    )
    return credit, repay


def _stripe_payment_intent(intent_id):
    """The PaymentIntent as Stripe reports it now, or None when Stripe does not know it.

    A webhook's body is signed, but in development dj-stripe also accepts a signing secret sent
    in a header (DEBUG), and a signature only proves who sent the event, not that its amounts
    are what the card paid: what moves money is read back from Stripe itself."""
    try:
        return stripe.PaymentIntent.retrieve(intent_id, api_key=api_key()).to_dict()
    except stripe.InvalidRequestError:
        logger.warning("PaymentIntent %s is unknown to Stripe: nothing credited", intent_id)
        return None


def _flag_top_up(top_up, reason, **data):
    """Mark a top-up for staff (Wagtail admin → Ledger → Top-ups, filter "Needs review")."""
    top_up.needs_review = True
    top_up.review_reason = reason[:300]
    record_event("wallet.top_up_flagged", target=top_up, reason=reason, **data)


def credit_top_up(intent_data):
    """Credit the wallet for a succeeded PaymentIntent named by a verified event.

    Only the PaymentIntent's id is taken from the event: status, currency, metadata and the
    amount received are read back from Stripe (``_stripe_payment_intent``). The credit is what
    Stripe received, never more than the top-up asked for; any disagreement (Stripe received
    another amount, or the event's body says something else) flags the top-up for staff. The
    requested amount is never rewritten. Idempotent on the PaymentIntent id; returns the credit
    transfer or None (not a wallet top-up, unknown to Stripe, or nothing received)."""
    intent = _stripe_payment_intent(intent_data["id"])
    if intent is None or intent.get("status") != "succeeded":
        return None
    received = intent.get("amount_received")
    currency = str(intent.get("currency", "")).lower()
    with transaction.atomic():
        top_up = _top_up_for_intent(intent)
        if top_up is None:
            return None
        if top_up.credit_transfer_id:
            return top_up.credit_transfer
        key = f"stripe:pi:{intent['id']}"
        if Transfer.objects.filter(idempotency_key=key).exists():
            # Credited but not linked (should not happen): never credit twice.
            logger.error("Top-up %s: %s exists but is not linked", top_up.public_id, key)
            return Transfer.objects.get(idempotency_key=key)
        top_up.payment_intent_id = intent["id"]
        if currency != services.ledger_currency() or not isinstance(received, int) or received <= 0:
            logger.error(
                "Refusing to credit PaymentIntent %s: %s %s", intent["id"], received, currency
            )
            top_up.status = TopUp.Status.FAILED
            top_up.failure_message = "Paid in an unsupported currency; our team will refund it."
            _flag_top_up(
                top_up,
                f"Stripe reports {received} {currency} received; nothing was credited.",
                received=received,
                currency=currency,
            )
            top_up.save()
            record_event(
                "wallet.top_up_rejected", target=top_up, amount=received, currency=currency
            )
            return None
        amount = min(received, top_up.amount)
        claimed = {field: intent_data.get(field) for field in ("amount", "amount_received")}
        if received != top_up.amount or any(
            value is not None and value != stripe_value
            for value, stripe_value in (
                (claimed["amount"], intent.get("amount")),
                (claimed["amount_received"], received),
            )
        ):
            logger.error(
                "Top-up %s: asked %s, Stripe received %s, the event said %s; crediting %s",
                top_up.public_id,
                top_up.amount,
                received,
                claimed,
                amount,
            )
            _flag_top_up(
                top_up,
                f"Asked {format_cents(top_up.amount)}, Stripe received {format_cents(received)}, "
                f"the event said {claimed}; credited {format_cents(amount)}.",
                asked=top_up.amount,
                received=received,
                claimed=claimed,
                credited=amount,
            )
        user = top_up.user
        credit, repay = _credit_from_card(
            user,
            amount,
            idempotency_key=key,
            kind=Transfer.Kind.TOP_UP,
            description="Wallet top-up",
            metadata={"payment_intent": intent["id"], "amount": amount, "received": received},
            initiated_by=user,
        )
        top_up.status = TopUp.Status.SUCCEEDED
        top_up.credit_transfer = credit
        top_up.failure_message = ""
        top_up.save()
        if not credit.replayed:
            record_event(
                "wallet.top_up_credited", actor=user, target=top_up, amount=amount, repaid=repay
            )
            if top_up.source == TopUp.Source.CARD_SALE:
                _settle_card_sale(top_up)
    return credit


def fail_top_up(intent_data):
    """Record a failed PaymentIntent on its top-up (nothing was credited)."""
    error = intent_data.get("last_payment_error") or {}
    message = error.get("message") or "The payment did not go through."
    with transaction.atomic():
        top_up = _top_up_for_intent(intent_data)
        if top_up is None or top_up.status == TopUp.Status.SUCCEEDED:
            return None
        top_up.status = TopUp.Status.FAILED
        top_up.failure_message = message[:300]
        top_up.payment_intent_id = intent_data["id"]
        top_up.save(update_fields=["status", "failure_message", "payment_intent_id", "updated_at"])
        if top_up.source == TopUp.Source.AUTO_RELOAD:
            _auto_reload_failed(top_up.user, message)
        _card_sale_failed(top_up, message)
    return top_up


# Refunds and disputes ---------------------------------------------------------------------------


def _debit_back(top_up, amount, *, key, kind, description, metadata):
    """Take ``amount`` back from the top-up's owner: from the wallet as far as it goes, the rest
    onto ``client_owed``. Caller holds the top-up's row lock. Idempotent on ``key``."""
    existing = Transfer.objects.filter(idempotency_key=key).first()
    if existing is not None:
        existing.replayed = True
        return existing
    if top_up.refunded_amount + amount > top_up.amount:
        raise InvalidAmount(
            f"Only {format_cents(top_up.amount - top_up.refunded_amount)} of this top-up is "
            "left to refund."
        )
    user = top_up.user
    wallet = services.wallet_of(user)
    owed = services.get_account(Kind.CLIENT_OWED, user)
    clearing = services.platform_account(Kind.STRIPE_CLEARING)
    locked = _lock_accounts(wallet, owed, clearing)
    from_wallet = min(amount, max(0, locked[wallet.pk].balance))
    debit = services.transfer(
        [
            services.Leg(wallet, -from_wallet),
            services.Leg(owed, -(amount - from_wallet)),
            services.Leg(clearing, amount),
        ],
        idempotency_key=key,
        kind=kind,
        description=description,
        metadata={**metadata, "top_up": str(top_up.public_id), "owed": amount - from_wallet},
    )
    top_up.refunded_amount += amount
    top_up.save(update_fields=["refunded_amount", "updated_at"])
    record_event(
        f"wallet.{kind}_debited",
        target=top_up,
        amount=amount,
        from_wallet=from_wallet,
        owed=amount - from_wallet,
        key=key,
    )
    if amount - from_wallet:
        logger.warning(
            "%s of %s for top-up %s exceeded the wallet; %s is now owed by user %s",
            kind,
            amount,
            top_up.public_id,
            amount - from_wallet,
            user.pk,
        )
    return debit


def refund_top_up(top_up, amount=None, reason="", *, initiated_by=None):
    """Refund part or all of a credited top-up to the card and debit the wallet for it.

    Refuses over-refunds (``InvalidAmount``) before calling Stripe. Returns the dj-stripe
    ``Refund``. The debit uses the key ``stripe:refund:<re_id>`` that the ``charge.refunded``
    webhook also uses.
    """
    with transaction.atomic():
        locked = TopUp.objects.select_for_update().get(pk=top_up.pk)
        if locked.status != TopUp.Status.SUCCEEDED or not locked.payment_intent_id:
            raise PaymentError("Only top-ups that reached the wallet can be refunded.")
        remaining = locked.amount - locked.refunded_amount
        amount = remaining if amount is None else amount
        services.check_amount(amount)
        if amount > remaining:
            raise InvalidAmount(f"Only {format_cents(remaining)} of this top-up is left to refund.")
        # The row lock is held across the Stripe call so two refunds cannot both pass the check.
        with stripe_errors():
            refund = stripe.Refund.create(
                payment_intent=locked.payment_intent_id,
                amount=amount,
                metadata={"top_up": str(locked.public_id), "reason": reason[:200]},
                idempotency_key=f"refund-{locked.public_id}-{locked.refunded_amount}-{amount}",
                api_key=api_key(),
            )
        if refund.status not in {"succeeded", "pending"}:
            raise PaymentError(f"The refund was not accepted ({refund.status}).")
        _debit_back(
            locked,
            refund.amount,
            key=f"stripe:refund:{refund.id}",
            kind=Transfer.Kind.REFUND,
            description="Top-up refunded to card",
            metadata={"refund": refund.id, "reason": reason[:200]},
        )
        record_event("wallet.refund_created", actor=initiated_by, target=locked, refund=refund.id)
    top_up.refresh_from_db()
    try:
        return StripeRefund.sync_from_stripe_data(refund, api_key=api_key())
    except stripe.StripeError:
        # The money side is done; the mirror catches up on the next sync or webhook.
        logger.exception("Could not mirror refund %s", refund.id)
        return None


def apply_charge_refunds(charge_data):
    """``charge.refunded``: debit every succeeded refund of the charge not debited yet."""
    intent_id = charge_data.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    if not intent_id:
        return []
    refunds = stripe.Refund.list(charge=charge_data["id"], limit=100, api_key=api_key())
    applied = []
    with transaction.atomic():
        top_up = TopUp.objects.select_for_update().filter(payment_intent_id=intent_id).first()
        if top_up is None or not top_up.credit_transfer_id:
            return []
        for refund in refunds.auto_paging_iter():
            if refund.status != "succeeded":
                continue
            applied.append(
                _debit_back(
                    top_up,
                    refund.amount,
                    key=f"stripe:refund:{refund.id}",
                    kind=Transfer.Kind.REFUND,
                    description="Top-up refunded to card",
                    metadata={"refund": refund.id},
                )
            )
    return applied


# Inquiries ("warning_*" statuses) are questions from the card issuer: Stripe withdraws no funds
# for them, so the wallet is not debited either.
INQUIRY_STATUSES = frozenset({"warning_needs_response", "warning_under_review", "warning_closed"})


def _disputed_intent_id(dispute_data):
    intent_id = dispute_data.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    charge_id = dispute_data.get("charge")
    if isinstance(charge_id, dict):
        intent_id = intent_id or charge_id.get("payment_intent")
        charge_id = charge_id.get("id")
    if not intent_id and charge_id:
        charge = stripe.Charge.retrieve(charge_id, api_key=api_key())
        intent_id = charge.payment_intent
    return intent_id


def apply_dispute(dispute_data):
    """``charge.dispute.created``: the disputed amount leaves the wallet (or becomes owed).

    Once per dispute (transfer key ``stripe:dispute:<dp_id>``), whichever event arrives first.
    Returns the debit transfer, or None (not a wallet top-up, or an inquiry).
    """
    with transaction.atomic():
        top_up = _disputed_top_up(dispute_data)
        return _debit_dispute(top_up, dispute_data) if top_up else None


def _disputed_top_up(dispute_data):
    """The credited wallet top-up a dispute (not an inquiry) is about, row-locked (inside the
    caller's transaction), or None."""
    if dispute_data.get("status") in INQUIRY_STATUSES:
        return None
    intent_id = _disputed_intent_id(dispute_data)
    if not intent_id:
        return None
    top_up = TopUp.objects.select_for_update().filter(payment_intent_id=intent_id).first()
    if top_up is None or not top_up.credit_transfer_id:
        return None
    return top_up


def _debit_dispute(top_up, dispute_data):
    """Caller holds the top-up's row lock."""
    amount = min(int(dispute_data["amount"]), top_up.amount - top_up.refunded_amount)
    key = f"stripe:dispute:{dispute_data['id']}"
    if amount <= 0:
        return Transfer.objects.filter(idempotency_key=key).first()
    return _debit_back(
        top_up,
        amount,
        key=key,
        kind=Transfer.Kind.DISPUTE,
        description="Card payment disputed",
        metadata={"dispute": dispute_data["id"], "reason": dispute_data.get("reason", "")},
    )


def apply_dispute_closed(dispute_data):
    """``charge.dispute.closed``: ``won`` gives the disputed amount back (Stripe returns the
    funds), once per dispute (key ``stripe:dispute_won:<dp_id>``); ``lost`` changes nothing more
    (the debit made when the dispute opened stands).

    Events can arrive out of order: the opening debit is made here first when it is missing (same
    key as ``apply_dispute``, so the late ``created`` event is a no-op), and a won dispute then nets
    to zero. Returns the credit transfer for ``won``, else the debit (or None).
    """
    with transaction.atomic():
        top_up = _disputed_top_up(dispute_data)
        if top_up is None:
            return None
        debit = _debit_dispute(top_up, dispute_data)
        if dispute_data.get("status") != "won" or debit is None:
            return debit
        return _credit_back(top_up, debit, dispute_data["id"])


def _credit_back(top_up, debit, dispute_id):
    """Give a won dispute's debit back: repay what the client owes first, the rest to the wallet
    (like a top-up). Caller holds the top-up's row lock. Idempotent on the key."""
    key = f"stripe:dispute_won:{dispute_id}"
    existing = Transfer.objects.filter(idempotency_key=key).first()
    if existing is not None:
        existing.replayed = True
        return existing
    clearing = services.platform_account(Kind.STRIPE_CLEARING)
    amount = sum(e.amount for e in debit.entries.all() if e.account_id == clearing.pk)
    if amount <= 0:
        return None
    credit, repay = _credit_from_card(
        top_up.user,
        amount,
        idempotency_key=key,
        kind=Transfer.Kind.DISPUTE,
        description="Dispute won: card payment returned",
        metadata={"dispute": dispute_id, "outcome": "won", "top_up": str(top_up.public_id)},
    )
    # The amount is refundable again.
    top_up.refunded_amount = max(0, top_up.refunded_amount - amount)
    top_up.save(update_fields=["refunded_amount", "updated_at"])
    record_event("wallet.dispute_won_credited", target=top_up, amount=amount, repaid=repay, key=key)
    return credit


# Auto-reload ------------------------------------------------------------------------------------


def configure_auto_reload(user, *, enabled, threshold, amount, payment_method_id, daily_limit):
    check_top_up_amount(amount)
    services.check_amount(threshold, allow_zero=True)
    if enabled and not saved_cards(user).filter(id=payment_method_id).exists():
        raise PaymentError("Choose one of your saved cards.")
    max_per_day = settings.WALLET_AUTO_RELOAD_MAX_PER_DAY
    if not 1 <= daily_limit <= max_per_day:
        raise InvalidAmount(f"Choose between 1 and {max_per_day} reloads a day.")
    with transaction.atomic():
        setting, _ = AutoReload.objects.update_or_create(
            user=user,
            defaults={
                "enabled": enabled,
                "threshold": threshold,
                "amount": amount,
                "payment_method_id": payment_method_id or "",
                "daily_limit": daily_limit,
                "last_failure_message": "",
            },
        )
        record_event(
            "wallet.auto_reload_configured",
            actor=user,
            target=setting,
            enabled=enabled,
            threshold=threshold,
            amount=amount,
        )
    if enabled:
        maybe_auto_reload(user)
    return setting


def maybe_auto_reload(user):
    """Enqueue an auto-reload (after commit) when ``user`` opted in and the wallet is under the
    threshold. Cheap; safe to call after any wallet debit. Returns True when one was enqueued."""
    user_id = getattr(user, "pk", user)
    setting = AutoReload.objects.filter(user_id=user_id, enabled=True).first()
    if setting is None:
        return False
    wallet = LedgerAccount.objects.filter(
        kind=Kind.CLIENT_WALLET, owner_id=user_id, currency=services.ledger_currency()
    ).first()
    if wallet is None or wallet.balance >= setting.threshold:
        return False
    transaction.on_commit(lambda: jobs.enqueue("wallet.tasks.auto_reload", user_id))
    return True


def on_wallet_debited(transfer, wallets):
    """Post-transfer hook (see ``services.post_transfer_hooks``)."""
    for wallet in wallets:
        if wallet.owner_id:
            maybe_auto_reload(wallet.owner_id)


def auto_reload_now(user_id):
    """Run one auto-reload for ``user_id`` if it is still due and within the daily cap.

    At most one auto-reload is in flight per user, and at most ``daily_limit`` start in any 24
    hours (failed attempts count, so a bad card is not retried all day). A decline turns
    auto-reload off and tells the client why.
    """
    with transaction.atomic():
        setting = (
            AutoReload.objects.select_for_update()
            .select_related("user")
            .filter(user_id=user_id, enabled=True)
            .first()
        )
        if setting is None:
            return None
        wallet = services.wallet_of(setting.user)
        if wallet.balance >= setting.threshold:
            return None
        recent = TopUp.objects.filter(
            user_id=user_id,
            source=TopUp.Source.AUTO_RELOAD,
            created_at__gte=timezone.now() - timedelta(days=1),
        )
        in_flight = recent.filter(
            status__in=[TopUp.Status.CREATED, TopUp.Status.PROCESSING]
        ).exists()
        if in_flight or recent.count() >= setting.daily_limit:
            return None
        card = saved_cards(setting.user).filter(id=setting.payment_method_id).first()
        if card is None:
            _auto_reload_failed(setting.user, "The saved card for auto-reload was removed.")
            return None
        top_up = TopUp.objects.create(
            user=setting.user,
            amount=setting.amount,
            currency=services.ledger_currency(),
            source=TopUp.Source.AUTO_RELOAD,
            payment_method_id=card.id,
        )
    try:
        return _charge(top_up, card.customer.id, off_session=True)
    except StripeUnavailable:
        raise
    except PaymentError as error:
        _auto_reload_failed(setting.user, str(error))
        return top_up


def _auto_reload_failed(user, message):
    AutoReload.objects.filter(user=user).update(
        enabled=False, last_failure_message=message[:300], last_failed_at=timezone.now()
    )
    record_event("wallet.auto_reload_failed", actor=None, message=message[:300], user=user.pk)
