import pytest

from readers.tests.conftest import home, reader_index  # noqa: F401 - the site and its readers
from readers.tests.factories import make_reader


@pytest.fixture
def reader_page(reader_index):  # noqa: F811
    return make_reader(reader_index, "Aurora Vale")
