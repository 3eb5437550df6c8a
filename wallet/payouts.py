"""Reader payouts through Stripe Connect Express.

A payout first moves the money in our ledger (reader_earnings → stripe_clearing, key
``payout:<public_id>``) and then creates a Stripe Transfer to the reader's connected account with
the Stripe idempotency key ``payout-<public_id>``, so sending it again after a timeout can never
pay twice. A Transfer that Stripe refuses reverses the ledger move; one whose outcome is unknown
(network error, Stripe 5xx) stays pending and is retried with the same key.
"""

import logging
import uuid

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from home.audit import record_event

from . import jobs, services
from .errors import InsufficientFunds, InvalidAmount
from .models import LedgerAccount, PayoutAccount, PayoutRequest, Transfer
from .money import format_cents
from .payments import PaymentError, StripeUnavailable, api_key, stripe_errors

logger = logging.getLogger(__name__)
Kind = LedgerAccount.Kind


def payout_minimum():
    return settings.WALLET_PAYOUT_MIN_CENTS


def account_of(user):
    return PayoutAccount.objects.filter(user=user).first()


def _apply_status(account, data):
    account.details_submitted = bool(data.get("details_submitted"))
    account.charges_enabled = bool(data.get("charges_enabled"))
    account.payouts_enabled = bool(data.get("payouts_enabled"))
    account.save(update_fields=["details_submitted", "charges_enabled", "payouts_enabled"])
    return account


def _as_dict(stripe_object):
    return stripe_object.to_dict() if hasattr(stripe_object, "to_dict") else dict(stripe_object)


def start_onboarding(user, *, refresh_url, return_url):
    """Create the reader's Express account on first use and return a Stripe onboarding URL."""
    if not getattr(user, "is_reader", False):
        raise PaymentError("Only readers can set up payouts.")
    account = account_of(user)
    with stripe_errors():
        if account is None:
            created = stripe.Account.create(
                type="express",
                email=user.email or None,
                capabilities={"transfers": {"requested": True}},
                metadata={"user": str(user.pk)},
                idempotency_key=f"connect-account-{user.pk}",
                api_key=api_key(),
            )
            try:
                with transaction.atomic():
                    account = PayoutAccount.objects.create(user=user, stripe_account_id=created.id)
            except IntegrityError:
                account = PayoutAccount.objects.get(user=user)
            _apply_status(account, _as_dict(created))
            record_event("wallet.payout_account_created", actor=user, target=account)
        link = stripe.AccountLink.create(
            account=account.stripe_account_id,
            refresh_url=refresh_url,
            return_url=return_url,
            type="account_onboarding",
            api_key=api_key(),
        )
    return link.url


def refresh_account(user):
    """Mirror the reader's account status from Stripe (after onboarding returns)."""
    account = account_of(user)
    if account is None:
        return None
    with stripe_errors():
        data = stripe.Account.retrieve(account.stripe_account_id, api_key=api_key())
    return _apply_status(account, _as_dict(data))


def mirror_account(data):
    """``account.updated`` webhook."""
    account = PayoutAccount.objects.filter(stripe_account_id=data.get("id")).first()
    if account is not None:
        _apply_status(account, data)
    return account


