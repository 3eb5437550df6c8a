"""Blocking works both ways on every path that brings two people together (paid questions, free
messages, replies, live readings, bookings, the queue, joining a booked reading), and making a
block releases everything reserved between them."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from readers.models import Notification
from readings import blocks, bookings, messaging, presence, services
from readings.errors import Blocked, MessagingError, ReadingError
from readings.models import Booking, MessageRequest, QueueEntry, ReadingSession
from readings.tests.factories import (
    active_session,
    make_booking,
    make_client,
    make_reader,
    move_booking,
    open_all_week,
    tomorrow_at,
)
from wallet.selectors import wallet_summary

pytestmark = pytest.mark.django_db

PRICE = 2_000


@pytest.fixture
def page():
    reader_page = make_reader()
    open_all_week(reader_page.user)
    return reader_page


@pytest.fixture
def reader(page):
    return page.user


@pytest.fixture
def offer(reader):
    return messaging.save_offer(reader, title="24-hour reading", price_cents=PRICE, reply_hours=24)


@pytest.fixture
def client():
    return make_client(balance=50_000)


@pytest.fixture(params=["client blocks", "reader blocks"])
def blocked_pair(request, client, reader):
    """``(client, reader)`` after one of them blocked the other."""
    if request.param == "client blocks":
        messaging.block(client, reader)
    else:
        messaging.block(reader, client)
    return client, reader


def ask(client, reader, offer, body="Will I find love?"):
    return messaging.ask(client, reader, offer, body, idempotency_key=str(uuid.uuid4()))


def test_blocks_work_both_ways_and_say_who_blocked(client, reader):
    messaging.block(reader, client)

    assert blocks.is_blocked(client, reader) and blocks.is_blocked(reader, client)
    with pytest.raises(Blocked, match="not taking messages"):
        blocks.check_not_blocked(client, reader)
    with pytest.raises(Blocked, match="You blocked this person"):
        blocks.check_not_blocked(reader, client)
    assert blocks.blocked_ids(client) == {reader.pk}


def test_asking_is_refused_when_blocked_and_nothing_is_charged(blocked_pair, offer):
    client, reader = blocked_pair
    with pytest.raises(Blocked):
        ask(client, reader, offer)
    assert wallet_summary(client).reserved == 0
    assert not MessageRequest.objects.exists()


def test_messaging_a_reader_who_blocked_you_says_so(client, reader, offer):
    messaging.block(reader, client)
    with pytest.raises(Blocked, match="not taking messages, readings or bookings from you"):
        ask(client, reader, offer)


def test_free_messages_are_refused_both_ways_when_blocked(client, reader, offer):
    request = ask(client, reader, offer)
    messaging.reply(reader, request, "Yes.")
    messaging.block(client, reader)

    with pytest.raises(Blocked):
        messaging.send(client, request.thread, "Thanks")
    with pytest.raises(Blocked):
        messaging.send(reader, request.thread, "You're welcome")


def test_replying_is_refused_once_blocked(client, reader, offer):
    request = ask(client, reader, offer)
    messaging.block(client, reader)

    with pytest.raises(Blocked):
        messaging.reply(reader, request, "Yes.")
    assert wallet_summary(reader).earnings == 0


def test_starting_a_live_reading_is_refused_when_blocked(blocked_pair, page):
    client, _reader = blocked_pair
    with pytest.raises(Blocked):
        services.request_reading(client, page, "chat")
    assert not ReadingSession.objects.filter(client=client).exists()


def test_booking_is_refused_when_blocked_with_no_hold(blocked_pair, page):
    client, _reader = blocked_pair
    with pytest.raises(Blocked):
        bookings.book(client, page, channel="chat", starts_at=tomorrow_at(10), length_minutes=30)
    assert not Booking.objects.exists()
    assert wallet_summary(client).reserved == 0


def test_joining_the_readers_queue_is_refused_when_blocked(client, page):
    active_session(make_client(balance=10_000), page)  # the reader is busy
    messaging.block(page.user, client)

    with pytest.raises(Blocked):
        presence.join_queue(client, page)
    assert not QueueEntry.objects.filter(client=client).exists()


def test_joining_a_booked_reading_is_refused_once_blocked(client, page):
    booking = make_booking(client, page)
    move_booking(booking, timezone.now() + timedelta(minutes=2))
    messaging.block(client, page.user)

    for who in (client, page.user):
        with pytest.raises(Blocked):
            bookings.join(booking, who)


def test_the_blocked_error_is_a_reading_error_the_views_already_show():
    assert issubclass(Blocked, MessagingError) and issubclass(Blocked, ReadingError)


def test_unblocking_lifts_only_your_own_block(client, reader, offer):
    messaging.block(client, reader)
    messaging.block(reader, client)

    assert messaging.unblock(client, reader)
    assert blocks.is_blocked(client, reader)
    assert messaging.unblock(reader, client)
    assert not messaging.unblock(reader, client)
    ask(client, reader, offer)  # allowed again


def test_blocking_twice_is_one_block(client, reader):
    first = messaging.block(client, reader)
    assert messaging.block(client, reader).pk == first.pk
    with pytest.raises(MessagingError, match="yourself"):
        messaging.block(client, client)


# What a block releases ---------------------------------------------------------------------------


@pytest.mark.parametrize("blocker", ["client", "reader"])
def test_a_block_releases_a_waiting_question_and_tells_the_client(client, reader, offer, blocker):
    request = ask(client, reader, offer)
    assert wallet_summary(client).reserved == PRICE

    if blocker == "client":
        messaging.block(client, reader)
    else:
        messaging.block(reader, client)

    request.refresh_from_db()
    assert request.state == "cancelled"
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (50_000, 0)
    assert wallet_summary(reader).earnings == 0
    assert Notification.objects.filter(
        user=client, kind="message", title__contains="cancelled"
    ).exists()


def test_a_block_cancels_bookings_with_a_full_refund_even_inside_the_late_window(client, page):
    pending = make_booking(client, page, accept=False, starts_at=tomorrow_at(9))
    accepted = make_booking(client, page, starts_at=tomorrow_at(14))
    # Three hours away: a client cancelling now would pay the late-cancellation fee.
    move_booking(accepted, timezone.now() + timedelta(hours=3))
    assert bookings.cancellation_terms(accepted)["charge_cents"] > 0

    messaging.block(client, page.user)

    for booking in (pending, accepted):
        booking.refresh_from_db()
        assert booking.state == "cancelled" and booking.charged_cents == 0
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (50_000, 0)
    assert wallet_summary(page.user).earnings == 0
    assert (
        Notification.objects.filter(user=page.user, kind="booking")
        .filter(title__startswith="Booking cancelled")
        .count()
        == 2
    )


def test_a_block_takes_the_client_out_of_the_readers_queue(client, page):
    active_session(make_client(balance=10_000), page)
    entry = presence.join_queue(client, page)

    messaging.block(client, page.user)

    entry.refresh_from_db()
    assert entry.state == QueueEntry.State.LEFT


def test_a_block_cancels_an_open_reading_request(client, page):
    session = services.request_reading(client, page, "chat")

    messaging.block(page.user, client)

    session.refresh_from_db()
    assert session.state == ReadingSession.State.CANCELLED
    assert wallet_summary(client).balance == 50_000


def test_a_block_ends_a_live_reading_between_them(client, page):
    session = active_session(client, page)

    messaging.block(client, page.user)

    session.refresh_from_db()
    assert session.state == ReadingSession.State.ENDED
    assert session.end_reason == ReadingSession.EndReason.CLIENT


def test_a_block_leaves_other_peoples_reservations_alone(client, reader, offer):
    other = make_client(balance=5_000)
    theirs = ask(other, reader, offer)

    messaging.block(client, reader)

    theirs.refresh_from_db()
    assert theirs.state == "awaiting"
    assert wallet_summary(other).reserved == PRICE
