"""Billing sweep throughput: one full ``charge_due_minutes`` over N active sessions, each with
one minute due, printed as minute-charges/s beside pgbench tpcb-like TPS from the same run.

Set-up (not timed): N clients with funded wallets (a few large balanced top-ups), N readers
with earnings accounts, N active chat sessions (each with its purchase) whose minute 1 has just
started (bulk inserts).

Usage: .venv/bin/python bench/billing.py [--sizes 1000,10000,100000] [--batch 5000]
       [--no-events] [--pgbench-seconds 10]
Target: 100,000 sessions billed within one 60 s cycle (>= 1,700 charges/s) on 2 cores.
"""

import argparse
import os
import time
import uuid

import _django

_django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from readings import billing, events  # noqa: E402
from readings.models import ReadingSession  # noqa: E402
from wallet import services  # noqa: E402
from wallet.models import LedgerAccount, Transfer  # noqa: E402

RUN = uuid.uuid4().hex[:8]


def make_users(prefix, count, role):
    return User.objects.bulk_create(
        [
            User(
                username=f"{prefix}-{RUN}-{i}",
                email=f"{prefix}-{RUN}-{i}@bench.invalid",
                role=role,
                display_name=f"{prefix} {i}",
            )
            for i in range(count)
        ],
        batch_size=5000,
    )


def analyze(*tables):
    """Fresh planner statistics, as autovacuum keeps them on a production server (this
    machine's PostgreSQL runs with autovacuum off)."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def make_sessions(count):
    clients = make_users(f"bc{count}", count, "client")
    readers = make_users(f"br{count}", count, "reader")
    wallets = LedgerAccount.objects.bulk_create(
        [LedgerAccount(kind="client_wallet", owner=u, currency="usd") for u in clients],
        batch_size=5000,
    )
    LedgerAccount.objects.bulk_create(
        [LedgerAccount(kind="reader_earnings", owner=u, currency="usd") for u in readers],
        batch_size=5000,
    )
    clearing = services.platform_account(LedgerAccount.Kind.STRIPE_CLEARING)
    services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    per_wallet = 100_000
    with transaction.atomic():
        # Chunks of 500 legs: the ledger's deferred balance check sums a transfer's legs once
        # per leg, so one huge funding transfer would cost legs squared.
        for start in range(0, count, 500):
            chunk = wallets[start : start + 500]
            services.transfer(
                [services.Leg(clearing, -per_wallet * len(chunk))]
                + [services.Leg(account, per_wallet) for account in chunk],
                idempotency_key=f"bench-billing-fund:{RUN}:{count}:{start}",
                kind=Transfer.Kind.TOP_UP,
            )
    analyze("accounts_user", "wallet_ledgeraccount", "wallet_transfer", "wallet_entry")
    # The sessions last, just before the sweep: active for 65 s, minute 0 already accounted
    # for, so minute 1 is due for every session and minute 2 only 55 s after set-up (a slow
    # set-up would otherwise leave some sessions two minutes due, more work than one cycle's).
    # Each session with its purchase (wallet.sales: every minute's charge attaches to it), as
    # request_reading opens them.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH purchase AS (
                INSERT INTO wallet_purchase
                    (public_id, kind, client_id, seller_id, reference, description, summary,
                     detail_url, reader_share_percent, metadata, created_at)
                SELECT gen_random_uuid(), 'reading', c, r, 'bench:' || gen_random_uuid(),
                       'Chat reading', '', '', 70, '{}', now()
                FROM unnest(%s::bigint[], %s::bigint[]) AS t(c, r)
                RETURNING id, client_id, seller_id
            )
            INSERT INTO readings_readingsession
                (public_id, client_id, reader_id, channel, state, rate_cents,
                 reader_share_percent, free_minutes, created_at, started_at, accepted_at,
                 paused_total, next_minute_at, billed_minutes, paid_minutes, total_cents,
                 reader_earned_cents, low_balance_notified, end_reason, purchase_id)
            SELECT gen_random_uuid(), client_id, seller_id, 'chat', 'active', 299, 70, 0, now(),
                   now() - interval '65 seconds', now() - interval '70 seconds', interval '0',
                   now() - interval '5 seconds', 1, 1, 299, 209, false, '', id
            FROM purchase
            """,
            [[u.pk for u in clients], [u.pk for u in readers]],
        )
    analyze("wallet_purchase", "readings_readingsession", "readings_billedminute")


def end_bench_sessions(run=None):
    """End this run's sessions (or, with ``run="%"``, any left by an interrupted run, which
    would otherwise be caught up, minutes at a time, by the next sweep)."""
    run = run or RUN
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE readings_readingsession SET state = 'ended', ended_at = now(), "
            "next_minute_at = NULL WHERE state = 'active' AND client_id IN "
            "(SELECT id FROM accounts_user WHERE username LIKE %s)",
            [f"bc%-{run}-%"],
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--batch", type=int, default=billing.DEFAULT_BATCH_SIZE)
    parser.add_argument("--no-events", action="store_true", help="skip live events (Redis)")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    options = parser.parse_args()
    # Production runs with DEBUG off; DEBUG's query log (SQL text and parameters kept for every
    # statement) is not what we measure. BENCH_DEBUG=1 keeps it on.
    settings.DEBUG = os.environ.get("BENCH_DEBUG") == "1"
    if options.no_events:
        events.send_now = lambda items: None
        billing.send_pipelined = lambda items: None

    print(
        f"database: {_django.describe_database()}; batch {options.batch}; "
        f"events {'off' if options.no_events else 'on'}"
    )
    end_bench_sessions(run="%")
    pgbench = _django.pgbench_tps(2, options.pgbench_seconds)
    print(f"pgbench -b tpcb-like, 2 clients: {pgbench:.0f} tps")
    print()
    print(
        f"{'sessions':>9} | {'set-up s':>8} | {'sweep s':>8} | {'charges':>8} | "
        f"{'charges/s':>9} | {'vs pgbench':>10} | {'sessions/s':>10}"
    )
    print("-" * 81)
    for size in [int(s) for s in options.sizes.split(",")]:
        started = time.perf_counter()
        make_sessions(size)
        setup_seconds = time.perf_counter() - started
        cutoff = _db_now()
        started = time.perf_counter()
        totals = billing.charge_due_minutes(batch_size=options.batch)
        elapsed = time.perf_counter() - started
        rate = totals["paid_minutes"] / elapsed
        print(
            f"{size:>9} | {setup_seconds:>8.1f} | {elapsed:>8.2f} | "
            f"{totals['paid_minutes']:>8} | {rate:>9.0f} | {rate / pgbench:>10.2f} | "
            f"{totals['sessions'] / elapsed:>10.0f}"
        )
        if totals["paid_minutes"] > size:
            # A sweep longer than a minute finds later batches' sessions two or more minutes
            # due (correct catch-up billing), so charges exceed sessions: sessions/s is then
            # the fairer figure.
            print("  (sweep longer than a minute: later sessions had more than one minute due)")
        if ReadingSession.objects.filter(state="active", next_minute_at__lte=cutoff).exists():
            print("  (sessions due when the sweep started are still due after it!)")
        end_bench_sessions()


def _db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
