"""The ledger's rules hold even for code that bypasses the services (raw SQL)."""

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.models import LedgerAccount, Transfer
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db(transaction=True)

DatabaseRefusal = (IntegrityError, InternalError)


def insert_bare_transfer(cursor, key):
    """A transfer row written by hand, without legs: the tests add the legs themselves."""
    cursor.execute(
        "INSERT INTO wallet_transfer (public_id, kind, idempotency_key, description, metadata,"
        " created_at) VALUES (gen_random_uuid(), 'adjustment', %s, '', '{}', now()) RETURNING id",
        [key],
    )
    return cursor.fetchone()[0]


def run_sql(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_entries_cannot_be_updated_or_deleted():
    client = UserFactory()
    topup = fund_wallet(client, 1000)
    entry = topup.entries.first()
    with pytest.raises(DatabaseRefusal, match="append-only"):
        run_sql("UPDATE wallet_entry SET amount = amount + 1 WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseRefusal, match="append-only"):
        run_sql("DELETE FROM wallet_entry WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseRefusal, match="append-only"):
        run_sql("DELETE FROM wallet_transfer WHERE id = %s", [topup.pk])


def test_an_unbalanced_transfer_is_refused():
    client = UserFactory()
    wallet = services.wallet_of(client)
    with pytest.raises(DatabaseRefusal, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            transfer_id = insert_bare_transfer(cursor, "forged")
            cursor.execute(
                "INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)"
                " VALUES (%s, %s, 5000, now())",
                [transfer_id, wallet.pk],
            )
    wallet.refresh_from_db()
    assert wallet.balance == 0
    assert not Transfer.objects.filter(idempotency_key="forged").exists()


def test_a_transfers_legs_must_balance_within_one_statement():
    # Legs written in two statements are refused at the first, even if the second would
    # balance them: every writer inserts a transfer's legs in one statement.
    client = UserFactory()
    wallet = services.wallet_of(client)
    revenue = services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    with pytest.raises(DatabaseRefusal, match="unbalanced"):
        with transaction.atomic(), connection.cursor() as cursor:
            transfer_id = insert_bare_transfer(cursor, "split")
            for account, amount in ((revenue, -700), (wallet, 700)):
                cursor.execute(
                    "INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)"
                    " VALUES (%s, %s, %s, now())",
                    [transfer_id, account.pk, amount],
                )
    wallet.refresh_from_db()
    assert wallet.balance == 0
    assert not Transfer.objects.filter(idempotency_key="split").exists()


def test_entries_cannot_name_a_transfer_that_does_not_exist():
    client = UserFactory()
    wallet = services.wallet_of(client)
    revenue = services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    with pytest.raises(IntegrityError, match="which does not exist"):
        run_sql(
            "INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)"
            " VALUES (%s, %s, -700, now()), (%s, %s, 700, now())",
            [987_654_321, revenue.pk, 987_654_321, wallet.pk],
        )
    wallet.refresh_from_db()
    assert wallet.balance == 0


def test_a_balance_cannot_be_edited_directly():
    client = UserFactory()
    wallet = services.wallet_of(client)
    with pytest.raises(DatabaseRefusal, match="only through entries"):
        run_sql("UPDATE wallet_ledgeraccount SET balance = 100000 WHERE id = %s", [wallet.pk])


def test_a_restricted_balance_cannot_go_negative_even_in_raw_sql():
    client = UserFactory()
    wallet = services.wallet_of(client)
    revenue = services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    with pytest.raises(IntegrityError, match="wallet_account_balance_non_negative"):
        with transaction.atomic(), connection.cursor() as cursor:
            transfer_id = insert_bare_transfer(cursor, "steal")
            cursor.execute(
                "INSERT INTO wallet_entry (transfer_id, account_id, amount, created_at)"
                " VALUES (%s, %s, -100, now()), (%s, %s, 100, now())",
                [transfer_id, wallet.pk, transfer_id, revenue.pk],
            )


def test_wallets_cannot_be_flagged_as_allowed_to_go_negative():
    client = UserFactory()
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            LedgerAccount.objects.create(
                kind=LedgerAccount.Kind.CLIENT_WALLET,
                owner=client,
                currency="eur",
                may_go_negative=True,
            )


def test_a_transfer_cannot_name_a_purchase_that_does_not_exist():
    from wallet import sales

    client, reader = UserFactory(), UserFactory()
    purchase = sales.open_purchase(
        client=client,
        seller=reader,
        kind=sales.SaleKind.GIFT,
        reference="gift:invariants",
        description="Gift",
    )
    with pytest.raises(DatabaseRefusal, match="does not exist"):
        run_sql(
            "INSERT INTO wallet_transfer (public_id, kind, idempotency_key, description,"
            " metadata, purchase_id, created_at) VALUES (gen_random_uuid(), 'gift', 'k1', '',"
            " '{}', %s, now())",
            [purchase.pk + 1_000_000],
        )
    run_sql(
        "INSERT INTO wallet_transfer (public_id, kind, idempotency_key, description,"
        " metadata, purchase_id, created_at) VALUES (gen_random_uuid(), 'gift', 'k2', '',"
        " '{}', %s, now())",
        [purchase.pk],
    )
    assert Transfer.objects.get(idempotency_key="k2").purchase_id == purchase.pk


def test_a_purchase_is_never_deleted():
    from wallet import sales

    purchase = sales.open_purchase(
        client=UserFactory(),
        seller=None,
        kind=sales.SaleKind.ORDER,
        reference="order:invariants",
        description="Order",
    )
    with pytest.raises(DatabaseRefusal, match="DELETE on wallet_purchase"):
        run_sql("DELETE FROM wallet_purchase WHERE id = %s", [purchase.pk])
