import uuid

import pytest


@pytest.fixture(autouse=True)
def isolated_rate_limits(settings):
    # Rate-limit counters live in the shared Redis cache; a fresh prefix per test keeps tests
    # independent without flushing anything.
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"
