"""Ledger throughput: transfers/s for two-leg transfers, beside pgbench tpcb-like TPS.

Scenarios, each with 1, 2 and 8 concurrent worker processes (own database connection each):
- hot:      every transfer debits the same hot wallet and credits one of N distinct wallets;
- distinct: every transfer moves money between two random wallets out of N (default 10,000).

Usage: .venv/bin/python bench/ledger.py [--seconds 5] [--wallets 10000] [--workers 1,2,8]
"""

import argparse
import multiprocessing
import os
import random
import time
import uuid

import _django

_django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from wallet import services  # noqa: E402
from wallet.errors import InsufficientFunds  # noqa: E402
from wallet.models import LedgerAccount, Transfer  # noqa: E402

RUN = uuid.uuid4().hex[:8]


def make_wallets(count):
    """Create ``count`` funded client wallets (bulk, through one balanced funding transfer)."""
    users = User.objects.bulk_create(
        [
            User(username=f"bench-{RUN}-{i}", email=f"bench-{RUN}-{i}@bench.invalid", role="client")
            for i in range(count)
        ]
    )
    accounts = LedgerAccount.objects.bulk_create(
        [LedgerAccount(kind="client_wallet", owner=user, currency="usd") for user in users]
    )
    clearing = services.platform_account(LedgerAccount.Kind.STRIPE_CLEARING)
    per_wallet = 10**9
    with transaction.atomic():
        for start in range(0, count, 1000):
            chunk = accounts[start : start + 1000]
            services.transfer(
                [services.Leg(clearing, -per_wallet * len(chunk))]
                + [services.Leg(account, per_wallet) for account in chunk],
                idempotency_key=f"bench-fund:{RUN}:{start}",
                kind=Transfer.Kind.TOP_UP,
            )
    return [account.pk for account in accounts]


def worker(args):
    scenario, wallet_ids, seconds, seed, start_at = args
    connections.close_all()  # never share the parent's connection after fork
    rng = random.Random(seed)
    accounts = {}

    def account(pk):
        if pk not in accounts:
            accounts[pk] = LedgerAccount(pk=pk, currency="usd")
        return accounts[pk]

    hot, others = account(wallet_ids[0]), wallet_ids[1:]
    # Connect before the clock starts (pgbench, too, reports TPS without connection time).
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
    time.sleep(max(start_at - time.time(), 0))
    done = refused = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if scenario == "hot":
            source, target = hot, account(rng.choice(others))
        else:
            a, b = rng.sample(wallet_ids, 2)
            source, target = account(a), account(b)
        amount = rng.randint(1, 500)
        try:
            services.transfer(
                [services.Leg(source, -amount), services.Leg(target, amount)],
                idempotency_key=f"bench:{RUN}:{scenario}:{seed}:{done + refused}",
                kind=Transfer.Kind.ADJUSTMENT,
            )
            done += 1
        except InsufficientFunds:
            refused += 1
    connections.close_all()
    return done


def measure(scenario, wallet_ids, workers, seconds):
    """Transfers/s of ``workers`` processes that all start together (after forking and
    connecting) and run for ``seconds``."""
    ctx = multiprocessing.get_context("fork")
    connections.close_all()
    with ctx.Pool(workers) as pool:
        start_at = time.time() + 1.0 + 0.2 * workers
        counts = pool.map(
            worker,
            [(scenario, wallet_ids, seconds, i * 7919 + workers, start_at) for i in range(workers)],
        )
    return sum(counts) / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--wallets", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2,8")
    options = parser.parse_args()
    # Production runs with DEBUG off; DEBUG's query log (SQL text and parameters kept for every
    # statement) is not what we measure. BENCH_DEBUG=1 keeps it on.
    settings.DEBUG = os.environ.get("BENCH_DEBUG") == "1"
    worker_counts = [int(w) for w in options.workers.split(",")]

    print(f"database: {_django.describe_database()}")
    started = time.perf_counter()
    wallet_ids = make_wallets(options.wallets)
    print(f"set-up: {options.wallets} funded wallets in {time.perf_counter() - started:.1f} s")
    print()
    print(
        f"{'workers':>7} | {'hot wallet tr/s':>15} | {'distinct tr/s':>13} | "
        f"{'pgbench tps':>11} | {'distinct/pgbench':>16}"
    )
    print("-" * 76)
    for workers in worker_counts:
        hot = measure("hot", wallet_ids, workers, options.seconds)
        distinct = measure("distinct", wallet_ids, workers, options.seconds)
        pgbench = _django.pgbench_tps(workers, max(int(options.seconds), 1))
        print(
            f"{workers:>7} | {hot:>15.0f} | {distinct:>13.0f} | {pgbench:>11.0f} | "
            f"{distinct / pgbench:>16.2f}"
        )


if __name__ == "__main__":
    main()
