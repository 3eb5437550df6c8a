import pytest

from readings import presence, services
from readings.errors import ReaderUnavailable
from readings.tests.factories import active_session, make_client, make_reader

pytestmark = pytest.mark.django_db


def presence_of(page):
    page.refresh_from_db()
    return page.presence


def test_a_reader_sets_online_and_offline():
    reader = make_reader(presence="offline")
    assert presence.set_presence(reader.user, "online") == "online"
    assert presence_of(reader) == "online"
    presence.set_presence(reader.user, "offline")
    assert presence_of(reader) == "offline"


def test_unknown_presence_is_refused():
    with pytest.raises(ValueError):
        presence.set_presence(make_reader().user, "sleeping")


def test_a_reader_is_busy_from_accept_to_end_and_online_after():
    reader = make_reader()
    client = make_client(balance=10_000)
    session = services.request_reading(client, reader, "chat")
    assert presence_of(reader) == "online"

    services.accept(session, reader.user)
    assert presence_of(reader) == "busy"
    services.start(session, client)
    services.pause(session, client)
    assert presence_of(reader) == "busy"
    services.resume(session, client)
    services.end(session, reader.user)

    assert presence_of(reader) == "online"


def test_going_online_during_a_reading_stays_busy():
    reader = make_reader()
    active_session(make_client(balance=10_000), reader)
    assert presence.set_presence(reader.user, "online") == "busy"


def test_a_reader_who_went_offline_during_the_reading_stays_offline_after_it():
    reader = make_reader()
    client = make_client(balance=10_000)
    session = active_session(client, reader)
    presence.set_presence(reader.user, "offline")
    services.end(session, client)
    assert presence_of(reader) == "offline"


def test_a_busy_reader_cannot_be_requested_by_another_client():
    reader = make_reader()
    active_session(make_client(balance=10_000), reader)
    with pytest.raises(ReaderUnavailable, match="busy"):
        services.request_reading(make_client(balance=10_000), reader, "chat")


def test_a_cancelled_accepted_reading_frees_the_reader():
    reader = make_reader()
    client = make_client(balance=10_000)
    session = services.request_reading(client, reader, "chat")
    services.accept(session, reader.user)
    services.cancel(session, client)
    assert presence_of(reader) == "online"


def test_going_online_notifies_clients_who_favourited_the_reader_once():
    from readers.models import Favorite, Notification

    reader = make_reader(presence="offline")
    client = make_client(balance=0)
    Favorite.objects.create(client=client, reader_page=reader, notify_when_online=True)

    presence.set_presence(reader.user, "online")
    presence.set_presence(reader.user, "online")  # already online: no second alert
    presence.set_presence(reader.user, "offline")
    presence.set_presence(reader.user, "online")  # within 6 hours: still one alert

    assert Notification.objects.filter(user=client).count() == 1
