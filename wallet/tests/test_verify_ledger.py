"""verify_ledger reports a consistent ledger as such and finds forged drift."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.models import LedgerAccount, Transfer
from wallet.tests.factories import fund_wallet, pay_reading

Kind = LedgerAccount.Kind


def run_verify():
    out = StringIO()
    try:
        call_command("verify_ledger", stdout=out)
    except CommandError as error:
        return error, out.getvalue()
    return None, out.getvalue()


def busy_ledger():
    client, reader = UserFactory(), UserFactory(reader=True)
    fund_wallet(client, 5_000)
    pay_reading(client, reader, 1_200)
    pending = services.hold(client, 700, idempotency_key="h1", description="Booking")
    posted = services.hold(client, 900, idempotency_key="h2", description="Message")
    services.post_hold(posted, [services.Leg(services.earnings_of(reader), 400)])
    voided = services.hold(client, 300, idempotency_key="h3", description="Booking")
    services.void_hold(voided)
    return client, reader, pending


@pytest.mark.django_db
def test_a_consistent_ledger_passes():
    busy_ledger()
    error, output = run_verify()
    assert error is None, output
    assert "The ledger is consistent" in output
    assert "FAIL" not in output


@pytest.mark.django_db(transaction=True)
def test_a_forged_balance_is_reported_and_the_command_fails():
    client, _reader, _pending = busy_ledger()
    wallet = services.wallet_of(client)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE wallet_ledgeraccount DISABLE TRIGGER wallet_account_balance_guard"
        )
        try:
            cursor.execute(
                "UPDATE wallet_ledgeraccount SET balance = balance + 1000 WHERE id = %s",
                [wallet.pk],
            )
        finally:
            cursor.execute(
                "ALTER TABLE wallet_ledgeraccount ENABLE TRIGGER wallet_account_balance_guard"
            )
    error, output = run_verify()
    assert error is not None and error.returncode == 1
    assert "Cached balance differs from the sum of entries" in output
    assert f"account {wallet.pk} (client_wallet" in output


@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_transfer_is_reported():
    client, _reader, _pending = busy_ledger()
    wallet = services.wallet_of(client)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE wallet_entry DISABLE TRIGGER wallet_entry_balanced")
        try:
            cursor.execute(
                "INSERT INTO wallet_transfer (public_id, kind, idempotency_key, description,"
                " metadata, created_at) VALUES (gen_random_uuid(), 'adjustment', 'forged', '',"
                " '{}', now()) RETURNING id"
            )
            transfer_id = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)"
                " VALUES (%s, %s, 5000, now())",
                [transfer_id, wallet.pk],
            )
            # Foreign keys are deferred too; run them now so the trigger can be re-enabled.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        finally:
            cursor.execute("ALTER TABLE wallet_entry ENABLE TRIGGER wallet_entry_balanced")
    error, output = run_verify()
    assert error is not None
    assert "Transfer legs do not sum to zero" in output
    assert "key forged" in output


@pytest.mark.django_db(transaction=True)
def test_an_entry_without_a_transfer_is_reported():
    client, reader, _pending = busy_ledger()
    wallet, earnings = services.wallet_of(client), services.earnings_of(reader)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE wallet_entry DISABLE TRIGGER wallet_entry_balanced")
        try:
            cursor.execute(
                "INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)"
                " VALUES (987654321, %s, -100, now()), (987654321, %s, 100, now())",
                [wallet.pk, earnings.pk],
            )
            # The account foreign key is deferred; run it now so the trigger can be re-enabled.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        finally:
            cursor.execute("ALTER TABLE wallet_entry ENABLE TRIGGER wallet_entry_balanced")
    error, output = run_verify()
    assert error is not None
    assert "Entry without a transfer" in output
    assert "transfer 987654321 does not exist" in output


@pytest.mark.django_db
def test_money_taken_out_of_a_hold_without_resolving_it_is_reported():
    client, _reader, pending = busy_ledger()
    # A balanced transfer that the database accepts but that breaks the hold's bookkeeping.
    services.transfer(
        [
            services.Leg(services.holds_of(client), -200),
            services.Leg(services.wallet_of(client), 200),
        ],
        idempotency_key="sneaky-release",
        kind=Transfer.Kind.ADJUSTMENT,
    )
    error, output = run_verify()
    assert error is not None
    assert "Holds account balance differs from its pending holds" in output
    assert "balance 500, pending holds total 700" in output
