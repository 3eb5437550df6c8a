"""Ledger invariants enforced by PostgreSQL, so no code path (ORM, raw SQL, admin) can break them."""

from django.db import migrations

FORWARD = r"""
-- Entries are append-only; corrections are reversing transfers.
CREATE FUNCTION wallet_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % rejected', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER wallet_entry_append_only
    BEFORE UPDATE OR DELETE ON wallet_entry
    FOR EACH ROW EXECUTE FUNCTION wallet_reject_change();

CREATE TRIGGER wallet_transfer_append_only
    BEFORE UPDATE OR DELETE ON wallet_transfer
    FOR EACH ROW EXECUTE FUNCTION wallet_reject_change();

-- The cached balance moves only with entries. The account's CHECK constraint then rejects a
-- restricted balance going below zero inside the same statement.
CREATE FUNCTION wallet_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wallet_ledgeraccount SET balance = balance + NEW.amount WHERE id = NEW.account_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER wallet_entry_apply
    AFTER INSERT ON wallet_entry
    FOR EACH ROW EXECUTE FUNCTION wallet_apply_entry();

-- Balance may only change through the trigger above: a direct UPDATE of balance is refused.
CREATE FUNCTION wallet_guard_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.balance IS DISTINCT FROM OLD.balance AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger account balances change only through entries'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER wallet_account_balance_guard
    BEFORE UPDATE ON wallet_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION wallet_guard_balance();

-- The legs of every transfer sum to zero and there are at least two, checked at commit so the
-- legs can be inserted one by one.
CREATE FUNCTION wallet_check_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    legs integer;
BEGIN
    SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, legs
        FROM wallet_entry WHERE transfer_id = NEW.transfer_id;
    IF total <> 0 OR legs < 2 THEN
        RAISE EXCEPTION 'transfer % is unbalanced (sum %, % legs)', NEW.transfer_id, total, legs
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER wallet_entry_balanced
    AFTER INSERT ON wallet_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION wallet_check_transfer_balanced();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS wallet_entry_balanced ON wallet_entry;
DROP TRIGGER IF EXISTS wallet_account_balance_guard ON wallet_ledgeraccount;
DROP TRIGGER IF EXISTS wallet_entry_apply ON wallet_entry;
DROP TRIGGER IF EXISTS wallet_transfer_append_only ON wallet_transfer;
DROP TRIGGER IF EXISTS wallet_entry_append_only ON wallet_entry;
DROP FUNCTION IF EXISTS wallet_check_transfer_balanced();
DROP FUNCTION IF EXISTS wallet_guard_balance();
DROP FUNCTION IF EXISTS wallet_apply_entry();
DROP FUNCTION IF EXISTS wallet_reject_change();
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
