"""Apply a statement's entries to balances with one primary-key UPDATE per account.

Migration 0005's trigger locked and updated the accounts with two set-based queries joined to the
transition table. PL/pgSQL plans those once per connection, and the planner knows nothing about a
transition table's contents: the plan (a sequential scan of every ledger account, hash-joined to
the new entries) was the same for a two-leg transfer as for a 15,000-leg billing batch, so every
transfer read the whole account table twice (measured: 3-11 ms per transfer with 10,000
accounts, growing with the number of accounts).

Now the new entries are summed per account and each account is updated by its primary key, in id
order. Same guarantees as before:
- the balance moves only with entries (the balance guard still refuses any other UPDATE);
- each account is written once per statement (a billing batch's hot platform account too);
- rows are locked in ascending id order, the order every transfer and batch uses: no deadlocks;
- a restricted balance going below zero fails the CHECK constraint
  (``wallet_account_balance_non_negative``) and with it the whole INSERT.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION wallet_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta record;
BEGIN
    FOR delta IN
        SELECT account_id, SUM(amount) AS total
        FROM new_entries
        GROUP BY account_id
        ORDER BY account_id
    LOOP
        IF delta.total <> 0 THEN
            UPDATE wallet_ledgeraccount
                SET balance = balance + delta.total
                WHERE id = delta.account_id;
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
"""

# Migration 0005's function body.
BACKWARD = r"""
CREATE OR REPLACE FUNCTION wallet_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0005_entry_balance_per_statement")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
