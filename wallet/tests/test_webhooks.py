"""The webhook endpoint: signatures, replays, duplicates and concurrency, refunds and disputes."""

import json
import threading
import time

import pytest
import requests
import stripe
from djstripe.models import Event, WebhookEventTrigger

from accounts.tests.factories import UserFactory
from wallet import payments, services
from wallet.models import LedgerAccount, TopUp, Transfer
from wallet.tests.conftest import sign, wait_until
from wallet.tests.factories import spend
from wallet.tests.stripe_helpers import save_card

Kind = LedgerAccount.Kind


def balance(account):
    account.refresh_from_db()
    return account.balance


def succeeded_event_for(local_stripe, top_up):
    """The payment_intent.succeeded event localstripe generated for ``top_up``."""
    assert wait_until(
        lambda: any(
            e["data"]["object"]["id"] == top_up.payment_intent_id
            for e in local_stripe.events("payment_intent.succeeded")
        )
    )
    return next(
        e
        for e in local_stripe.events("payment_intent.succeeded")
        if e["data"]["object"]["id"] == top_up.payment_intent_id
    )


def post_event(local_stripe, event, *, secret=None, timestamp=None, signature=None):
    payload = json.dumps(event)
    header = signature or sign(payload, secret or local_stripe.secret, timestamp)
    return requests.post(
        local_stripe.webhook_url(),
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
        timeout=30,
    )


def test_the_same_event_delivered_twice_credits_the_wallet_once(local_stripe, undelivered_top_up):
    client, top_up, event = undelivered_top_up

    first = post_event(local_stripe, event)
    second = post_event(local_stripe, event)

    assert first.status_code == 200 and second.status_code == 200
    assert balance(services.wallet_of(client)) == 2500
    assert Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).count() == 1
    assert Event.objects.filter(id=event["id"]).count() == 1
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.SUCCEEDED


def test_the_same_event_delivered_concurrently_credits_the_wallet_once(
    local_stripe, undelivered_top_up
):
    client, top_up, event = undelivered_top_up
    barrier = threading.Barrier(3)
    statuses = []

    def deliver():
        barrier.wait()
        statuses.append(post_event(local_stripe, event).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    # A losing delivery may answer 500 (Stripe then retries); none may credit twice.
    assert 200 in statuses
    assert balance(services.wallet_of(client)) == 2500
    assert Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).count() == 1
    # A retry after the race is a no-op.
    assert post_event(local_stripe, event).status_code == 200
    assert balance(services.wallet_of(client)) == 2500


def test_a_different_event_for_the_same_payment_intent_credits_nothing_more(
    local_stripe, undelivered_top_up
):
    client, top_up, event = undelivered_top_up
    post_event(local_stripe, event)

    resent = {**event, "id": event["id"] + "x"}
    assert post_event(local_stripe, resent).status_code == 200

    assert balance(services.wallet_of(client)) == 2500
    assert Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).count() == 1


def test_a_bad_signature_is_rejected_and_changes_nothing(local_stripe, undelivered_top_up):
    client, top_up, event = undelivered_top_up

    response = post_event(local_stripe, event, secret="whsec_" + "attacker" * 4)

    assert response.status_code == 400
    assert not Event.objects.filter(id=event["id"]).exists()
    assert balance(services.wallet_of(client)) == 0
    assert WebhookEventTrigger.objects.get().valid is False


def test_a_stale_timestamp_is_rejected_and_changes_nothing(local_stripe, undelivered_top_up):
    client, top_up, event = undelivered_top_up

    response = post_event(local_stripe, event, timestamp=int(time.time()) - 600)

    assert response.status_code == 400
    assert not Event.objects.filter(id=event["id"]).exists()
    assert balance(services.wallet_of(client)) == 0


def test_a_tampered_amount_fails_the_signature(local_stripe, undelivered_top_up):
    client, top_up, event = undelivered_top_up
    payload = json.dumps(event)
    header = sign(payload, local_stripe.secret)
    tampered = payload.replace('"amount": 2500', '"amount": 250000')

    response = requests.post(
        local_stripe.webhook_url(),
        data=tampered.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
        timeout=30,
    )

    assert response.status_code == 400
    assert balance(services.wallet_of(client)) == 0