def request_payout(user, amount, *, request_id=None):
    """Pay ``amount`` cents of the reader's earnings out to their connected account.

    ``request_id`` (a UUID the form carries) makes a double-submitted form one payout.
    """
    services.check_amount(amount)
    if amount < payout_minimum():
        raise InvalidAmount(f"The smallest payout is {format_cents(payout_minimum())}.")
    account = account_of(user)
    if account is None or not account.ready:
        raise PaymentError("Finish setting up your payout account first.")
    public_id = request_id or uuid.uuid4()
    existing = PayoutRequest.objects.filter(public_id=public_id, user=user).first()
    if existing is not None:
        return existing
    earnings = services.earnings_of(user)
    clearing = services.platform_account(Kind.STRIPE_CLEARING)
    try:
        with transaction.atomic():
            ledger = services.transfer(
                [services.Leg(earnings, -amount), services.Leg(clearing, amount)],
                idempotency_key=f"payout:{public_id}",
                kind=Transfer.Kind.PAYOUT,
                description="Payout to bank account",
                metadata={"payout": str(public_id)},
                initiated_by=user,
            )
            payout, _ = PayoutRequest.objects.get_or_create(
                public_id=public_id,
                defaults={
                    "user": user,
                    "account": account,
                    "amount": amount,
                    "currency": earnings.currency,
                    "ledger_transfer": ledger,
                },
            )
            record_event("wallet.payout_requested", actor=user, target=payout, amount=amount)
    except InsufficientFunds as error:
        earnings.refresh_from_db()
        raise InsufficientFunds(
            f"You have {format_cents(earnings.balance)} available to pay out."
        ) from error
    try:
        return send_payout(payout.pk)
    except StripeUnavailable:
        jobs.enqueue("wallet.tasks.send_payout", payout.pk, countdown=60)
        payout.refresh_from_db()
        return payout


# Refusals that mean "no transfer was made"; anything else (network, 5xx) is an unknown outcome.
_DEFINITE_FAILURES = (
    stripe.InvalidRequestError,
    stripe.PermissionError,
    stripe.CardError,
)


def send_payout(payout_id):
    """Create the Stripe Transfer for a pending payout; reverse the ledger if Stripe refuses it.

    Raises ``StripeUnavailable`` (payout stays pending) when the outcome is unknown.
    """
    unavailable = None
    with transaction.atomic():
        payout = (
            PayoutRequest.objects.select_for_update()
            .select_related("account", "ledger_transfer")
            .get(pk=payout_id)
        )
        if payout.status != PayoutRequest.Status.PENDING:
            return payout
        payout.attempts += 1
        # The row lock is held across the call: two workers cannot send one payout at once
        # (and the idempotency key would make Stripe answer both with the same Transfer).
        try:
            stripe_transfer = stripe.Transfer.create(
                amount=payout.amount,
                currency=payout.currency,
                destination=payout.account.stripe_account_id,
                metadata={"payout": str(payout.public_id), "user": str(payout.user_id)},
                transfer_group=f"payout-{payout.public_id}",
                idempotency_key=f"payout-{payout.public_id}",
                api_key=api_key(),
            )
        except _DEFINITE_FAILURES as error:
            message = getattr(error, "user_message", None) or "Stripe refused the transfer."
            _fail(payout, message)
            return payout
        except stripe.StripeError as error:
            logger.warning("Payout %s: outcome unknown (%s); will retry", payout.public_id, error)
            payout.failure_message = "Waiting to retry: our payment provider did not answer."
            payout.save(update_fields=["attempts", "failure_message", "updated_at"])
            unavailable = StripeUnavailable(
                "Your payout is queued; we will send it as soon as our payment provider answers."
            )
        else:
            payout.status = PayoutRequest.Status.PAID
            payout.stripe_transfer_id = stripe_transfer.id
            payout.failure_message = ""
            payout.save()
            record_event("wallet.payout_sent", target=payout, transfer=stripe_transfer.id)
    if unavailable is not None:
        raise unavailable
    return payout


def _fail(payout, message):
    reversal = services.reverse(payout.ledger_transfer, reason=f"payout failed: {message}"[:200])
    payout.status = PayoutRequest.Status.FAILED
    payout.reversal_transfer = reversal
    payout.failure_message = message[:300]
    payout.save()
    record_event("wallet.payout_failed", target=payout, message=message[:300])


def transfer_reversed(data):
    """``transfer.reversed`` webhook: a fully reversed payout Transfer gives the earnings back."""
    with transaction.atomic():
        payout = (
            PayoutRequest.objects.select_for_update()
            .select_related("ledger_transfer")
            .filter(stripe_transfer_id=data.get("id"))
            .first()
        )
        if payout is None or payout.status != PayoutRequest.Status.PAID:
            return payout
        if int(data.get("amount_reversed") or 0) < payout.amount:
            logger.error("Payout %s partly reversed; needs a person", payout.public_id)
            return payout
        _fail(payout, "The transfer was reversed by Stripe.")
    return payout
