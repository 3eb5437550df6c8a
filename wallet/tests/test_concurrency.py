"""Races on real PostgreSQL: threads with their own connections hit one wallet at once."""

import threading
import uuid

import pytest
from django.db import connection

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.errors import InsufficientFunds
from wallet.models import Transfer
from wallet.tests.factories import fund_wallet, spend

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(count, target):
    """Start ``count`` threads together; each runs ``target(i)`` on its own DB connection."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except Exception as error:  # noqa: BLE001 - collected and asserted by the test
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung (deadlock?)"
    return results, errors


def test_concurrent_debits_never_take_a_wallet_below_zero():
    client = UserFactory()
    fund_wallet(client, 1000)
    # 12 debits of 300 against 1000: at most 3 can succeed.
    results, errors = run_in_threads(12, lambda i: spend(client, 300))

    succeeded = [r for r in results if r is not None]
    assert len(succeeded) == 3
    assert all(isinstance(e, InsufficientFunds) for e in errors if e is not None)
    wallet = services.wallet_of(client)
    wallet.refresh_from_db()
    assert wallet.balance == 100
    assert sum(e.amount for e in wallet.entries.all()) == 100


def test_concurrent_transfers_with_one_key_create_one_transfer():
    client = UserFactory()
    fund_wallet(client, 1000)
    key = f"order:{uuid.uuid4()}"
    results, errors = run_in_threads(8, lambda i: spend(client, 250, key=key))

    assert errors == [None] * 8
    assert len({r.pk for r in results}) == 1
    assert sum(1 for r in results if not r.replayed) == 1
    assert Transfer.objects.filter(idempotency_key=key).count() == 1
    wallet = services.wallet_of(client)
    wallet.refresh_from_db()
    assert wallet.balance == 750


def test_transfers_in_opposite_directions_do_not_deadlock():
    alice, bob = UserFactory(), UserFactory()
    fund_wallet(alice, 10_000)
    fund_wallet(bob, 10_000)
    wallet_a, wallet_b = services.wallet_of(alice), services.wallet_of(bob)

    def move(i):
        source, target = (wallet_a, wallet_b) if i % 2 else (wallet_b, wallet_a)
        for n in range(10):
            services.transfer(
                [services.Leg(source, -10), services.Leg(target, 10)],
                idempotency_key=f"swap:{i}:{n}",
                kind=Transfer.Kind.ADJUSTMENT,
            )

    _, errors = run_in_threads(6, move)
    assert errors == [None] * 6
    wallet_a.refresh_from_db()
    wallet_b.refresh_from_db()
    assert wallet_a.balance + wallet_b.balance == 20_000


def test_a_hold_races_its_own_post_and_void_and_resolves_once():
    client = UserFactory()
    fund_wallet(client, 1000)
    held = services.hold(client, 800, idempotency_key=f"booking:{uuid.uuid4()}")
    revenue = services.platform_account(services.Kind.PLATFORM_REVENUE)

    def resolve(i):
        if i % 2:
            return services.void_hold(held)
        return services.post_hold(held, [services.Leg(revenue, 500)])

    results, errors = run_in_threads(6, resolve)
    assert sum(1 for r in results if r is not None) == 1
    holds = services.holds_of(client)
    holds.refresh_from_db()
    assert holds.balance == 0
    wallet = services.wallet_of(client)
    wallet.refresh_from_db()
    assert wallet.balance in (1000, 500)


def test_debits_from_many_processes_style_load_keep_the_books_balanced():
    clients = [UserFactory() for _ in range(4)]
    for client in clients:
        fund_wallet(client, 500)

    def drain(i):
        client = clients[i % 4]
        spent = 0
        for _ in range(10):
            try:
                spend(client, 70)
                spent += 70
            except InsufficientFunds:
                pass
        return spent

    results, errors = run_in_threads(8, drain)
    assert errors == [None] * 8
    for client in clients:
        wallet = services.wallet_of(client)
        wallet.refresh_from_db()
        assert wallet.balance >= 0
        assert wallet.balance == 500 - 70 * (500 // 70)
    assert sum(results) == 4 * 70 * (500 // 70)


def test_sales_racing_for_one_wallet_never_overdraw_it_and_each_is_paid_once():
    from wallet import sales

    client, reader = UserFactory(), UserFactory()
    fund_wallet(client, 1_000)
    purchase = sales.open_purchase(
        client=client,
        seller=reader,
        kind=sales.SaleKind.GIFT,
        reference=f"race:{uuid.uuid4()}",
        description="Gift",
        share_percent=70,
    )
    # Twelve sales of 100 against 1,000, two of them sent twice (the same key).
    keys = [f"gift:{i % 10}" if i >= 10 else f"gift:{i}" for i in range(12)]

    def buy(index):
        return sales.charge(purchase, 100, idempotency_key=keys[index]).pk

    results, errors = run_in_threads(12, buy)
    assert not [e for e in errors if e is not None and not isinstance(e, InsufficientFunds)]
    assert purchase.transfers.count() == 10
    assert services.wallet_of(client).balance == 0
    assert services.earnings_of(reader).balance == 700
    assert len({r for r in results if r is not None}) == 10
