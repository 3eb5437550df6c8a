import pytest

from readers.tests.conftest import home, reader_index  # noqa: F401 - the site and its readers
from readers.tests.factories import make_reader


@pytest.fixture
def reader_page(reader_index):  # noqa: F811
    return make_reader(reader_index, "Aurora Vale")


def moderators_group():
    """The "Community moderators" group as its migration makes it. A transactional test
    elsewhere may have flushed the reused test database since: then the migration's own
    function makes it again (the same code, run on the current models)."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    migration = importlib.import_module("community.migrations.0005_community_moderators_group")
    if not Group.objects.filter(name=migration.GROUP).exists():
        migration.create_group(apps, None)
    return Group.objects.get(name=migration.GROUP)
