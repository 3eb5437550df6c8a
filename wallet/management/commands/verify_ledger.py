"""Check the ledger's invariants against the data and report any drift.

    manage.py verify_ledger [--limit N]

Checks that every account's cached balance equals the sum of its entries, every transfer has at
least two legs summing to zero, every entry's transfer exists, restricted accounts (client
wallets, holds, reader earnings) are not negative, and holds agree with the holds accounts (each
pending hold is backed by its reservation; each client's holds balance equals their pending
holds). Exits with status 1 when anything is wrong. Set-based SQL: a handful of queries whatever
the ledger's size.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from wallet.models import LedgerAccount

RESTRICTED = sorted(str(kind) for kind in LedgerAccount.NON_NEGATIVE_KINDS)

CHECKS = [
    (
        "cached balances equal the sum of entries",
        "Cached balance differs from the sum of entries",
        """
        SELECT a.id, a.kind, a.owner_id, a.balance, COALESCE(s.total, 0)
        FROM wallet_ledgeraccount a
        LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM wallet_entry
                   GROUP BY account_id) s ON s.account_id = a.id
        WHERE a.balance <> COALESCE(s.total, 0)
        ORDER BY a.id
        """,
        "account {0} ({1}, owner {2}): cached {3}, entries sum to {4}",
    ),
    (
        "every transfer's legs sum to zero",
        "Transfer legs do not sum to zero (or fewer than two legs)",
        """
        SELECT t.id, t.kind, t.idempotency_key, COALESCE(SUM(e.amount), 0), COUNT(e.id)
        FROM wallet_transfer t LEFT JOIN wallet_entry e ON e.transfer_id = t.id
        GROUP BY t.id HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2
        ORDER BY t.id
        """,
        "transfer {0} ({1}, key {2}): legs sum to {3} over {4} legs",
    ),
    (
        "every entry belongs to a transfer",
        "Entry without a transfer",
        """
        SELECT e.id, e.transfer_id, e.account_id, e.amount
        FROM wallet_entry e
        WHERE NOT EXISTS (SELECT 1 FROM wallet_transfer t WHERE t.id = e.transfer_id)
        ORDER BY e.id
        """,
        "entry {0}: transfer {1} does not exist (account {2}, amount {3})",
    ),
    (
        "restricted balances are not negative",
        "Restricted account below zero or allowed to go negative",
        """
        SELECT id, kind, owner_id, balance, may_go_negative FROM wallet_ledgeraccount
        WHERE kind = ANY(%(restricted)s) AND (balance < 0 OR may_go_negative)
        ORDER BY id
        """,
        "account {0} ({1}, owner {2}): balance {3}, may_go_negative={4}",
    ),
    (
        "every hold matches its transfers",
        "Hold does not match its transfers",
        """
        SELECT h.id, h.status, h.amount, h.posted_amount, problem FROM (
            SELECT h.*,
              CASE
                WHEN (SELECT COALESCE(SUM(amount), 0) FROM wallet_entry
                      WHERE transfer_id = h.hold_transfer_id AND account_id = h.escrow_id)
                     <> h.amount THEN 'reservation does not move the hold amount into holds'
                WHEN (SELECT COALESCE(SUM(amount), 0) FROM wallet_entry
                      WHERE transfer_id = h.hold_transfer_id AND account_id = h.wallet_id)
                     <> -h.amount THEN 'reservation does not take the hold amount from the wallet'
                WHEN h.status = 'pending' AND h.resolve_transfer_id IS NOT NULL
                     THEN 'pending but resolved'
                WHEN h.status <> 'pending' AND h.resolve_transfer_id IS NULL
                     THEN 'resolved without a resolving transfer'
                WHEN h.status <> 'pending'
                     AND (SELECT COALESCE(SUM(amount), 0) FROM wallet_entry
                          WHERE transfer_id = h.resolve_transfer_id AND account_id = h.escrow_id)
                         <> -h.amount THEN 'resolution does not empty the hold'
                WHEN h.status <> 'pending'
                     AND (SELECT COALESCE(SUM(amount), 0) FROM wallet_entry
                          WHERE transfer_id = h.resolve_transfer_id AND account_id = h.wallet_id)
                         <> h.amount - h.posted_amount
                     THEN 'resolution does not return the unposted rest to the wallet'
              END AS problem
            FROM wallet_hold h
        ) h WHERE problem IS NOT NULL ORDER BY h.id
        """,
        "hold {0} ({1}, amount {2}, posted {3}): {4}",
    ),
    (
        "holds accounts equal their pending holds",
        "Holds account balance differs from its pending holds",
        """
        SELECT a.id, a.owner_id, a.balance, COALESCE(p.total, 0)
        FROM wallet_ledgeraccount a
        LEFT JOIN (SELECT escrow_id, SUM(amount) AS total FROM wallet_hold
                   WHERE status = 'pending' GROUP BY escrow_id) p ON p.escrow_id = a.id
        WHERE a.kind = 'client_holds' AND a.balance <> COALESCE(p.total, 0)
        ORDER BY a.id
        """,
        "holds account {0} (owner {1}): balance {2}, pending holds total {3}",
    ),
]


class Command(BaseCommand):
    help = "Verify the wallet ledger's invariants; exit 1 and list the problems on drift."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=50, help="Show at most this many rows per check."
        )

    def handle(self, *args, limit, **options):
        problems = 0
        # One snapshot for every check, so concurrent transfers cannot fake a drift.
        snapshot = not connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            if snapshot:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT COUNT(*) FROM wallet_ledgeraccount")
            accounts = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM wallet_transfer")
            transfers = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM wallet_hold")
            holds = cursor.fetchone()[0]
            for name, title, sql, line in CHECKS:
                cursor.execute(sql, {"restricted": RESTRICTED})
                rows = cursor.fetchall()
                if not rows:
                    self.stdout.write(f"  ok    {name}")
                    continue
                problems += len(rows)
                self.stdout.write(self.style.ERROR(f"  FAIL  {title}: {len(rows)}"))
                for row in rows[:limit]:
                    self.stdout.write("        " + line.format(*row))
                if len(rows) > limit:
                    self.stdout.write(f"        … and {len(rows) - limit} more")
        summary = f"Checked {accounts} accounts, {transfers} transfers, {holds} holds."
        if problems:
            self.stdout.write(summary)
            raise CommandError(f"Ledger drift: {problems} problem(s) found.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"{summary} The ledger is consistent."))
