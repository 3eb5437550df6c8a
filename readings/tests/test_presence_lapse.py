"""Presence tells the truth: online lapses when no open desk has reported in for
``READER_PRESENCE_TIMEOUT_SECONDS``; busy means a live reading."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readers.models import ReaderPage
from readings import presence, services
from readings.tasks import sweep_reading_timeouts
from readings.tests.factories import active_session, make_client, make_reader

pytestmark = pytest.mark.django_db


def presence_now(page):
    return ReaderPage.objects.values_list("presence", flat=True).get(pk=page.pk)


def desk_last_seen(page, seconds_ago):
    """Pretend the reader's desk last reported in ``seconds_ago`` seconds ago."""
    ReaderPage.objects.filter(pk=page.pk).update(
        presence_seen_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


@pytest.fixture
def reader_page(settings):
    settings.READER_PRESENCE_TIMEOUT_SECONDS = 120
    page = make_reader(presence="offline")
    presence.set_presence(page.user, "online")
    return page


def test_an_online_reader_whose_desk_went_quiet_goes_offline(reader_page):
    desk_last_seen(reader_page, 121)

    assert presence.lapse_idle_readers() == 1

    assert presence_now(reader_page) == "offline"


def test_a_recent_heartbeat_keeps_a_reader_online(reader_page):
    desk_last_seen(reader_page, 60)

    assert presence.lapse_idle_readers() == 0

    assert presence_now(reader_page) == "online"


def test_an_online_reader_who_never_opened_a_desk_goes_offline(reader_page):
    ReaderPage.objects.filter(pk=reader_page.pk).update(presence_seen_at=None)

    presence.lapse_idle_readers()

    assert presence_now(reader_page) == "offline"


def test_the_desk_poll_is_the_heartbeat(client, reader_page):
    desk_last_seen(reader_page, 500)
    client.force_login(reader_page.user)

    assert client.get(reverse("readings:reader_incoming")).status_code == 200
    presence.lapse_idle_readers()

    assert presence_now(reader_page) == "online"


def test_the_beat_sweep_lapses_quiet_readers(reader_page):
    desk_last_seen(reader_page, 1000)

    result = sweep_reading_timeouts()

    assert result["presence_lapsed"] == 1
    assert presence_now(reader_page) == "offline"


def test_a_reader_in_a_live_reading_stays_busy_without_a_desk(reader_page):
    active_session(make_client(balance=5000), reader_page)
    desk_last_seen(reader_page, 1000)

    presence.lapse_idle_readers()

    assert presence_now(reader_page) == "busy"


def test_a_reader_free_again_after_a_reading_is_online_until_the_timeout(reader_page):
    client_user = make_client(balance=5000)
    session = active_session(client_user, reader_page)
    desk_last_seen(reader_page, 1000)
    services.end(session, client_user)

    presence.lapse_idle_readers()

    assert presence_now(reader_page) == "online"


def test_a_reader_cannot_set_busy_without_a_live_reading(reader_page):
    with pytest.raises(ValueError, match="live reading"):
        presence.set_presence(reader_page.user, "busy")
    assert presence_now(reader_page) == "online"


def test_a_busy_reader_with_no_live_reading_is_taken_offline_by_the_sweep(reader_page):
    ReaderPage.objects.filter(pk=reader_page.pk).update(presence="busy")

    presence.lapse_idle_readers()

    assert presence_now(reader_page) == "offline"
