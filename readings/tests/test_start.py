"""Requesting and starting a reading, and every way it is refused."""

import threading

import pytest
from django.db import connection

from readings import services
from readings.errors import (
    AlreadyInReading,
    CannotReadYourself,
    InsufficientBalance,
    InvalidChannel,
    ReaderUnavailable,
    SpendingLimitWouldBlock,
)
from readings.models import BilledMinute, ReadingSession
from readings.tests.factories import active_session, make_client, make_reader
from wallet import services as wallet
from wallet.models import Transfer

pytestmark = pytest.mark.django_db


def test_request_captures_rate_share_and_intro_minutes(market):
    reader = make_reader(voice=450)
    client = make_client(balance=1_000)

    session = services.request_reading(client, reader, "voice")

    assert session.state == "requested"
    assert session.rate_cents == 450
    assert session.reader_share_percent == market.reader_share_percent
    assert session.free_minutes == market.intro_free_minutes
    assert session.expires_at > session.created_at


def test_intro_minutes_only_on_the_first_completed_reading_with_that_reader():
    reader = make_reader()
    client = make_client(balance=10_000)
    first = active_session(client, reader)
    services.end(first, client)

    second = services.request_reading(client, reader, "chat")

    assert first.free_minutes == 3
    assert second.free_minutes == 0


def test_rate_change_after_start_does_not_reprice_the_reading():
    reader = make_reader(chat=300)
    client = make_client(balance=10_000)
    session = active_session(client, reader, free_minutes=0)
    type(reader).objects.filter(pk=reader.pk).update(chat_rate_cents=900)

    session.refresh_from_db()
    assert session.rate_cents == 300
    assert session.total_cents == 300


@pytest.mark.parametrize(
    ("presence", "message"), [("offline", "offline"), ("busy", "busy in another reading")]
)
def test_offline_or_busy_reader_is_refused_with_a_clear_message(presence, message):
    reader = make_reader(presence=presence)
    client = make_client(balance=10_000)

    with pytest.raises(ReaderUnavailable, match=message):
        services.request_reading(client, reader, "chat")

    assert not ReadingSession.objects.exists()


def test_a_reader_cannot_read_for_themselves():
    reader = make_reader()
    with pytest.raises(CannotReadYourself):
        services.request_reading(reader.user, reader, "chat")
    assert not ReadingSession.objects.exists()


def test_unknown_channel_is_refused():
    with pytest.raises(InvalidChannel):
        services.request_reading(make_client(balance=1_000), make_reader(), "telepathy")


def test_too_little_balance_cannot_request_even_with_free_minutes():
    reader = make_reader(chat=300)
    client = make_client(balance=299)

    with pytest.raises(InsufficientBalance, match=r"\$3\.00"):
        services.request_reading(client, reader, "chat")

    assert not ReadingSession.objects.exists()
    assert wallet.wallet_of(client).balance == 299


def test_min_start_minutes_setting_raises_the_bar(settings):
    settings.MIN_START_MINUTES = 5
    reader = make_reader(chat=300)
    with pytest.raises(InsufficientBalance):
        services.request_reading(make_client(balance=1_499), reader, "chat")
    assert services.request_reading(make_client(balance=1_500), reader, "chat").pk


def test_a_spending_limit_that_would_refuse_the_first_minute_blocks_the_request():
    reader = make_reader(chat=300)
    client = make_client(balance=10_000)
    wallet.set_spending_limits(client, daily=200)

    with pytest.raises(SpendingLimitWouldBlock, match="daily spending limit"):
        services.request_reading(client, reader, "chat")

    assert not ReadingSession.objects.exists()


def test_a_client_with_an_open_reading_cannot_request_another():
    client = make_client(balance=10_000)
    services.request_reading(client, make_reader(), "chat")

    with pytest.raises(AlreadyInReading):
        services.request_reading(client, make_reader(), "chat")

    assert ReadingSession.objects.filter(client=client).count() == 1


def test_start_bills_minute_zero_at_once_when_it_is_paid():
    reader = make_reader(chat=300)
    client = make_client(balance=1_000)

    session = active_session(client, reader, free_minutes=0)

    assert session.state == "active"
    assert session.started_at is not None
    assert session.billed_minutes == 1 and session.total_cents == 300
    assert wallet.wallet_of(client).balance == 700
    assert Transfer.objects.filter(idempotency_key=f"reading:{session.pk}:minute:0").exists()


def test_start_is_refused_when_the_wallet_emptied_since_the_request():
    from wallet.tests.factories import spend

    reader = make_reader(chat=300)
    client = make_client(balance=300)
    session = services.request_reading(client, reader, "chat")
    type(session).objects.filter(pk=session.pk).update(free_minutes=0)
    services.accept(session, reader.user)
    spend(client, 100)

    with pytest.raises(InsufficientBalance):
        services.start(session, client)

    session.refresh_from_db()
    assert session.state == "accepted"
    assert not BilledMinute.objects.exists()


def test_unanswered_request_expires_and_counts_as_missed(settings):
    from readings.tests.factories import shift_back

    reader = make_reader()
    client = make_client(balance=1_000)
    session = services.request_reading(client, reader, "chat")
    assert services.expire_unanswered() == 0

    shift_back(session, 61)
    assert services.expire_unanswered() == 1

    session.refresh_from_db()
    assert session.state == "expired"
    assert services.missed_requests(reader.user) == 1
    # The client is free to ask someone else.
    assert services.request_reading(client, make_reader(), "chat").state == "requested"


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_create_one_session():
    reader_a, reader_b = make_reader(), make_reader()
    client = make_client(balance=10_000)
    barrier = threading.Barrier(2)
    outcomes = []

    def request(page):
        try:
            barrier.wait()
            outcomes.append(services.request_reading(client, page, "chat"))
        except AlreadyInReading as error:
            outcomes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(page,)) for page in (reader_a, reader_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ReadingSession.objects.filter(client=client).count() == 1
    assert sum(isinstance(o, AlreadyInReading) for o in outcomes) == 1
    assert "already have a reading open" in str(
        next(o for o in outcomes if isinstance(o, AlreadyInReading))
    )
