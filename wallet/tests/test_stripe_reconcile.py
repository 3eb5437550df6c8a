"""reconcile_stripe compares localstripe's PaymentIntents and refunds with the ledger."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from wallet import payments, services
from wallet.models import LedgerAccount, TopUp, Transfer
from wallet.tests.conftest import NOWHERE, wait_until
from wallet.tests.stripe_helpers import save_card


def reconcile():
    out = io.StringIO()
    call_command("reconcile_stripe", "--no-transfers", stdout=out)
    return out.getvalue()


def credited_top_up(client, amount=2500):
    card = save_card(client)
    top_up = payments.start_top_up(client, amount, card.id)
    assert wait_until(
        lambda: TopUp.objects.filter(pk=top_up.pk, status=TopUp.Status.SUCCEEDED).exists()
    )
    top_up.refresh_from_db()
    return top_up


def test_matching_top_ups_and_refunds_reconcile(local_stripe):
    top_up = credited_top_up(UserFactory())
    payments.refund_top_up(top_up, 500)

    assert "agree" in reconcile()


def test_a_succeeded_payment_intent_that_was_never_credited_is_reported(local_stripe):
    local_stripe.deliver_webhooks_to(NOWHERE)
    client = UserFactory()
    card = save_card(client)
    top_up = payments.start_top_up(client, 2500, card.id)

    with pytest.raises(CommandError, match="1 mismatch"):
        call_command("reconcile_stripe", "--no-transfers", stdout=io.StringIO())
    assert top_up.payment_intent_id


def test_a_ledger_credit_unknown_to_stripe_is_reported(local_stripe):
    credited_top_up(UserFactory())
    client = UserFactory()
    services.transfer(
        [
            services.Leg(services.platform_account(LedgerAccount.Kind.STRIPE_CLEARING), -900),
            services.Leg(services.wallet_of(client), 900),
        ],
        idempotency_key="stripe:pi:pi_made_up",
        kind=Transfer.Kind.TOP_UP,
    )
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("reconcile_stripe", "--no-transfers", stdout=out)
    assert "stripe:pi:pi_made_up: credited but unknown to Stripe" in out.getvalue()
