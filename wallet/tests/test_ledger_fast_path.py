"""The one-statement transfer (issue 4): outside a transaction a transfer is a single
statement; it must keep every rule of the ledger: overdrafts refused with nothing written,
replays idempotent, spending limits enforced, balances equal to the sum of entries."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.errors import IdempotencyConflict, InsufficientFunds, SpendingLimitReached
from wallet.models import Entry, LedgerAccount, Transfer
from wallet.tests.factories import fund_wallet

Kind = LedgerAccount.Kind


def revenue():
    return services.platform_account(Kind.PLATFORM_REVENUE)


def pay(account, amount, key, kind=Transfer.Kind.PURCHASE, to=None):
    return services.transfer(
        [services.Leg(account, -amount), services.Leg(to or revenue(), amount)],
        idempotency_key=key,
        kind=kind,
    )


def assert_books_balanced(*accounts):
    for account in accounts:
        account.refresh_from_db()
        entries = Entry.objects.filter(account=account).values_list("amount", flat=True)
        assert account.balance == sum(entries)


@pytest.mark.django_db(transaction=True)
def test_a_transfer_outside_a_transaction_is_one_statement():
    clearing, to = services.platform_account(Kind.STRIPE_CLEARING), revenue()
    with CaptureQueriesContext(connection) as captured:
        result = services.transfer(
            [services.Leg(clearing, -300), services.Leg(to, 300)],
            idempotency_key="one-statement",
            kind=Transfer.Kind.ADJUSTMENT,
        )
    assert len(captured.captured_queries) == 1
    assert not result.replayed
    assert result.pk == Transfer.objects.get(idempotency_key="one-statement").pk
    to.refresh_from_db()
    assert to.balance == 300


@pytest.mark.django_db(transaction=True)
def test_a_client_payment_outside_a_transaction_is_one_ledger_statement():
    client = UserFactory()
    fund_wallet(client, 1_000)
    wallet, to = services.wallet_of(client), revenue()
    with CaptureQueriesContext(connection) as captured:
        pay(wallet, 300, "one-payment", to=to)
    statements = [query["sql"] for query in captured.captured_queries]
    # (The auto-reload hook may look the client up afterwards; that is not the transfer.)
    assert sum("wallet_entry" in sql or "wallet_transfer" in sql for sql in statements) == 1
    assert not any(sql in ("BEGIN", "COMMIT") for sql in statements)
    wallet.refresh_from_db()
    assert wallet.balance == 700


@pytest.mark.django_db(transaction=True)
def test_an_overdraft_outside_a_transaction_is_refused_and_writes_nothing():
    client = UserFactory()
    fund_wallet(client, 1_000)
    wallet = services.wallet_of(client)
    entries_before = Entry.objects.count()
    with pytest.raises(InsufficientFunds):
        pay(wallet, 1_001, "too-much")
    assert not Transfer.objects.filter(idempotency_key="too-much").exists()
    assert Entry.objects.count() == entries_before
    wallet.refresh_from_db()
    assert wallet.balance == 1_000
    # The connection is still usable after the refused statement.
    pay(wallet, 1_000, "all-of-it")
    assert_books_balanced(wallet, revenue())
    wallet.refresh_from_db()
    assert wallet.balance == 0


@pytest.mark.django_db(transaction=True)
def test_a_replay_outside_a_transaction_moves_money_once():
    client = UserFactory()
    fund_wallet(client, 1_000)
    wallet = services.wallet_of(client)
    first = pay(wallet, 250, "replayed")
    again = pay(wallet, 250, "replayed")
    assert again.replayed and again.pk == first.pk
    with pytest.raises(IdempotencyConflict):
        pay(wallet, 251, "replayed")
    wallet.refresh_from_db()
    assert wallet.balance == 750
    assert Transfer.objects.filter(idempotency_key="replayed").count() == 1


@pytest.mark.django_db
def test_a_refusal_inside_a_transaction_leaves_the_transaction_usable():
    client = UserFactory()
    fund_wallet(client, 500)
    wallet = services.wallet_of(client)
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            pay(wallet, 600, "refused-inside")
        pay(wallet, 500, "accepted-inside")
    wallet.refresh_from_db()
    assert wallet.balance == 0
    assert not Transfer.objects.filter(idempotency_key="refused-inside").exists()


@pytest.mark.django_db(transaction=True)
def test_spending_limits_are_found_in_the_database_not_in_the_leg_object():
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=1_000)
    real = services.wallet_of(client)
    # A bare stand-in (no kind, no owner) as callers such as the billing sweep pass.
    stand_in = LedgerAccount(pk=real.pk, currency=real.currency)
    pay(stand_in, 800, "within-limit")
    with pytest.raises(SpendingLimitReached):
        pay(stand_in, 300, "over-limit")
    assert not Transfer.objects.filter(idempotency_key="over-limit").exists()
    real.refresh_from_db()
    assert real.balance == 9_200
    # A replay of an accepted payment is never refused by the limit.
    assert pay(stand_in, 800, "within-limit").replayed


@pytest.mark.django_db(transaction=True)
def test_every_debited_wallet_with_a_limit_is_checked():
    unlimited, limited = UserFactory(), UserFactory()
    fund_wallet(unlimited, 10_000)
    fund_wallet(limited, 10_000)
    services.set_spending_limits(limited, daily=100)
    first, second = services.wallet_of(unlimited), services.wallet_of(limited)
    with pytest.raises(SpendingLimitReached):
        services.transfer(
            [
                services.Leg(first, -500),
                services.Leg(second, -500),
                services.Leg(revenue(), 1_000),
            ],
            idempotency_key="two-payers",
            kind=Transfer.Kind.PURCHASE,
        )
    assert not Transfer.objects.filter(idempotency_key="two-payers").exists()


@pytest.mark.django_db(transaction=True)
def test_limits_do_not_apply_to_kinds_that_do_not_spend():
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=100)
    wallet = services.wallet_of(client)
    pay(wallet, 5_000, "adjusted", kind=Transfer.Kind.ADJUSTMENT)
    wallet.refresh_from_db()
    assert wallet.balance == 5_000


@pytest.mark.django_db
def test_a_batch_runs_the_hooks_once_for_the_debited_wallets_that_auto_reload(monkeypatch):
    from wallet.models import AutoReload

    opted_in, not_opted, switched_off = UserFactory(), UserFactory(), UserFactory()
    for user in (opted_in, not_opted, switched_off):
        fund_wallet(user, 1_000)
    for user, enabled in ((opted_in, True), (switched_off, False)):
        AutoReload.objects.create(
            user=user, enabled=enabled, threshold=500, amount=2_000, payment_method_id="pm_x"
        )
    calls = []
    monkeypatch.setattr(services, "post_transfer_hooks", [lambda t, w: calls.append((t, w))])
    to = revenue()
    batch = [
        services.BatchTransfer(
            idempotency_key=f"batch-hook-{user.pk}",
            legs=((services.wallet_of(user).pk, -100), (to.pk, 100)),
        )
        for user in (opted_in, not_opted, switched_off)
    ]
    with transaction.atomic():
        services.lock_accounts_for_batch([item.legs[0][0] for item in batch] + [to.pk])
        services.transfer_many(batch, kind=Transfer.Kind.ADJUSTMENT)
    assert len(calls) == 1
    transfer, wallets = calls[0]
    assert transfer is None
    assert [wallet.pk for wallet in wallets] == [services.wallet_of(opted_in).pk]
    assert wallets[0].owner_id == opted_in.pk


@pytest.mark.django_db(transaction=True)
def test_the_transfer_statement_is_prepared_once_per_connection():
    # Planning the transfer statement cost more than running it: the connection keeps it
    # prepared (DB_PREPARE_THRESHOLD); the ORM's own statements are never prepared.
    def prepared(pattern):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [pattern]
            )
            return cursor.fetchone()[0]

    wallet = services.wallet_of(UserFactory())
    fund_wallet(wallet.owner, 1_000)
    for n in range(3):
        pay(wallet, 10, f"prepared-{n}")
    kept = prepared("%INSERT INTO wallet_transfer%")
    assert kept >= 1
    for n in range(3, 6):
        pay(wallet, 10, f"prepared-{n}")
    assert prepared("%INSERT INTO wallet_transfer%") == kept
    assert prepared("%accounts_user%") == 0
    wallet.refresh_from_db()
    assert wallet.balance == 940
