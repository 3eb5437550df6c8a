from datetime import timedelta

import pytest
from django.test import TestCase

from readings import presence, services
from readings.errors import CannotReadYourself, QueueError, ReaderUnavailable
from readings.models import QueueEntry
from readings.tests.events_helpers import Listener
from readings.tests.factories import active_session, make_client, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_reader():
    reader = make_reader()
    client = make_client(balance=10_000)
    session = active_session(client, reader)
    return reader, session


def test_clients_queue_for_a_busy_reader_in_order(busy_reader):
    reader, _session = busy_reader
    first, second = make_client(balance=1_000), make_client(balance=1_000)

    presence.join_queue(first, reader)
    presence.join_queue(second, reader)
    again = presence.join_queue(first, reader)

    assert QueueEntry.objects.filter(reader=reader.user, state="waiting").count() == 2
    assert presence.position_in_queue(first, reader.user) == 1
    assert presence.position_in_queue(second, reader.user) == 2
    assert again.state == "waiting"


def test_when_the_reader_is_free_the_first_in_line_gets_the_offer(busy_reader):
    reader, session = busy_reader
    first, second = make_client(balance=1_000), make_client(balance=1_000)
    presence.join_queue(first, reader)
    presence.join_queue(second, reader)
    listener = Listener(f"reading_queue_{first.pk}")

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.end(session, session.client)

    offer = QueueEntry.objects.get(state="offered")
    assert offer.client == first
    assert [m["event"] for m in listener.drain()] == ["offer"]
    # The reader is reserved for the first in line during the offer.
    with pytest.raises(ReaderUnavailable, match="next client in line"):
        services.request_reading(second, reader, "chat")
    taken = services.request_reading(first, reader, "chat")
    assert taken.state == "requested"
    offer.refresh_from_db()
    assert offer.state == "taken"


def test_an_offer_not_taken_in_time_moves_to_the_next_client(busy_reader):
    reader, session = busy_reader
    first, second = make_client(balance=1_000), make_client(balance=1_000)
    presence.join_queue(first, reader)
    presence.join_queue(second, reader)
    services.end(session, session.client)
    offer = QueueEntry.objects.get(state="offered")
    QueueEntry.objects.filter(pk=offer.pk).update(
        offer_expires_at=offer.offer_expires_at - timedelta(seconds=61)
    )

    assert presence.lapse_offers() == 1

    assert QueueEntry.objects.get(client=first).state == "lapsed"
    assert QueueEntry.objects.get(client=second).state == "offered"


def test_leaving_the_queue_with_an_offer_passes_it_on(busy_reader):
    reader, session = busy_reader
    first, second = make_client(balance=1_000), make_client(balance=1_000)
    presence.join_queue(first, reader)
    presence.join_queue(second, reader)
    services.end(session, session.client)

    presence.leave_queue(first, reader)

    assert QueueEntry.objects.get(client=second).state == "offered"


def test_queue_refuses_yourself_and_offline_readers():
    reader = make_reader(presence="offline")
    with pytest.raises(CannotReadYourself):
        presence.join_queue(reader.user, reader)
    with pytest.raises(QueueError, match="offline"):
        presence.join_queue(make_client(), reader)
    assert not QueueEntry.objects.exists()


def test_a_client_who_cannot_pay_the_first_minute_is_told_to_top_up_first(busy_reader):
    reader, _session = busy_reader
    cheapest = min(reader.chat_rate_cents, reader.voice_rate_cents, reader.video_rate_cents)
    short = make_client(balance=cheapest * services.min_start_minutes() - 1)

    with pytest.raises(QueueError, match="Top up first"):
        presence.join_queue(short, reader)

    assert not QueueEntry.objects.filter(client=short).exists()
    enough = make_client(balance=cheapest * services.min_start_minutes())
    assert presence.join_queue(enough, reader).state == QueueEntry.State.WAITING
