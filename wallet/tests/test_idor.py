"""Nobody sees another person's money: every wallet URL is scoped to the signed-in user."""

import pytest
from django.urls import NoReverseMatch, reverse

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.tests.factories import fund_wallet, pay_reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim():
    user = UserFactory(display_name="Victoria")
    reader = UserFactory(reader=True, display_name="Luna")
    fund_wallet(user, 9_999)
    reading = pay_reading(user, reader, 1_234)
    reservation = services.hold(user, 777, idempotency_key="v:1", description="Secret booking")
    return user, reading, reservation


@pytest.fixture
def intruder(client):
    user = UserFactory()
    client.force_login(user)
    return user


def test_another_clients_receipts_are_not_found(client, victim, intruder):
    _user, reading, reservation = victim
    for transfer in (reading, reservation.hold_transfer):
        url = reverse("wallet:transfer_detail", args=[transfer.public_id])
        assert client.get(url).status_code == 404


def test_another_clients_history_and_holds_never_show(client, victim, intruder):
    body = client.get(reverse("wallet:overview")).content.decode()
    assert "Secret booking" not in body
    assert "$99.99" not in body and "-$12.34" not in body and "$7.77" not in body
    assert "No activity yet" in body
    for params in ({"type": "readings"}, {"type": "holds"}, {"page": 2}):
        assert (
            "Secret booking" not in client.get(reverse("wallet:overview"), params).content.decode()
        )


def test_a_reader_sees_their_earning_but_not_the_clients_wallet(client, victim):
    _user, reading, _reservation = victim
    reader = reading.entries.get(account__kind="reader_earnings").account.owner
    client.force_login(reader)
    response = client.get(reverse("wallet:transfer_detail", args=[reading.public_id]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "$8.63" in body  # 70 % of $12.34, rounded down
    assert "-$12.34" not in body and "Victoria" not in body


def _optional(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def test_another_clients_top_up_status_is_not_found(client, victim, intruder):
    from wallet.models import TopUp

    top_up = TopUp.objects.create(user=victim[0], amount=2_000, payment_method_id="pm_victim")
    url = _optional("wallet:topup_status", top_up.public_id)
    if url is None:
        pytest.skip("no top-up status page")
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404


def test_cards_of_other_people_cannot_be_removed_or_listed(client, victim, intruder):
    remove = _optional("wallet:card_remove", "pm_victim")
    if remove is None:
        pytest.skip("no saved cards")
    assert client.post(remove).status_code == 404
    cards = _optional("wallet:cards")
    body = client.get(cards).content.decode()
    assert "pm_victim" not in body


def test_clients_cannot_open_payouts_and_readers_see_only_their_own(client, victim, intruder):
    from wallet.models import PayoutAccount, PayoutRequest

    url = _optional("wallet:payout")
    if url is None:
        pytest.skip("no payouts page")
    assert client.get(url).status_code == 403
    # A reader's payout shows only to that reader.
    _user, reading, _hold = victim
    earner = reading.entries.get(account__kind="reader_earnings").account.owner
    ledger = services.transfer(
        [
            services.Leg(services.earnings_of(earner), -500),
            services.Leg(services.platform_account("stripe_clearing"), 500),
        ],
        idempotency_key="idor:payout",
        kind="payout",
    )
    account = PayoutAccount.objects.create(user=earner, stripe_account_id="acct_victim")
    PayoutRequest.objects.create(
        user=earner, account=account, amount=500, ledger_transfer=ledger, stripe_transfer_id="tr_v"
    )
    other_reader = UserFactory(reader=True)
    client.force_login(other_reader)
    body = client.get(url).content.decode()
    assert "acct_victim" not in body and "tr_v" not in body and "$5.00" not in body


def test_limits_cannot_be_changed_for_someone_else(client, victim, intruder):
    user, _reading, _reservation = victim
    services.set_spending_limits(user, daily=500)
    client.post(reverse("wallet:spending_limits"), {"daily": "1", "user": user.pk})
    user.spending_limit.refresh_from_db()
    assert user.spending_limit.daily == 500
