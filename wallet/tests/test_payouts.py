"""Reader payouts through Stripe Connect.

localstripe implements neither Accounts, AccountLinks nor Transfers (its router 404s them), so
these tests stub only Stripe's HTTP endpoints with ``responses`` (the network edge); everything
from stripe-python inwards, and the ledger in PostgreSQL, is real.
"""

import uuid
from urllib.parse import parse_qs

import pytest
import responses
import stripe
from django.urls import reverse

from accounts.tests.factories import UserFactory
from wallet import payouts, services
from wallet.errors import InsufficientFunds, InvalidAmount
from wallet.models import LedgerAccount, PayoutAccount, PayoutRequest, Transfer
from wallet.payments import PaymentError

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind
API = "https://api.stripe.com"


@pytest.fixture(autouse=True)
def stripe_api(settings, monkeypatch):
    settings.STRIPE_SECRET_KEY = "sk_test_" + "payouts" * 4
    settings.STRIPE_TEST_SECRET_KEY = settings.STRIPE_SECRET_KEY
    monkeypatch.setattr(stripe, "api_base", API)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def account_json(account_id="acct_reader", ready=False):
    return {
        "id": account_id,
        "object": "account",
        "type": "express",
        "details_submitted": ready,
        "charges_enabled": ready,
        "payouts_enabled": ready,
    }


def transfer_json(amount, transfer_id="tr_1"):
    return {"id": transfer_id, "object": "transfer", "amount": amount, "currency": "usd"}


def reader_with_earnings(amount, *, ready=True):
    reader = UserFactory(reader=True)
    PayoutAccount.objects.create(
        user=reader,
        stripe_account_id=f"acct_{reader.pk}",
        details_submitted=ready,
        charges_enabled=ready,
        payouts_enabled=ready,
    )
    if amount:
        services.transfer(
            [
                services.Leg(services.platform_account(Kind.PLATFORM_REVENUE), -amount),
                services.Leg(services.earnings_of(reader), amount),
            ],
            idempotency_key=f"test-earn:{uuid.uuid4()}",
            kind=Transfer.Kind.READING,
        )
    return reader


def earnings(user):
    return services.earnings_of(user).balance


def test_onboarding_creates_one_express_account_and_returns_the_stripe_link(stripe_api):
    reader = UserFactory(reader=True)
    create = stripe_api.post(f"{API}/v1/accounts", json=account_json())
    stripe_api.post(
        f"{API}/v1/account_links",
        json={"object": "account_link", "url": "https://connect.stripe.com/setup/e/acct_reader/x"},
    )

    first = payouts.start_onboarding(reader, refresh_url="http://t/r", return_url="http://t/ok")
    second = payouts.start_onboarding(reader, refresh_url="http://t/r", return_url="http://t/ok")

    assert first == second == "https://connect.stripe.com/setup/e/acct_reader/x"
    assert create.call_count == 1
    assert parse_qs(create.calls[0].request.body)["type"] == ["express"]
    account = PayoutAccount.objects.get(user=reader)
    assert account.stripe_account_id == "acct_reader" and not account.ready


def test_clients_cannot_open_a_payout_account(stripe_api):
    with pytest.raises(PaymentError, match="Only readers"):
        payouts.start_onboarding(UserFactory(), refresh_url="http://t", return_url="http://t")


def test_returning_from_onboarding_mirrors_the_account_status(stripe_api):
    reader = reader_with_earnings(0, ready=False)
    account = PayoutAccount.objects.get(user=reader)
    stripe_api.get(
        f"{API}/v1/accounts/{account.stripe_account_id}",
        json=account_json(account.stripe_account_id, ready=True),
    )

    assert payouts.refresh_account(reader).ready is True


def test_account_updated_webhook_mirrors_the_status(stripe_api):
    reader = reader_with_earnings(0, ready=False)
    account = PayoutAccount.objects.get(user=reader)

    payouts.mirror_account(account_json(account.stripe_account_id, ready=True))

    account.refresh_from_db()
    assert account.ready


def test_a_payout_moves_earnings_to_clearing_and_creates_an_idempotent_stripe_transfer(
    stripe_api,
):
    reader = reader_with_earnings(5000)
    create = stripe_api.post(f"{API}/v1/transfers", json=transfer_json(3000))

    payout = payouts.request_payout(reader, 3000)

    assert payout.status == PayoutRequest.Status.PAID
    assert payout.stripe_transfer_id == "tr_1"
    assert earnings(reader) == 2000
    assert services.platform_account(Kind.STRIPE_CLEARING).balance == 3000
    request = create.calls[0].request
    assert request.headers["Idempotency-Key"] == f"payout-{payout.public_id}"
    body = parse_qs(request.body)
    assert body["amount"] == ["3000"] and body["destination"] == [f"acct_{reader.pk}"]


