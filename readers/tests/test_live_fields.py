"""Fields kept outside the page's revisions (presence, rating, auto-accept) survive publishing a
revision that was saved before they changed, and are not offered in the moderated editor."""

import pytest

from readers.models import ReaderPage
from readers.tests.factories import make_reader

pytestmark = pytest.mark.django_db


def test_publishing_an_old_revision_keeps_auto_accept_and_presence(reader_index):
    luna = make_reader(reader_index, "Luna Vale", photo=False)
    revision = luna.save_revision()
    ReaderPage.objects.filter(pk=luna.pk).update(
        auto_accept_bookings=True, presence=ReaderPage.Presence.ONLINE
    )
    revision.publish()
    luna = ReaderPage.objects.get(pk=luna.pk)
    assert luna.auto_accept_bookings is True
    assert luna.presence == ReaderPage.Presence.ONLINE


def test_auto_accept_is_not_a_moderated_page_field():
    # It is switched on the reader's availability page and applies at once; a field in the
    # page editor would only take effect after moderation and then be ignored (live-only).
    form_class = ReaderPage.get_edit_handler().get_form_class()
    assert "auto_accept_bookings" not in form_class.base_fields
