"""Apply a statement's entries to balances with two index-driven statements, whatever its size.

Migration 0006 updated one account per UPDATE statement: right for a two-leg transfer, but a
billing batch touching 10,000 accounts then ran 10,000 statements inside the trigger. Now the new
entries are summed per account into two arrays and applied by joining ``unnest()`` of those arrays
to the primary key: PL/pgSQL's cached plan for that join is a nested loop of primary-key lookups,
good for two rows and for ten thousand (the planner never sees the transition table, so it can
never pick a scan of every account again, as 0005's cached plan did).

Same guarantees as before:
- the accounts are locked first, in ascending id order (ORDER BY ... FOR UPDATE locks rows in the
  sorted order), the order every transfer and batch uses: no deadlocks;
- each account is written once per statement (a billing batch's hot platform account too);
- the balance moves only with entries (the balance guard still refuses any other UPDATE);
- a restricted balance going below zero fails the CHECK constraint
  (``wallet_account_balance_non_negative``) and with it the whole INSERT.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION wallet_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    totals bigint[];
BEGIN
    SELECT array_agg(account_id ORDER BY account_id), array_agg(total ORDER BY account_id)
        INTO ids, totals
        FROM (SELECT account_id, SUM(amount)::bigint AS total
              FROM new_entries GROUP BY account_id) AS delta
        WHERE total <> 0;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1
        FROM unnest(ids) AS wanted(id)
        JOIN wallet_ledgeraccount AS account ON account.id = wanted.id
        ORDER BY account.id
        FOR UPDATE OF account;
    UPDATE wallet_ledgeraccount AS account
        SET balance = account.balance + delta.total
        FROM unnest(ids, totals) AS delta(id, total)
        WHERE account.id = delta.id;
    RETURN NULL;
END;
$$;
"""

# Migration 0006's function body.
BACKWARD = r"""
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


class Migration(migrations.Migration):
    dependencies = [("wallet", "0006_entry_balance_by_primary_key")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