def test_a_missing_signature_is_rejected(local_stripe, undelivered_top_up):
    _client, _top_up, event = undelivered_top_up

    response = requests.post(local_stripe.webhook_url(), json=event, timeout=30)

    assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()


# Refunds and disputes -----------------------------------------------------------------------


@pytest.fixture
def credited_top_up(local_stripe):
    client = UserFactory()
    card = save_card(client)
    top_up = payments.start_top_up(client, 2500, card.id)
    assert wait_until(
        lambda: TopUp.objects.filter(pk=top_up.pk, status=TopUp.Status.SUCCEEDED).exists()
    )
    top_up.refresh_from_db()
    return client, top_up


def test_a_refund_debits_the_wallet_and_is_mirrored(local_stripe, credited_top_up):
    client, top_up = credited_top_up

    refund = payments.refund_top_up(top_up, 1000, "requested by client")

    assert refund.id.startswith("re_")
    assert balance(services.wallet_of(client)) == 1500
    assert Transfer.objects.get(idempotency_key=f"stripe:refund:{refund.id}").kind == "refund"
    top_up.refresh_from_db()
    assert top_up.refunded_amount == 1000


def test_over_refunds_are_refused_before_stripe_is_asked(local_stripe, credited_top_up):
    client, top_up = credited_top_up
    payments.refund_top_up(top_up, 2000)

    with pytest.raises(payments.InvalidAmount, match=r"Only \$5.00"):
        payments.refund_top_up(top_up, 600)

    refunds = stripe.Refund.list(payment_intent=top_up.payment_intent_id).data
    assert [r.amount for r in refunds] == [2000]
    assert balance(services.wallet_of(client)) == 500


def test_a_refund_after_spending_puts_the_rest_on_client_owed(local_stripe, credited_top_up):
    client, top_up = credited_top_up
    spend(client, 2000)

    payments.refund_top_up(top_up)

    assert balance(services.wallet_of(client)) == 0
    assert balance(services.get_account(Kind.CLIENT_OWED, client)) == -2000
    assert balance(services.platform_account(Kind.STRIPE_CLEARING)) == 0


def test_charge_refunded_webhook_and_refund_service_debit_once(local_stripe, credited_top_up):
    client, top_up = credited_top_up
    refund = payments.refund_top_up(top_up, 1000)
    charge = stripe.Charge.retrieve(refund.stripe_data["charge"]).to_dict()
    # A refund made elsewhere (e.g. the Stripe dashboard) that only the webhook tells us about.
    stripe.Refund.create(payment_intent=top_up.payment_intent_id, amount=500)
    event = {
        "id": "evt_refund_test",
        "object": "event",
        "type": "charge.refunded",
        "livemode": False,
        "api_version": "2020-08-27",
        "created": int(time.time()),
        "data": {"object": charge},
    }

    assert post_event(local_stripe, event).status_code == 200
    assert post_event(local_stripe, {**event, "id": "evt_refund_again"}).status_code == 200

    assert balance(services.wallet_of(client)) == 1000
    assert Transfer.objects.filter(kind=Transfer.Kind.REFUND).count() == 2
    top_up.refresh_from_db()
    assert top_up.refunded_amount == 1500


def test_a_dispute_debits_back_once(local_stripe, credited_top_up):
    client, top_up = credited_top_up
    spend(client, 2000)
    dispute = {
        "id": "dp_test",
        "object": "dispute",
        "amount": 2500,
        "currency": "usd",
        "payment_intent": top_up.payment_intent_id,
        "reason": "fraudulent",
    }

    payments.apply_dispute(dispute)
    payments.apply_dispute(dispute)

    assert balance(services.wallet_of(client)) == 0
    assert balance(services.get_account(Kind.CLIENT_OWED, client)) == -2000
    assert Transfer.objects.filter(kind=Transfer.Kind.DISPUTE).count() == 1
