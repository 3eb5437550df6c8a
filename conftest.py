"""Project-wide pytest configuration."""

import pytest

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
        if _transactional(request.node):
            # The restore must start from an empty database.
            with request.getfixturevalue("django_db_blocker").unblock():
                database.prepare_restore()


def _transactional(item):
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    return bool(
        (marker is not None and marker.kwargs.get("transaction"))
        or "transactional_db" in names
        or "live_server" in names
    )


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
        database.restore_if_not_as_migrated()
