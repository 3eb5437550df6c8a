"""Apply entries to balances once per INSERT statement instead of once per row.

A per-row trigger updates a hot account (platform revenue) once per entry; a batch of N minute
charges in one transaction then rewrites the same row N times, and each rewrite walks the chain
of versions left by the previous ones (quadratic). The statement-level trigger sums the new
entries per account and updates each account once, after locking the accounts in id order (the
same order every transfer uses, so no deadlocks). Single transfers behave exactly as before:
the balance still moves only with entries and the CHECK constraint still refuses a restricted
balance below zero (``wallet_account_balance_non_negative``).
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION wallet_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM wallet_ledgeraccount
        WHERE id IN (SELECT account_id FROM new_entries)
        ORDER BY id FOR UPDATE;
    UPDATE wallet_ledgeraccount AS account
        SET balance = account.balance + delta.total
        FROM (SELECT account_id, SUM(amount) AS total FROM new_entries GROUP BY account_id)
            AS delta
        WHERE account.id = delta.account_id AND delta.total <> 0;
    RETURN NULL;
END;
$$;

DROP TRIGGER wallet_entry_apply ON wallet_entry;

CREATE TRIGGER wallet_entry_apply
    AFTER INSERT ON wallet_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION wallet_apply_entries();
"""

BACKWARD = r"""
DROP TRIGGER wallet_entry_apply ON wallet_entry;
CREATE TRIGGER wallet_entry_apply
    AFTER INSERT ON wallet_entry
    FOR EACH ROW EXECUTE FUNCTION wallet_apply_entry();
DROP FUNCTION wallet_apply_entries();
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0004_stripe_flows")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