def test_a_double_submitted_payout_form_pays_once(stripe_api):
    reader = reader_with_earnings(5000)
    create = stripe_api.post(f"{API}/v1/transfers", json=transfer_json(3000))
    request_id = uuid.uuid4()

    first = payouts.request_payout(reader, 3000, request_id=request_id)
    second = payouts.request_payout(reader, 3000, request_id=request_id)

    assert first.pk == second.pk
    assert create.call_count == 1
    assert earnings(reader) == 2000


@pytest.mark.parametrize("amount", [2499, 0, -100])
def test_payouts_under_the_minimum_are_refused_and_write_nothing(stripe_api, amount):
    reader = reader_with_earnings(5000)

    with pytest.raises(InvalidAmount):
        payouts.request_payout(reader, amount)

    assert not PayoutRequest.objects.exists()
    assert earnings(reader) == 5000


def test_a_payout_above_the_earnings_is_refused_with_what_is_available(stripe_api):
    reader = reader_with_earnings(3000)

    with pytest.raises(InsufficientFunds, match=r"\$30.00 available"):
        payouts.request_payout(reader, 3001)

    assert not PayoutRequest.objects.exists()
    assert earnings(reader) == 3000


def test_a_payout_needs_a_finished_payout_account(stripe_api):
    reader = reader_with_earnings(5000, ready=False)

    with pytest.raises(PaymentError, match="Finish setting up"):
        payouts.request_payout(reader, 3000)


def test_a_transfer_stripe_refuses_reverses_the_ledger_move(stripe_api):
    reader = reader_with_earnings(5000)
    stripe_api.post(
        f"{API}/v1/transfers",
        status=400,
        json={"error": {"type": "invalid_request_error", "message": "Insufficient funds."}},
    )

    payout = payouts.request_payout(reader, 3000)

    assert payout.status == PayoutRequest.Status.FAILED
    assert payout.reversal_transfer.reverses == payout.ledger_transfer
    assert earnings(reader) == 5000
    assert services.platform_account(Kind.STRIPE_CLEARING).balance == 0


def test_an_unknown_outcome_stays_pending_and_the_retry_reuses_the_idempotency_key(
    stripe_api, monkeypatch
):
    reader = reader_with_earnings(5000)
    queued = []
    monkeypatch.setattr(
        "wallet.tasks.send_payout.apply_async", lambda args, countdown: queued.append(args)
    )
    stripe_api.post(
        f"{API}/v1/transfers",
        status=500,
        json={"error": {"type": "api_error", "message": "Something went wrong."}},
    )

    payout = payouts.request_payout(reader, 3000)

    assert payout.status == PayoutRequest.Status.PENDING
    assert queued == [(payout.pk,)]
    assert earnings(reader) == 2000  # the money is on its way, not back
    stripe_api.replace(responses.POST, f"{API}/v1/transfers", json=transfer_json(3000, "tr_retry"))

    retried = payouts.send_payout(payout.pk)

    assert retried.status == PayoutRequest.Status.PAID
    keys = {call.request.headers["Idempotency-Key"] for call in stripe_api.calls}
    assert keys == {f"payout-{payout.public_id}"}


def test_a_fully_reversed_stripe_transfer_returns_the_earnings(stripe_api):
    reader = reader_with_earnings(5000)
    stripe_api.post(f"{API}/v1/transfers", json=transfer_json(3000, "tr_rev"))
    payouts.request_payout(reader, 3000)

    payouts.transfer_reversed({"id": "tr_rev", "amount_reversed": 3000})
    payouts.transfer_reversed({"id": "tr_rev", "amount_reversed": 3000})

    assert earnings(reader) == 5000
    assert PayoutRequest.objects.get().status == PayoutRequest.Status.FAILED


def test_the_payout_page_shows_the_form_to_ready_readers_and_refuses_clients(client, stripe_api):
    reader = reader_with_earnings(5000)
    client.force_login(reader)

    page = client.get(reverse("wallet:payout"))

    assert page.status_code == 200
    assert b"Request a payout" in page.content and b"$50.00" in page.content
    client.force_login(UserFactory())
    assert client.get(reverse("wallet:payout")).status_code == 403


def test_posting_the_payout_form_pays_out(client, stripe_api):
    reader = reader_with_earnings(5000)
    stripe_api.post(f"{API}/v1/transfers", json=transfer_json(2500))
    client.force_login(reader)

    response = client.post(
        reverse("wallet:payout"), {"amount": "25.00", "request_id": str(uuid.uuid4())}
    )

    assert response.status_code == 302
    assert earnings(reader) == 2500


def test_posting_a_too_small_payout_shows_the_minimum(client, stripe_api):
    reader = reader_with_earnings(5000)
    client.force_login(reader)

    response = client.post(
        reverse("wallet:payout"), {"amount": "24.99", "request_id": str(uuid.uuid4())}
    )

    assert response.status_code == 400
    assert b"The smallest payout is $25.00." in response.content
    assert not PayoutRequest.objects.exists()
