"""Project-wide pytest configuration."""


def pytest_collection_modifyitems(config, items):
    # Browser tests run last: Playwright's sync API leaves an event loop running that breaks the
    # async (Channels) tests collected after it (see shared notes on browser tests).
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
