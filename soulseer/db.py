"""Database helpers every app may use."""

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor


def bulk_cursor(db=connection):
    """A Django cursor (query logging, execute wrappers, error translation) over one psycopg
    cursor with server-side parameters, kept per database connection (the ledger's transfers,
    the billing sweep): arrays travel as parameters instead of being rendered into the SQL
    text, and the cursor's set-up is paid once per connection instead of once per call. Its
    statements are prepared per connection from ``DB_PREPARE_THRESHOLD`` uses on (settings;
    the ORM's client-side cursors never prepare).

    Bulk statements pass their arrays as ``%b`` (binary) parameters: psycopg then writes each
    element as bytes, where the text format escapes every string with regular expressions
    (measured: a third of a billing batch's Python time went to quoting 5,000-element arrays).
    Don't use it with ``with``: closing it would close the shared cursor."""
    db.close_if_health_check_failed()
    db.ensure_connection()
    cached = getattr(db, "_bulk_cursor", None)
    if cached is None or cached.connection is not db.connection or cached.closed:
        with db.wrap_database_errors:
            cached = ServerBindingCursor(db.connection)
        db._bulk_cursor = cached
    return db._prepare_cursor(cached)
