"""Project-wide pytest configuration."""

import pytest
from django.db import connections

from soulseer.testing import database


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = marker is not None and marker.kwargs.get("transaction")
        if transactional and "serialized_rollback" not in marker.kwargs:
            # A transactional test ends by truncating every table, which would also remove the
            # rows migrations create (Wagtail's root page, default site and root collection) and
            # break every later page test. Restore them from the serialised snapshot instead.
            item.add_marker(
                pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False
            )
    # Browser tests run last: Playwright's sync API leaves an event loop running that breaks the
    # async (Channels) tests collected after it (see shared notes on browser tests).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef, request):
    if fixturedef.argname == "_django_db_helper":
        # Once Playwright has started, an event loop stays running in this thread and Django
        # hands out other connection objects (``soulseer.testing.database``): give them the
        # migration snapshot right before the test's database setup restores it.
        database.give_snapshots_to_this_context()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Leave the test database as migrations made it. Each transactional test restores the
    snapshot when it starts and truncates every table (content types too) when it ends, so after
    the last one the database would stay empty: the next ``--reuse-db`` session would snapshot
    that emptiness, and its page tests would find no Wagtail root, site or collection.
    Also keeps the snapshot for browser tests (``soulseer.testing.database``)."""
    database.remember_snapshots()
    yield
    with django_db_blocker.unblock():
        for connection in connections.all(initialized_only=True):
            snapshot = getattr(connection, "_test_serialized_contents", None)
            if snapshot and _truncated(connection):
                connection.creation.deserialize_db_from_string(snapshot)


def _truncated(connection):
    # Migrations always leave content types behind; only a transactional test's flush removes
    # them all.
    with connection.cursor() as cursor:
        cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM django_content_type)")
        return cursor.fetchone()[0]
