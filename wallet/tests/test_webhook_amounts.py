"""What a signed webhook may move: only what Stripe itself reports, and nothing for objects
Stripe does not know. Events travel the real path (signed POST → dj-stripe → our handler)."""

import copy
import json

import pytest
import requests
from django.urls import reverse

from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from wallet import services
from wallet.models import TopUp, Transfer
from wallet.tests.conftest import sign
from wallet.tests.test_webhooks import post_event


def balance(user):
    account = services.wallet_of(user)
    account.refresh_from_db()
    return account.balance


def edited(event, **fields):
    forged = copy.deepcopy(event)
    forged["data"]["object"].update(fields)
    return forged


def test_an_event_with_edited_amounts_credits_only_what_stripe_received(
    local_stripe, undelivered_top_up
):
    client, top_up, event = undelivered_top_up

    response = post_event(
        local_stripe, edited(event, amount=10_000_000, amount_received=10_000_000)
    )

    assert response.status_code == 200
    assert balance(client) == 2500
    top_up.refresh_from_db()
    assert top_up.amount == 2500
    assert top_up.status == TopUp.Status.SUCCEEDED
    assert top_up.needs_review
    flag = AuditEvent.objects.get(action="wallet.top_up_flagged", target_id=str(top_up.pk))
    assert flag.data["received"] == 2500 and flag.data["credited"] == 2500


def test_an_event_saying_nothing_was_received_credits_what_stripe_received(
    local_stripe, undelivered_top_up
):
    client, top_up, event = undelivered_top_up

    assert post_event(local_stripe, edited(event, amount_received=0)).status_code == 200

    assert balance(client) == 2500
    top_up.refresh_from_db()
    assert top_up.amount == 2500 and top_up.needs_review


def test_an_honest_event_credits_the_top_up_without_a_flag(local_stripe, undelivered_top_up):
    client, top_up, event = undelivered_top_up

    assert post_event(local_stripe, event).status_code == 200

    assert balance(client) == 2500
    top_up.refresh_from_db()
    assert not top_up.needs_review
    assert not AuditEvent.objects.filter(action="wallet.top_up_flagged").exists()


def test_stripe_receiving_less_than_asked_credits_only_what_was_received(
    local_stripe, undelivered_top_up
):
    client, top_up, event = undelivered_top_up
    TopUp.objects.filter(pk=top_up.pk).update(amount=4000)

    assert post_event(local_stripe, event).status_code == 200

    assert balance(client) == 2500
    top_up.refresh_from_db()
    assert top_up.amount == 4000 and top_up.needs_review


def test_stripe_receiving_more_than_asked_credits_only_what_was_asked(
    local_stripe, undelivered_top_up
):
    client, top_up, event = undelivered_top_up
    TopUp.objects.filter(pk=top_up.pk).update(amount=1000)

    assert post_event(local_stripe, event).status_code == 200

    assert balance(client) == 1000
    top_up.refresh_from_db()
    assert top_up.amount == 1000 and top_up.needs_review
    assert Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).count() == 1


def test_in_debug_a_secret_sent_in_a_header_still_credits_only_what_stripe_received(
    local_stripe, undelivered_top_up, settings
):
    settings.DEBUG = True
    client, top_up, event = undelivered_top_up
    payload = json.dumps(edited(event, amount=10_000_000, amount_received=10_000_000))

    response = requests.post(
        local_stripe.webhook_url(),
        data=payload.encode(),
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign(payload, "whsec_attacker"),
            "X-Djstripe-Webhook-Secret": "whsec_attacker",
        },
        timeout=30,
    )

    assert response.status_code == 200
    assert balance(client) == 2500


def unknown_intent_event(event, **fields):
    forged = edited(event, id="pi_unknown_to_stripe", **fields)
    forged["id"] = "evt_forged_unknown"
    return forged


def test_an_event_for_a_payment_intent_stripe_does_not_know_answers_2xx_and_moves_nothing(
    local_stripe, undelivered_top_up
):
    client, _top_up, event = undelivered_top_up

    response = post_event(local_stripe, unknown_intent_event(event))

    assert 200 <= response.status_code < 300
    assert balance(client) == 0
    assert not Transfer.objects.filter(kind=Transfer.Kind.TOP_UP).exists()


def test_an_unknown_payment_intent_naming_another_users_top_up_moves_nothing(
    local_stripe, undelivered_top_up
):
    client, top_up, event = undelivered_top_up
    intruder = UserFactory()
    forged = unknown_intent_event(event)
    forged["data"]["object"]["metadata"]["user"] = str(intruder.pk)

    response = post_event(local_stripe, forged)

    assert 200 <= response.status_code < 300
    assert balance(client) == 0 and balance(intruder) == 0
    top_up.refresh_from_db()
    assert top_up.status == TopUp.Status.PROCESSING


@pytest.mark.parametrize("event_type", ["charge.refunded", "charge.dispute.created"])
def test_an_event_for_a_charge_stripe_does_not_know_answers_2xx_and_moves_nothing(
    local_stripe, undelivered_top_up, event_type
):
    client, top_up, event = undelivered_top_up
    assert post_event(local_stripe, event).status_code == 200
    forged = {
        **event,
        "id": f"evt_forged_{event_type}",
        "type": event_type,
        "data": {
            "object": {
                "id": "ch_unknown" if event_type == "charge.refunded" else "dp_unknown",
                "object": "charge" if event_type == "charge.refunded" else "dispute",
                "amount": 2500,
                "amount_refunded": 2500,
                "charge": "ch_unknown",
                "payment_intent": top_up.payment_intent_id,
                "status": "needs_response",
                "currency": "usd",
            }
        },
    }

    response = post_event(local_stripe, forged)

    assert 200 <= response.status_code < 300
    assert balance(client) == 2500


def test_staff_find_flagged_top_ups_in_the_admin(client, db):
    client.force_login(UserFactory(staff=True, is_superuser=True))
    flagged = TopUp.objects.create(
        user=UserFactory(username="ann"),
        amount=2500,
        needs_review=True,
        review_reason="Asked $25.00, Stripe received $10.00",
    )
    TopUp.objects.create(user=UserFactory(username="bob"), amount=900)
    url = reverse("wallet_topup_modeladmin_index")

    response = client.get(url, {"needs_review__exact": "1"})

    assert response.status_code == 200
    assert b"Stripe received $10.00" in response.content
    assert b"bob" not in response.content
    inspect = client.get(reverse("wallet_topup_modeladmin_inspect", args=[flagged.pk]))
    assert inspect.status_code == 200
