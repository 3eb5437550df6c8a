"""The ledger's rules as the database holds them, written out as ``wallet/ledger.sql``.

``wallet/tests/test_ledger_sql.py`` checks that the file equals what ``current()`` reads from
the database; ``manage.py ledger_sql > wallet/ledger.sql`` rewrites it after a migration that
changes a rule."""

from pathlib import Path

FILE = Path(__file__).with_name("ledger.sql")
LEDGER_TABLES = (
    "wallet_ledgeraccount",
    "wallet_transfer",
    "wallet_entry",
    "wallet_hold",
    "wallet_purchase",
)

HEADER = """\
-- The ledger's rules as PostgreSQL enforces them: every function and trigger the wallet
-- defines and the constraints of the ledger's tables, exactly as the database reports them
-- (pg_get_functiondef, pg_get_triggerdef, pg_get_constraintdef).
--
-- The wallet's migrations made these and stay their history; this file is the one place to
-- read them whole. wallet/tests/test_ledger_sql.py fails when the database and this file
-- differ: a migration that changes a rule rewrites this file (manage.py ledger_sql) in the
-- same commit.
--
-- In short:
--   * wallet_transfer_append_only, wallet_entry_append_only: transfers and entries are never
--     updated or deleted; a correction is a new, reversing transfer;
--   * wallet_entry_apply: the entries a statement inserts move their accounts' balances in
--     that statement, accounts locked in id order;
--   * wallet_entry_balanced: every transfer a statement touches sums to zero and exists;
--   * wallet_transfer_purchase_exists: every purchase a new transfer pays for exists;
--     wallet_purchase_kept: purchases are never deleted (their transfers point at them);
--   * wallet_account_balance_guard: a balance changes only through entries;
--   * wallet_account_balance_non_negative, with wallet_account_restricted_kinds: a client
--     wallet, a hold or a reader's earnings never goes below zero;
--   * wallet_transfer_idempotency_key_key: one transfer per idempotency key.
"""


def current(connection):
    """The file's text for the database behind ``connection``."""
    parts = [HEADER]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.proname, pg_get_functiondef(p.oid)
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = current_schema() AND p.proname LIKE 'wallet\\_%%'
            ORDER BY p.proname
            """
        )
        for name, definition in cursor.fetchall():
            parts.append(f"\n-- function: {name}\n{definition.rstrip()};\n")
        cursor.execute(
            """
            SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger
            WHERE NOT tgisinternal AND tgname LIKE 'wallet\\_%%'
            ORDER BY tgname
            """
        )
        for name, definition in cursor.fetchall():
            parts.append(f"\n-- trigger: {name}\n{definition};\n")
        cursor.execute(
            """
            SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('c', 'u', 'x')
            ORDER BY conrelid::regclass::text, conname
            """,
            [list(LEDGER_TABLES)],
        )
        for name, table, definition in cursor.fetchall():
            statement = f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition};"
            parts.append(f"\n-- constraint: {name}\n{statement}\n")
    return "".join(parts)
