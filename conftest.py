"""Project-wide pytest configuration."""

import pytest


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
