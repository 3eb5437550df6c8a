"""Disputes through the real webhook endpoint: signed ``charge.dispute.created`` and
``charge.dispute.closed`` events POSTed to dj-stripe's view on the live test server.

localstripe has no Dispute object, and dj-stripe's own ``charge.dispute.*`` handler fetches the
dispute from Stripe (``GET /v1/disputes/<id>``) before mirroring it. That one call is stubbed at
the HTTP edge with ``responses`` (it answers the dispute as Stripe would, in its current state);
every other request (the charge and PaymentIntent dj-stripe syncs, our own calls) passes through
to localstripe.
"""

import json
import re
import time
import uuid

import pytest
import responses
import stripe
from djstripe.models import Dispute, Event

from accounts.tests.factories import UserFactory
from wallet import payments, services
from wallet.models import LedgerAccount, TopUp, Transfer
from wallet.tests.conftest import wait_until
from wallet.tests.factories import spend
from wallet.tests.stripe_helpers import save_card
from wallet.tests.test_webhooks import post_event

Kind = LedgerAccount.Kind


def balance(account):
    account.refresh_from_db()
    return account.balance


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


class FakeStripeDisputes:
    """Stripe's side of one dispute: what ``GET /v1/disputes/<id>`` answers."""

    def __init__(self, api_base, top_up):
        intent = stripe.PaymentIntent.retrieve(top_up.payment_intent_id)
        charge = intent.latest_charge
        self.charge_id = charge if isinstance(charge, str) else charge.id
        self.api_base = api_base
        self.top_up = top_up
        self.disputes = {}
        self.fetches = 0

    def open(self, amount=2500, status="needs_response"):
        dispute_id = f"dp_{uuid.uuid4().hex[:14]}"
        self.disputes[dispute_id] = {
            "id": dispute_id,
            "object": "dispute",
            "amount": amount,
            "currency": "usd",
            "charge": self.charge_id,
            "payment_intent": self.top_up.payment_intent_id,
            "balance_transaction": None,
            "balance_transactions": [],
            "created": int(time.time()),
            "evidence": {},
            "evidence_details": {"has_evidence": False, "submission_count": 0},
            "is_charge_refundable": False,
            "livemode": False,
            "metadata": {},
            "reason": "fraudulent",
            "status": status,
        }
        return dispute_id

    def close(self, dispute_id, status):
        self.disputes[dispute_id]["status"] = status

    def event(self, type_, dispute_id):
        return {
            "id": f"evt_{uuid.uuid4().hex[:16]}",
            "object": "event",
            "type": type_,
            "livemode": False,
            "api_version": "2020-08-27",
            "created": int(time.time()),
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": dict(self.disputes[dispute_id])},
        }

    def retrieve(self, request):
        self.fetches += 1
        dispute_id = request.path_url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if dispute_id not in self.disputes:
            body = {"error": {"type": "invalid_request_error", "code": "resource_missing"}}
            return 404, {}, json.dumps(body)
        return 200, {"Content-Type": "application/json"}, json.dumps(self.disputes[dispute_id])


@pytest.fixture
def stripe_disputes(local_stripe, credited_top_up):
    _client, top_up = credited_top_up
    fake = FakeStripeDisputes(local_stripe.url, top_up)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as edge:
        edge.add_callback(
            responses.GET,
            re.compile(re.escape(local_stripe.url) + r"/v1/disputes/dp_\w+"),
            callback=fake.retrieve,
        )
        # Everything else is real: localstripe, and our POSTs to the live server.
        edge.add_passthru(local_stripe.url)
        edge.add_passthru(local_stripe.site_url)
        yield fake


def deliver(local_stripe, event):
    response = post_event(local_stripe, event)
    assert response.status_code == 200, response.text[:2000]
    return response


def dispute_transfers():
    return Transfer.objects.filter(kind=Transfer.Kind.DISPUTE).order_by("created_at")


def test_a_signed_dispute_event_debits_the_wallet_once(
    local_stripe, credited_top_up, stripe_disputes
):
    client, top_up = credited_top_up
    dispute_id = stripe_disputes.open(amount=2500)
    event = stripe_disputes.event("charge.dispute.created", dispute_id)

    deliver(local_stripe, event)
    deliver(local_stripe, event)  # Stripe delivers again (timeout, retry)

    assert balance(services.wallet_of(client)) == 0
    assert dispute_transfers().count() == 1
    debit = Transfer.objects.get(idempotency_key=f"stripe:dispute:{dispute_id}")
    assert debit.metadata["dispute"] == dispute_id
    assert Event.objects.filter(id=event["id"]).count() == 1
    # dj-stripe fetched the dispute (through the stub) and mirrored it.
    assert stripe_disputes.fetches >= 1
    assert Dispute.objects.get(id=dispute_id).status == "needs_response"
    # The same dispute in another event (e.g. a new delivery id) moves nothing more.
    deliver(local_stripe, stripe_disputes.event("charge.dispute.created", dispute_id))
    assert balance(services.wallet_of(client)) == 0
    assert dispute_transfers().count() == 1
    top_up.refresh_from_db()
    assert top_up.refunded_amount == 2500


