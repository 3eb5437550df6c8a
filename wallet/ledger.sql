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

-- function: wallet_apply_entries
CREATE OR REPLACE FUNCTION public.wallet_apply_entries()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;

-- function: wallet_check_statement_balanced
CREATE OR REPLACE FUNCTION public.wallet_check_statement_balanced()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
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
$function$;

-- function: wallet_check_transfer_purchases
CREATE OR REPLACE FUNCTION public.wallet_check_transfer_purchases()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    missing bigint;
BEGIN
    SELECT t.purchase_id INTO missing
        FROM new_transfers t
        WHERE t.purchase_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM wallet_purchase p WHERE p.id = t.purchase_id)
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'purchase % does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$function$;

-- function: wallet_guard_balance
CREATE OR REPLACE FUNCTION public.wallet_guard_balance()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF NEW.balance IS DISTINCT FROM OLD.balance AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger account balances change only through entries'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$function$;

-- function: wallet_reject_change
CREATE OR REPLACE FUNCTION public.wallet_reject_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: % on % rejected', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$function$;

-- trigger: wallet_account_balance_guard
CREATE TRIGGER wallet_account_balance_guard BEFORE UPDATE ON public.wallet_ledgeraccount FOR EACH ROW WHEN (((new.balance IS DISTINCT FROM old.balance) AND (pg_trigger_depth() < 1))) EXECUTE FUNCTION wallet_guard_balance();

-- trigger: wallet_entry_append_only
CREATE TRIGGER wallet_entry_append_only BEFORE DELETE OR UPDATE ON public.wallet_entry FOR EACH ROW EXECUTE FUNCTION wallet_reject_change();

-- trigger: wallet_entry_apply
CREATE TRIGGER wallet_entry_apply AFTER INSERT ON public.wallet_entry REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION wallet_apply_entries();

-- trigger: wallet_entry_balanced
CREATE TRIGGER wallet_entry_balanced AFTER INSERT ON public.wallet_entry REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION wallet_check_statement_balanced();

-- trigger: wallet_purchase_kept
CREATE TRIGGER wallet_purchase_kept BEFORE DELETE ON public.wallet_purchase FOR EACH ROW EXECUTE FUNCTION wallet_reject_change();

-- trigger: wallet_transfer_append_only
CREATE TRIGGER wallet_transfer_append_only BEFORE DELETE OR UPDATE ON public.wallet_transfer FOR EACH ROW EXECUTE FUNCTION wallet_reject_change();

-- trigger: wallet_transfer_purchase_exists
CREATE TRIGGER wallet_transfer_purchase_exists AFTER INSERT ON public.wallet_transfer REFERENCING NEW TABLE AS new_transfers FOR EACH STATEMENT EXECUTE FUNCTION wallet_check_transfer_purchases();

-- constraint: wallet_entry_non_zero
ALTER TABLE wallet_entry ADD CONSTRAINT wallet_entry_non_zero CHECK ((NOT (amount = 0)));

-- constraint: wallet_hold_hold_transfer_id_key
ALTER TABLE wallet_hold ADD CONSTRAINT wallet_hold_hold_transfer_id_key UNIQUE (hold_transfer_id);

-- constraint: wallet_hold_positive
ALTER TABLE wallet_hold ADD CONSTRAINT wallet_hold_positive CHECK ((amount > 0));

-- constraint: wallet_hold_posted_within_amount
ALTER TABLE wallet_hold ADD CONSTRAINT wallet_hold_posted_within_amount CHECK (((posted_amount >= 0) AND (posted_amount <= amount)));

-- constraint: wallet_hold_public_id_key
ALTER TABLE wallet_hold ADD CONSTRAINT wallet_hold_public_id_key UNIQUE (public_id);

-- constraint: wallet_hold_resolution_consistent
ALTER TABLE wallet_hold ADD CONSTRAINT wallet_hold_resolution_consistent CHECK ((((posted_amount = 0) AND (resolve_transfer_id IS NULL) AND ((status)::text = 'pending'::text)) OR ((posted_amount = 0) AND (resolve_transfer_id IS NOT NULL) AND ((status)::text = 'voided'::text)) OR ((resolve_transfer_id IS NOT NULL) AND ((status)::text = 'posted'::text))));

-- constraint: wallet_hold_resolve_transfer_id_key
ALTER TABLE wallet_hold ADD CONSTRAINT wallet_hold_resolve_transfer_id_key UNIQUE (resolve_transfer_id);

-- constraint: wallet_account_balance_non_negative
ALTER TABLE wallet_ledgeraccount ADD CONSTRAINT wallet_account_balance_non_negative CHECK ((may_go_negative OR (balance >= 0)));

-- constraint: wallet_account_one_per_owner
ALTER TABLE wallet_ledgeraccount ADD CONSTRAINT wallet_account_one_per_owner UNIQUE (kind, owner_id, currency);

-- constraint: wallet_account_restricted_kinds
ALTER TABLE wallet_ledgeraccount ADD CONSTRAINT wallet_account_restricted_kinds CHECK ((NOT (((kind)::text = ANY ((ARRAY['client_wallet'::character varying, 'client_holds'::character varying, 'reader_earnings'::character varying])::text[])) AND may_go_negative)));

-- constraint: wallet_ledgeraccount_public_id_key
ALTER TABLE wallet_ledgeraccount ADD CONSTRAINT wallet_ledgeraccount_public_id_key UNIQUE (public_id);

-- constraint: wallet_purchase_platform_sale_has_no_share
ALTER TABLE wallet_purchase ADD CONSTRAINT wallet_purchase_platform_sale_has_no_share CHECK (((seller_id IS NOT NULL) OR (reader_share_percent = 0)));

-- constraint: wallet_purchase_public_id_key
ALTER TABLE wallet_purchase ADD CONSTRAINT wallet_purchase_public_id_key UNIQUE (public_id);

-- constraint: wallet_purchase_reader_share_percent_check
ALTER TABLE wallet_purchase ADD CONSTRAINT wallet_purchase_reader_share_percent_check CHECK ((reader_share_percent >= 0));

-- constraint: wallet_purchase_reference_key
ALTER TABLE wallet_purchase ADD CONSTRAINT wallet_purchase_reference_key UNIQUE (reference);

-- constraint: wallet_purchase_share_within_100
ALTER TABLE wallet_purchase ADD CONSTRAINT wallet_purchase_share_within_100 CHECK ((reader_share_percent <= 100));

-- constraint: wallet_transfer_idempotency_key_key
ALTER TABLE wallet_transfer ADD CONSTRAINT wallet_transfer_idempotency_key_key UNIQUE (idempotency_key);

-- constraint: wallet_transfer_public_id_key
ALTER TABLE wallet_transfer ADD CONSTRAINT wallet_transfer_public_id_key UNIQUE (public_id);

-- constraint: wallet_transfer_reverses_id_key
ALTER TABLE wallet_transfer ADD CONSTRAINT wallet_transfer_reverses_id_key UNIQUE (reverses_id);
