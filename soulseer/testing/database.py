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

from django.db import connections

_snapshots = {}


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
