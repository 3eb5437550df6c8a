"""Satisfaction credit: part of a reading back to the client, reader share clawed back by policy."""

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from wallet import services
from wallet.errors import CreditNotAllowed, InvalidAmount
from wallet.models import LedgerAccount, Transfer
from wallet.tests.factories import fund_wallet, pay_reading, spend

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


def balance(account):
    account.refresh_from_db()
    return account.balance


@pytest.fixture
def people():
    client = UserFactory(display_name="Ann")
    reader = UserFactory(reader=True, display_name="Luna")
    staff = UserFactory(staff=True, is_superuser=True)
    fund_wallet(client, 5_000)
    return client, reader, staff


def grant(reading, amount, staff, key=None, reason="Poor connection"):
    return services.grant_satisfaction_credit(
        reading, amount, staff_user=staff, reason=reason, request_key=key or str(uuid.uuid4())
    )


def test_credit_goes_to_the_wallet_and_the_reader_gives_back_their_share(people):
    client, reader, staff = people
    reading = pay_reading(client, reader, 1_000)  # reader 700, platform 300
    credit = grant(reading, 500, staff)
    assert credit.kind == Transfer.Kind.CREDIT
    assert balance(services.wallet_of(client)) == 4_500
    assert balance(services.earnings_of(reader)) == 350
    assert balance(services.platform_account(Kind.PLATFORM_REVENUE)) == 150
    assert credit.metadata["reader_clawback"] == 350
    event = AuditEvent.objects.get(action="wallet.satisfaction_credit_granted")
    assert event.actor == staff
    assert event.target_id == str(reading.pk)
    assert event.data["amount"] == 500 and event.data["reader_clawback"] == 350


def test_the_same_request_credits_once(people):
    client, reader, staff = people
    reading = pay_reading(client, reader, 1_000)
    first = grant(reading, 400, staff, key="form-1")
    again = grant(reading, 400, staff, key="form-1")
    assert again.pk == first.pk and again.replayed is True
    assert balance(services.wallet_of(client)) == 4_400
    assert AuditEvent.objects.filter(action="wallet.satisfaction_credit_granted").count() == 1


def test_credits_never_add_up_to_more_than_the_reading_cost(people):
    client, reader, staff = people
    reading = pay_reading(client, reader, 1_000)
    grant(reading, 800, staff)
    with pytest.raises(InvalidAmount, match=r"At most \$2\.00"):
        grant(reading, 300, staff)
    grant(reading, 200, staff)
    assert services.reading_credit_summary(reading)["remaining"] == 0
    assert balance(services.wallet_of(client)) == 5_000
    # The reader never gives back more than they earned from the reading.
    assert balance(services.earnings_of(reader)) == 0


def test_reader_clawback_is_capped_at_available_earnings_and_the_platform_covers_the_rest(people):
    client, reader, staff = people
    reading = pay_reading(client, reader, 1_000)
    # The reader was paid out all but $1.00 meanwhile.
    services.transfer(
        [
            services.Leg(services.earnings_of(reader), -600),
            services.Leg(services.platform_account(Kind.STRIPE_CLEARING), 600),
        ],
        idempotency_key="payout:1",
        kind=Transfer.Kind.PAYOUT,
    )
    credit = grant(reading, 1_000, staff)
    assert credit.metadata["reader_clawback"] == 100
    assert balance(services.earnings_of(reader)) == 0
    assert balance(services.platform_account(Kind.PLATFORM_REVENUE)) == 300 - 900


def test_the_reader_share_follows_the_setting(people, settings):
    settings.SATISFACTION_CREDIT_READER_SHARE = "0"
    client, reader, staff = people
    reading = pay_reading(client, reader, 1_000)
    grant(reading, 1_000, staff)
    assert balance(services.earnings_of(reader)) == 700
    assert balance(services.wallet_of(client)) == 5_000


def test_only_readings_can_be_credited_and_a_reason_is_required(people):
    client, reader, staff = people
    purchase = spend(client, 500)
    with pytest.raises(CreditNotAllowed):
        grant(purchase, 100, staff)
    reading = pay_reading(client, reader, 1_000)
    with pytest.raises(CreditNotAllowed):
        grant(reading, 100, staff, reason="  ")


def test_a_reversed_reading_cannot_be_credited(people):
    client, reader, staff = people
    reading = pay_reading(client, reader, 1_000)
    services.reverse(reading, initiated_by=staff, reason="test")
    with pytest.raises(CreditNotAllowed):
        grant(reading, 100, staff)


# Admin action ------------------------------------------------------------------------------------


def test_staff_grant_credit_from_the_transfer_inspect_view(people, client):
    shopper, reader, staff = people
    reading = pay_reading(shopper, reader, 1_000)
    client.force_login(staff)
    inspect = client.get(reverse("wallet_transfer_modeladmin_inspect", args=[reading.pk]))
    credit_url = reverse("wallet_satisfaction_credit", args=[reading.pk])
    assert inspect.status_code == 200
    assert credit_url in inspect.content.decode()
    page = client.get(credit_url)
    assert page.status_code == 200
    assert "$10.00" in page.content.decode()
    key = str(uuid.uuid4())
    form = {"amount": "2.50", "reason": "Reader arrived late", "request_key": key}
    response = client.post(credit_url, form)
    assert response.status_code == 302
    client.post(credit_url, form)  # a double submit credits once
    assert balance(services.wallet_of(shopper)) == 4_250
    too_much = client.post(
        credit_url, {"amount": "9.00", "reason": "x", "request_key": str(uuid.uuid4())}
    )
    assert too_much.status_code == 200
    assert "At most $7.50" in too_much.content.decode()


def test_admin_users_without_the_permission_cannot_grant_credit(people, client):
    shopper, reader, _staff = people
    reading = pay_reading(shopper, reader, 1_000)
    editor = UserFactory(staff=True)
    editor.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
        Permission.objects.get(codename="view_transfer", content_type__app_label="wallet"),
    )
    client.force_login(editor)
    inspect = client.get(reverse("wallet_transfer_modeladmin_inspect", args=[reading.pk]))
    assert inspect.status_code == 200
    credit_url = reverse("wallet_satisfaction_credit", args=[reading.pk])
    assert credit_url not in inspect.content.decode()
    response = client.post(
        credit_url, {"amount": "1.00", "reason": "x", "request_key": str(uuid.uuid4())}
    )
    assert response.status_code in (302, 403)
    assert balance(services.wallet_of(shopper)) == 4_000
