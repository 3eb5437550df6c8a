"""wallet/ledger.sql is the database's ledger rules, word for word."""

import difflib

import pytest
from django.db import connection

from wallet import ledger_sql

pytestmark = pytest.mark.django_db


def test_the_ledger_file_holds_exactly_the_rules_the_database_enforces():
    expected = ledger_sql.current(connection)
    written = ledger_sql.FILE.read_text()
    diff = "".join(
        difflib.unified_diff(
            written.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            "wallet/ledger.sql",
            "the database",
        )
    )
    assert not diff, "Run `manage.py ledger_sql > wallet/ledger.sql`:\n" + diff


def test_a_rule_changed_in_the_database_is_caught():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION wallet_reject_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$"
        )
    assert ledger_sql.current(connection) != ledger_sql.FILE.read_text()


def test_every_trigger_of_the_ledger_is_in_the_file():
    text = ledger_sql.FILE.read_text()
    for trigger in (
        "wallet_account_balance_guard",
        "wallet_entry_append_only",
        "wallet_entry_apply",
        "wallet_entry_balanced",
        "wallet_transfer_append_only",
    ):
        assert f"-- trigger: {trigger}\n" in text
