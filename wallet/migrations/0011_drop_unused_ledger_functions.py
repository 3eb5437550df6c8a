"""Drop the two ledger functions no trigger calls any more.

``wallet_apply_entry`` (per row) and ``wallet_check_transfer_balanced`` (deferred, per row) were
replaced by the statement-level ``wallet_apply_entries`` and ``wallet_check_statement_balanced``
(migrations 0005 and 0008); their triggers went then, the functions stayed. ``wallet/ledger.sql``
lists what remains.
"""

from django.db import migrations

FORWARD = """
DROP FUNCTION wallet_apply_entry();
DROP FUNCTION wallet_check_transfer_balanced();
"""

REVERSE = r"""
CREATE FUNCTION wallet_apply_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE wallet_ledgeraccount SET balance = balance + NEW.amount WHERE id = NEW.account_id;
    RETURN NULL;
END;
$$;
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
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0010_top_up_review_flag")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
