import uuid

import pytest
from wagtail.models import Collection, Locale, Page, Site

from home.models import HomePage
from readers.models import ReaderIndexPage


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"
    settings.SITE_URL = "https://soulseer.example"


@pytest.fixture
def home(db):
    # A transactional test elsewhere can flush the reused test database (see home tests).
    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    page = root.add_child(instance=HomePage(title="Home", slug="home-test", hero_title="Clarity"))
    Site.objects.all().delete()
    Site.objects.create(hostname="testserver", port=80, root_page=page, is_default_site=True)
    return page


@pytest.fixture
def reader_index(home):
    index = home.add_child(instance=ReaderIndexPage(title="Our readers", slug="readers"))
    index.save_revision().publish()
    return index
