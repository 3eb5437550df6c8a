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


def test_limits_cannot_be_changed_for_someone_else(client, victim, intruder):
    user, _reading, _reservation = victim
    services.set_spending_limits(user, daily=500)
    client.post(reverse("wallet:spending_limits"), {"daily": "1", "user": user.pk})
    user.spending_limit.refresh_from_db()
    assert user.spending_limit.daily == 500
