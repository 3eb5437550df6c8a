"""The audit log is append-only in the database: a row is never deleted, and the only change
allowed is the one an account's deletion makes (its ``actor`` set to NULL by the foreign key's
SET NULL), so anonymising a person keeps what happened. Test flushes use TRUNCATE, which row
triggers do not see."""

from django.db import migrations

CREATE = """
CREATE FUNCTION home_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.actor_id IS NULL
       AND to_jsonb(NEW) - 'actor_id' = to_jsonb(OLD) - 'actor_id' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'check_violation';
END;
$$;

CREATE TRIGGER home_auditevent_append_only
    BEFORE UPDATE OR DELETE ON home_auditevent
    FOR EACH ROW EXECUTE FUNCTION home_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS home_auditevent_append_only ON home_auditevent;
DROP FUNCTION IF EXISTS home_auditevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("home", "0003_message_reading_limits")]

    operations = [migrations.RunSQL(CREATE, DROP)]