def test_a_dispute_after_spending_goes_onto_the_owed_account(
    local_stripe, credited_top_up, stripe_disputes
):
    client, _top_up = credited_top_up
    spend(client, 2000)
    dispute_id = stripe_disputes.open(amount=2500)

    deliver(local_stripe, stripe_disputes.event("charge.dispute.created", dispute_id))

    assert balance(services.wallet_of(client)) == 0
    assert balance(services.get_account(Kind.CLIENT_OWED, client)) == -2000


def test_a_won_dispute_credits_the_money_back_once(local_stripe, credited_top_up, stripe_disputes):
    client, top_up = credited_top_up
    spend(client, 2000)  # part of the disputed money was already spent: it became owed
    dispute_id = stripe_disputes.open(amount=2500)
    deliver(local_stripe, stripe_disputes.event("charge.dispute.created", dispute_id))
    assert balance(services.get_account(Kind.CLIENT_OWED, client)) == -2000

    stripe_disputes.close(dispute_id, "won")
    closed = stripe_disputes.event("charge.dispute.closed", dispute_id)
    deliver(local_stripe, closed)
    deliver(local_stripe, closed)
    deliver(local_stripe, stripe_disputes.event("charge.dispute.closed", dispute_id))

    # Back where it was before the dispute: the debt repaid first, the rest in the wallet.
    assert balance(services.get_account(Kind.CLIENT_OWED, client)) == 0
    assert balance(services.wallet_of(client)) == 500
    assert balance(services.platform_account(Kind.STRIPE_CLEARING)) == -2500
    credit = Transfer.objects.get(idempotency_key=f"stripe:dispute_won:{dispute_id}")
    assert credit.metadata["outcome"] == "won" and credit.metadata["repaid"] == 2000
    assert dispute_transfers().count() == 2
    top_up.refresh_from_db()
    assert top_up.refunded_amount == 0
    assert Dispute.objects.get(id=dispute_id).status == "won"


def test_a_lost_dispute_changes_nothing_more(local_stripe, credited_top_up, stripe_disputes):
    client, top_up = credited_top_up
    dispute_id = stripe_disputes.open(amount=1000)
    deliver(local_stripe, stripe_disputes.event("charge.dispute.created", dispute_id))
    assert balance(services.wallet_of(client)) == 1500

    stripe_disputes.close(dispute_id, "lost")
    deliver(local_stripe, stripe_disputes.event("charge.dispute.closed", dispute_id))

    assert balance(services.wallet_of(client)) == 1500
    assert dispute_transfers().count() == 1
    assert not Transfer.objects.filter(idempotency_key=f"stripe:dispute_won:{dispute_id}").exists()
    top_up.refresh_from_db()
    assert top_up.refunded_amount == 1000


def test_a_won_dispute_whose_opening_event_comes_last_nets_to_zero(
    local_stripe, credited_top_up, stripe_disputes
):
    client, _top_up = credited_top_up
    dispute_id = stripe_disputes.open(amount=2500)
    created = stripe_disputes.event("charge.dispute.created", dispute_id)
    stripe_disputes.close(dispute_id, "won")

    deliver(local_stripe, stripe_disputes.event("charge.dispute.closed", dispute_id))
    deliver(local_stripe, created)  # delayed delivery of the opening event

    assert balance(services.wallet_of(client)) == 2500
    assert dispute_transfers().count() == 2  # the debit and its credit, nothing more


def test_an_inquiry_moves_no_money(local_stripe, credited_top_up, stripe_disputes):
    client, _top_up = credited_top_up
    dispute_id = stripe_disputes.open(amount=2500, status="warning_needs_response")

    deliver(local_stripe, stripe_disputes.event("charge.dispute.created", dispute_id))
    stripe_disputes.close(dispute_id, "warning_closed")
    deliver(local_stripe, stripe_disputes.event("charge.dispute.closed", dispute_id))

    assert balance(services.wallet_of(client)) == 2500
    assert not dispute_transfers().exists()
