"""The test database's migration snapshot, for tests that run while an event loop is running.

Django keeps database connections in an ``asgiref`` ``Local(thread_critical=True)``: plain
thread-local storage in a sync thread, but context-variable storage while the thread has a
running event loop. Playwright's sync API keeps a loop running in the test thread, so inside a
browser test ``connections["default"]`` is a second ``DatabaseWrapper`` that never received the
snapshot ``setup_databases`` serialised onto the first. Without it Django's serialised rollback
silently does nothing: the test starts on whatever an earlier transactional test left (an empty
database), and its flush runs ``post_migrate``, which recreates content types under new ids while
``ContentType``'s cache still holds the old ones (the reference index then fails its foreign key).
"""

import json

from django.db import connections

CONTENT_TYPE = "contenttypes.contenttype"
_snapshots = {}
_content_type_snapshots = {}


def remember_snapshots():
    """Keep each database's snapshot (call once the test databases are set up, in sync code)."""
    for connection in connections.all():
        snapshot = getattr(connection, "_test_serialized_contents", None)
        if snapshot is not None:
            _snapshots[connection.alias] = snapshot


def give_snapshots_to_this_context():
    """Attach the snapshots to the connections this thread and context sees now."""
    for alias, snapshot in _snapshots.items():
        connections[alias]._test_serialized_contents = snapshot


def restore_if_not_as_migrated():
    """Put each test database back as migrations left it when a test did not (no content types,
    or no Wagtail root page): empty it and load the snapshot."""
    for alias, snapshot in _snapshots.items():
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM django_content_type)"
                " OR NOT EXISTS (SELECT 1 FROM wagtailcore_page)"
            )
            if not cursor.fetchone()[0]:
                continue
        _empty_with_content_types(alias)
        connections[alias].creation.deserialize_db_from_string(snapshot)


def other_sessions_in_flight(connection):
    """Other sessions on this test database that are running a statement or hold a transaction
    open (a live-server request still handling a webhook, say): ``(pid, state, query)`` rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT pid, state, left(query, 200)
            FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND backend_type = 'client backend' AND state <> 'idle'
            """
        )
        return cursor.fetchall()


def wait_for_other_sessions(timeout=20, settle=0.3):
    """Wait until no other session on the test database has run a statement or held a
    transaction open for ``settle`` seconds (a live-server request still running after its
    test). One still there after ``timeout`` is a leak: it is ended, so the flush that follows
    cannot hang the suite, and the caller is told (``AssertionError`` with what it did)."""
    import time

    from django.db import connection

    deadline = time.monotonic() + timeout
    quiet_since = None
    while True:
        sessions = other_sessions_in_flight(connection)
        now = time.monotonic()
        if sessions:
            quiet_since = None
            if now > deadline:
                with connection.cursor() as cursor:
                    for pid, _state, _query in sessions:
                        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                raise AssertionError(f"database sessions still open after the test: {sessions}")
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= settle:
            return
        time.sleep(0.05)


def prepare_restore():
    """Before a transactional test restores the snapshot: empty each test database that holds
    rows (a late live-server request may have written some after the last flush; the restore
    would collide with them), then load the snapshot's content types first."""
    for alias in _snapshots:
        _empty_with_content_types(alias)


def _empty_with_content_types(alias):
    """Empty ``alias`` (sequences kept, as a transactional test's own flush keeps them: the
    snapshot brings rows back with their ids) and load the snapshot's content types. A restore
    saves rows whose signal handlers look content types up; with ``ContentType``'s cache cold and
    the table empty, a lookup would create one under a new id, and the restore's own row would
    then collide with it."""
    from django.core import serializers
    from django.core.management import call_command

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM django_content_type)")
        has_rows = cursor.fetchone()[0]
    if has_rows:
        call_command(
            "flush",
            database=alias,
            interactive=False,
            inhibit_post_migrate=True,
            reset_sequences=False,
            verbosity=0,
        )
    for obj in serializers.deserialize("json", _content_types(alias), using=alias):
        obj.save()


def _content_types(alias):
    if alias not in _content_type_snapshots:
        rows = [row for row in json.loads(_snapshots[alias]) if row["model"] == CONTENT_TYPE]
        _content_type_snapshots[alias] = json.dumps(rows)
    return _content_type_snapshots[alias]
