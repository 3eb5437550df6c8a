"""An entry's transfer is checked by the statement-level entry trigger, not a foreign key.

The deferred foreign key ran one check per entry at commit, each locking the referenced transfer
row (FOR KEY SHARE, a WAL record per freshly inserted transfer): 60,000 checks for a billing batch
of 20,000 minutes, about a fifth of the sweep's time. The trigger that already checks the legs
balance now also looks up each distinct transfer of the statement once, by primary key. What the
foreign key kept is still kept: an entry cannot name a transfer that does not exist, and since
entries and transfers are append-only (UPDATE and DELETE refused by triggers), it never can later.
The entry's account keeps its foreign key.
"""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = r"""
CREATE OR REPLACE FUNCTION wallet_check_statement_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    missing bigint;
BEGIN
    SELECT transfer_id, SUM(amount) AS total, COUNT(*) AS legs INTO bad
        FROM new_entries
        GROUP BY transfer_id
        HAVING SUM(amount) <> 0
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'transfer % is unbalanced (sum %, % legs)',
            bad.transfer_id, bad.total, bad.legs
            USING ERRCODE = 'check_violation';
    END IF;
    -- LATERAL ... LIMIT 1: one primary-key probe per transfer whatever the planner thinks of
    -- the transition table's size (it cannot turn this into a scan of every transfer).
    SELECT wanted.transfer_id INTO missing
        FROM (SELECT DISTINCT transfer_id FROM new_entries) AS wanted
        LEFT JOIN LATERAL (
            SELECT true AS found FROM wallet_transfer t WHERE t.id = wanted.transfer_id LIMIT 1
        ) AS probe ON true
        WHERE probe.found IS NULL
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'entry for transfer %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;

ALTER TABLE wallet_entry DROP CONSTRAINT wallet_entry_transfer_id_5c728548_fk_wallet_transfer_id;
"""

BACKWARD = r"""
ALTER TABLE wallet_entry ADD CONSTRAINT wallet_entry_transfer_id_5c728548_fk_wallet_transfer_id
    FOREIGN KEY (transfer_id) REFERENCES wallet_transfer (id) DEFERRABLE INITIALLY DEFERRED;

CREATE OR REPLACE FUNCTION wallet_check_statement_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT transfer_id, SUM(amount) AS total, COUNT(*) AS legs INTO bad
        FROM new_entries
        GROUP BY transfer_id
        HAVING SUM(amount) <> 0
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'transfer % is unbalanced (sum %, % legs)',
            bad.transfer_id, bad.total, bad.legs
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("wallet", "0008_ledger_statement_checks_fewer_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.AlterField(
                    model_name="entry",
                    name="transfer",
                    field=models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="wallet.transfer",
                    ),
                ),
            ],
        ),
    ]
