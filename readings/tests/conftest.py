import pytest

from home.models import MarketplaceSettings


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    # Live events go to an in-memory layer: tests read them back without Redis round trips.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def market(db):
    """The marketplace settings in force (no Wagtail site: the model defaults)."""
    return MarketplaceSettings()
