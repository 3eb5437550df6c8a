import uuid

import pytest

from shop.tests.factories import shop_site
from wallet.tests.conftest import (  # noqa: F401 - localstripe for card checkout and sync
    local_stripe,
    localstripe_server,
    stripe_settings,
)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    # Uploaded downloads go to this test's own folder (the private storage follows MEDIA_ROOT);
    # rate-limit counters live in the shared Redis cache, so each test gets its own prefix.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"


@pytest.fixture
def shop(db):
    """A default site with the shop's index page (returns the ``ShopIndexPage``)."""
    return shop_site()
