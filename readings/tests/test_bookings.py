"""Bookings: a slot and length -> a wallet hold for the full price -> accepted -> both join ->
a reading paid from the hold; cancellation, no-show and settlement amounts; no double booking."""

import threading
from datetime import time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from readers.models import Notification
from readings import billing, bookings, services
from readings.errors import BookingError, SlotTaken
from readings.models import BilledMinute, Booking, ReadingSession
from readings.selectors import bookings_for_client, bookings_for_reader
from readings.tests.factories import (
    make_booking,
    make_client,
    make_reader,
    move_booking,
    open_all_week,
    tomorrow_at,
)
from wallet import services as wallet
from wallet.models import Hold, LedgerAccount, Transfer

PRICE = 300 * 30  # chat at $3.00/min for 30 minutes


def balance(user):
    return wallet.wallet_of(user).balance


def earnings(user):
    return wallet.earnings_of(user).balance


def platform():
    return wallet.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE).balance


def assert_ledger_balanced():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT transfer_id FROM wallet_entry GROUP BY transfer_id "
            "HAVING sum(amount) <> 0) AS unbalanced"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM wallet_ledgeraccount a WHERE balance <> "
            "(SELECT COALESCE(sum(amount), 0) FROM wallet_entry e WHERE e.account_id = a.id)"
        )
        assert cursor.fetchone()[0] == 0


def kinds_for(user):
    return list(
        Notification.objects.filter(user=user, kind="booking")
        .order_by("created_at", "id")
        .values_list("title", flat=True)
    )


@pytest.fixture
def rpage(db):
    reader_page = make_reader(presence="offline", chat=300, voice=400, video=500)
    open_all_week(reader_page.user)
    return reader_page


def starting_now(booking, minutes_from_now=2):
    """The booking starts in ``minutes_from_now`` minutes (its join window is open)."""
    return move_booking(booking, timezone.now() + timedelta(minutes=minutes_from_now))


def both_join(booking):
    bookings.join(booking, booking.client)
    session = bookings.join(booking, booking.reader)
    booking.refresh_from_db()
    session.refresh_from_db()
    return session


def shift_session_back(session, booking, seconds):
    """Pretend the reading started ``seconds`` earlier (with its booking's times)."""
    gap = timedelta(seconds=seconds)
    ReadingSession.objects.filter(pk=session.pk).update(started_at=session.started_at - gap)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=booking.starts_at - gap, ends_at=booking.ends_at - gap
    )
    session.refresh_from_db()
    booking.refresh_from_db()


# Booking ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_booking_holds_the_full_price_and_asks_the_reader(
    rpage, mailoutbox, django_capture_on_commit_callbacks
):
    client = make_client(balance=20_000)
    starts_at = tomorrow_at(10)

    with django_capture_on_commit_callbacks(execute=True):
        booking = bookings.book(
            client, rpage, channel="chat", starts_at=starts_at, length_minutes=30
        )

    assert booking.state == "pending"
    assert (booking.starts_at, booking.ends_at) == (starts_at, starts_at + timedelta(minutes=30))
    assert (booking.rate_cents, booking.price_cents, booking.reader_share_percent) == (
        300,
        PRICE,
        70,
    )
    assert booking.hold.amount == PRICE and booking.hold.status == "pending"
    assert balance(client) == 20_000 - PRICE
    assert Transfer.objects.get(idempotency_key=f"booking:{booking.public_id}:hold")
    assert kinds_for(rpage.user)[0].startswith("Booking request:")
    assert [m.to for m in mailoutbox] == [[rpage.user.email]]
    assert bookings.quote(rpage, "voice", 45) == 400 * 45


@pytest.mark.django_db
def test_auto_accept_confirms_at_once_and_tells_the_client(rpage):
    type(rpage).objects.filter(pk=rpage.pk).update(auto_accept_bookings=True)
    rpage.refresh_from_db()
    client = make_client(balance=20_000)

    booking = bookings.book(
        client, rpage, channel="video", starts_at=tomorrow_at(11), length_minutes=15
    )

    assert booking.state == "accepted" and booking.decided_at is not None
    assert booking.price_cents == 500 * 15
    assert kinds_for(client)[0].startswith("Booking confirmed:")
    assert kinds_for(rpage.user)[0].startswith("New booking:")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, message",
    [
        ({"length_minutes": 20}, "Choose a length of 15, 30, 45, 60 minutes"),
        ({"channel": "phone"}, "Choose chat, voice or video"),
        ({"starts_at": "past"}, "already passed"),
        ({"starts_at": "soon"}, "at least 2 hours from now"),
        ({"starts_at": "odd"}, "not available"),
        ({"starts_at": "naive"}, "Choose a time"),
    ],
)
def test_bad_requests_are_refused_with_nothing_saved(rpage, change, message):
    client = make_client(balance=20_000)
    kwargs = {"channel": "chat", "starts_at": tomorrow_at(10), "length_minutes": 30, **change}
    now = timezone.now()
    kwargs["starts_at"] = {
        "past": now - timedelta(hours=1),
        "soon": now + timedelta(minutes=30),
        "odd": tomorrow_at(10, 7),  # not on the 15-minute grid
        "naive": tomorrow_at(10).replace(tzinfo=None),
    }.get(kwargs["starts_at"], kwargs["starts_at"])

    with pytest.raises(BookingError, match=message):
        bookings.book(client, rpage, **kwargs)

    assert not Booking.objects.exists() and not Hold.objects.exists()
    assert balance(client) == 20_000


@pytest.mark.django_db
def test_outside_the_readers_hours_a_channel_not_offered_and_own_page_are_refused():
    rpage = make_reader(presence="offline")
    open_all_week(rpage.user, start=time(9))
    type(rpage).objects.filter(pk=rpage.pk).update(offers_voice=False)
    rpage.refresh_from_db()
    client = make_client(balance=20_000)

    with pytest.raises(BookingError, match="not available"):
        bookings.book(client, rpage, channel="chat", starts_at=tomorrow_at(7), length_minutes=30)
    with pytest.raises(BookingError, match="does not offer voice"):
        bookings.book(client, rpage, channel="voice", starts_at=tomorrow_at(10), length_minutes=30)
    with pytest.raises(BookingError, match="with yourself"):
        bookings.book(
            rpage.user, rpage, channel="chat", starts_at=tomorrow_at(10), length_minutes=30
        )
    assert not Booking.objects.exists() and not Hold.objects.exists()


@pytest.mark.django_db
def test_too_low_a_balance_is_refused_with_no_hold(rpage):
    client = make_client(balance=PRICE - 1)

    with pytest.raises(BookingError, match=r"costs \$90.00 and your wallet has \$89.99"):
        bookings.book(client, rpage, channel="chat", starts_at=tomorrow_at(10), length_minutes=30)

    assert not Booking.objects.exists() and not Hold.objects.exists()
    assert balance(client) == PRICE - 1


@pytest.mark.django_db
def test_a_spending_limit_refuses_the_booking(rpage):
    client = make_client(balance=20_000)
    wallet.set_spending_limits(client, daily=5_000)

    with pytest.raises(BookingError, match="spending limit"):
        bookings.book(client, rpage, channel="chat", starts_at=tomorrow_at(10), length_minutes=30)

    assert not Booking.objects.exists() and not Hold.objects.exists()
    assert balance(client) == 20_000


@pytest.mark.django_db
def test_a_taken_slot_and_a_client_double_booking_are_refused(rpage):
    first = make_booking(reader_page=rpage, starts_at=tomorrow_at(10), length=30)
    other_page = make_reader(presence="offline")
    open_all_week(other_page.user)
    late_client = make_client(balance=20_000)

    with pytest.raises(BookingError, match="not available"):
        bookings.book(
            late_client, rpage, channel="chat", starts_at=tomorrow_at(10, 15), length_minutes=30
        )
    with pytest.raises(BookingError, match="already have a booking at that time"):
        bookings.book(
            first.client,
            other_page,
            channel="chat",
            starts_at=tomorrow_at(10, 15),
            length_minutes=15,
        )
    # Right after the first booking ends is free.
    assert bookings.book(
        late_client, rpage, channel="chat", starts_at=tomorrow_at(10, 30), length_minutes=30
    )
    assert Hold.objects.count() == 2


@pytest.mark.django_db
def test_the_exclusion_constraint_itself_rejects_an_overlapping_insert(rpage):
    booking = make_booking(reader_page=rpage, starts_at=tomorrow_at(10), length=30)
    other = make_client()
    fields = {
        "client": other,
        "reader": rpage.user,
        "reader_page": rpage,
        "channel": "chat",
        "length_minutes": 30,
        "rate_cents": 300,
        "price_cents": PRICE,
    }

    with pytest.raises(IntegrityError, match="readings_booking_no_overlap"), transaction.atomic():
        Booking.objects.create(
            starts_at=booking.starts_at + timedelta(minutes=29),
            ends_at=booking.ends_at + timedelta(minutes=29),
            **fields,
        )
    # Touching ranges and slots of bookings that no longer hold them are fine.
    Booking.objects.create(
        starts_at=booking.ends_at, ends_at=booking.ends_at + timedelta(minutes=30), **fields
    )
    Booking.objects.create(
        starts_at=booking.starts_at, ends_at=booking.ends_at, state="cancelled", **fields
    )


# Two clients racing for one slot (real threads, own connections) -------------------------------


def run_together(*functions):
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # noqa: BLE001 — inspected by the test
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_clients_racing_for_one_slot_one_wins_and_the_loser_keeps_their_money():
    rpage = make_reader(presence="offline")
    open_all_week(rpage.user)
    for attempt in range(3):
        clients = [make_client(balance=20_000), make_client(balance=20_000)]
        starts_at = tomorrow_at(9 + attempt)

        results, errors = run_together(
            *[
                lambda client=client: bookings.book(
                    client, rpage, channel="chat", starts_at=starts_at, length_minutes=30
                )
                for client in clients
            ]
        )

        winners = [i for i, result in enumerate(results) if result is not None]
        assert len(winners) == 1, errors
        loser = 1 - winners[0]
        assert isinstance(errors[loser], BookingError)
        assert Booking.objects.filter(starts_at=starts_at).count() == 1
        assert Hold.objects.filter(wallet__owner__in=clients).count() == 1
        assert balance(clients[winners[0]]) == 20_000 - PRICE
        assert balance(clients[loser]) == 20_000
        assert not Transfer.objects.filter(
            kind="hold", entries__account__owner=clients[loser]
        ).exists()
    assert_ledger_balanced()


@pytest.mark.django_db(transaction=True)
def test_the_race_loser_is_told_the_time_was_just_taken(monkeypatch):
    """Both pass the free-slot check before either inserts: the constraint decides."""
    from readers import availability

    rpage = make_reader(presence="offline")
    open_all_week(rpage.user)
    clients = [make_client(balance=20_000), make_client(balance=20_000)]
    checked = threading.Barrier(2)
    real_is_bookable = availability.is_bookable

    def slow_is_bookable(*args, **kwargs):
        answer = real_is_bookable(*args, **kwargs)
        checked.wait(timeout=10)
        return answer

    monkeypatch.setattr(availability, "is_bookable", slow_is_bookable)
    starts_at = tomorrow_at(15)

    results, errors = run_together(
        *[
            lambda client=client: bookings.book(
                client, rpage, channel="chat", starts_at=starts_at, length_minutes=30
            )
            for client in clients
        ]
    )

    assert sum(result is not None for result in results) == 1
    loser_error = next(error for error in errors if error is not None)
    assert isinstance(loser_error, SlotTaken)
    assert "just booked by someone else" in str(loser_error)
    assert Hold.objects.count() == 1
    assert sorted(balance(c) for c in clients) == [20_000 - PRICE, 20_000]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_resolve_each_booking_exactly_once():
    rpage = make_reader(presence="offline")
    open_all_week(rpage.user)
    no_shows = [make_booking(reader_page=rpage, starts_at=tomorrow_at(h)) for h in (8, 9, 10)]
    unanswered = [
        make_booking(reader_page=rpage, starts_at=tomorrow_at(h), accept=False) for h in (11, 12)
    ]
    for index, booking in enumerate(no_shows):
        move_booking(booking, timezone.now() - timedelta(hours=3 + index))
    # Within the answer deadline (30 min), and one whose start has even passed.
    move_booking(unanswered[0], timezone.now() + timedelta(minutes=25))
    move_booking(unanswered[1], timezone.now() - timedelta(minutes=20))

    results, errors = run_together(bookings.sweep_bookings, bookings.sweep_bookings)

    assert errors == [None, None]
    assert sum(r["no_show_reader"] for r in results) == 3
    assert sum(r["expired"] for r in results) == 2
    assert Hold.objects.filter(status="voided").count() == 5
    assert Transfer.objects.filter(kind="hold_void").count() == 5
    assert services.missed_requests(rpage.user) == 5
    assert not any(bookings.sweep_bookings().values())
    assert_ledger_balanced()


# The reader's answer ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_accept_and_decline(rpage):
    accepted = make_booking(reader_page=rpage, starts_at=tomorrow_at(10), accept=False)
    declined = make_booking(reader_page=rpage, starts_at=tomorrow_at(12), accept=False)

    with pytest.raises(BookingError, match="Only the reader"):
        bookings.accept(accepted, accepted.client)
    bookings.accept(accepted, rpage.user)
    bookings.decline(declined, rpage.user, reason="Away that day")

    assert accepted.state == "accepted" and accepted.decided_at
    assert declined.state == "declined" and declined.cancel_reason == "Away that day"
    declined.hold.refresh_from_db()
    assert declined.hold.status == "voided"
    assert balance(declined.client) == 20_000
    assert kinds_for(accepted.client)[-1].startswith("Booking confirmed:")
    assert kinds_for(declined.client)[-1].startswith("Booking declined:")
    with pytest.raises(BookingError, match="already"):
        bookings.decline(accepted, rpage.user)


@pytest.mark.django_db
def test_accepting_after_the_answer_deadline_is_refused_and_the_sweep_expires_it(rpage):
    booking = make_booking(reader_page=rpage, accept=False)
    move_booking(booking, timezone.now() + timedelta(minutes=20))

    with pytest.raises(BookingError, match="too late"):
        bookings.accept(booking, rpage.user)
    counts = bookings.sweep_bookings()

    booking.refresh_from_db()
    assert counts["expired"] == 1 and booking.state == "expired"
    assert booking.hold.status == "voided" and balance(booking.client) == 20_000
    assert services.missed_requests(rpage.user) == 1
    assert kinds_for(booking.client)[-1].startswith("Booking not confirmed:")


# Cancelling -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_client_cancelling_well_ahead_pays_nothing(rpage):
    booking = make_booking(reader_page=rpage)
    move_booking(booking, timezone.now() + timedelta(days=3))

    terms = bookings.cancellation_terms(booking)
    bookings.cancel(booking, booking.client, reason="Plans changed")

    assert terms["free"] and terms["charge_cents"] == 0 and terms["refund_cents"] == PRICE
    assert terms["free_until"] == booking.starts_at - timedelta(hours=24)
    assert booking.state == "cancelled" and booking.cancelled_by == booking.client
    assert booking.hold.status == "voided" and booking.charged_cents == 0
    assert balance(booking.client) == 20_000
    assert kinds_for(rpage.user)[-1].startswith("Booking cancelled:")


@pytest.mark.django_db
def test_a_late_client_cancellation_charges_half_split_like_readings(rpage):
    booking = make_booking(reader_page=rpage)
    move_booking(booking, timezone.now() + timedelta(hours=3))
    reader_before, platform_before = earnings(rpage.user), platform()

    terms = bookings.cancellation_terms(booking)
    bookings.cancel(booking, booking.client)

    assert not terms["free"] and terms["charge_cents"] == PRICE // 2
    assert terms["refund_cents"] == PRICE - PRICE // 2
    booking.hold.refresh_from_db()
    assert booking.hold.status == "posted" and booking.hold.posted_amount == 4_500
    assert booking.charged_cents == 4_500
    assert balance(booking.client) == 20_000 - 4_500
    assert earnings(rpage.user) - reader_before == 4_500 * 70 // 100 == 3_150
    assert platform() - platform_before == 1_350
    assert_ledger_balanced()


@pytest.mark.django_db
def test_a_reader_cancelling_late_gives_the_client_everything_back(rpage):
    booking = make_booking(reader_page=rpage)
    move_booking(booking, timezone.now() + timedelta(hours=3))

    bookings.cancel(booking, rpage.user, reason="Ill")

    assert booking.state == "cancelled" and booking.charged_cents == 0
    assert balance(booking.client) == 20_000 and earnings(rpage.user) == 0
    assert kinds_for(booking.client)[-1].startswith("Booking cancelled:")


@pytest.mark.django_db
def test_a_pending_request_can_be_cancelled_free_even_late_and_strangers_cannot_cancel(rpage):
    booking = make_booking(reader_page=rpage, accept=False)
    move_booking(booking, timezone.now() + timedelta(hours=3))

    with pytest.raises(BookingError, match="not part of"):
        bookings.cancel(booking, make_client())
    assert bookings.cancellation_terms(booking)["free"]
    bookings.cancel(booking, booking.client)

    assert balance(booking.client) == 20_000


# Joining and the booked reading -----------------------------------------------------------------


@pytest.mark.django_db
def test_join_window_and_parties(rpage):
    booking = make_booking(reader_page=rpage)

    assert bookings.join_opens_at(booking) == booking.starts_at - timedelta(minutes=5)
    assert not bookings.can_join(booking, booking.client)
    with pytest.raises(BookingError, match="You can join from"):
        bookings.join(booking, booking.client)
    starting_now(booking, 4)
    assert bookings.can_join(booking, booking.client)
    assert bookings.can_join(booking, rpage.user)
    assert not bookings.can_join(booking, make_client())
    with pytest.raises(BookingError, match="not part of"):
        bookings.join(booking, make_client())


@pytest.mark.django_db
def test_both_join_the_reading_is_active_paid_from_the_hold_and_never_billed_per_minute(rpage):
    booking = starting_now(make_booking(reader_page=rpage))

    waiting = bookings.join(booking, booking.client)
    assert waiting.state == "accepted" and booking.client_joined_at is not None
    assert waiting.booking == booking
    session = bookings.join(booking, rpage.user)
    again = bookings.join(booking, booking.client)

    session.refresh_from_db()
    booking.refresh_from_db()
    assert session.pk == waiting.pk == again.pk
    assert session.state == "active" and session.next_minute_at is None
    assert session.free_minutes == 0 and session.rate_cents == 300
    assert booking.state == "in_progress" and booking.reader_joined_at is not None
    shift_session_back(session, booking, 600)
    assert billing.charge_due_minutes()["minutes"] == 0
    services.pause(session, booking.client)
    services.resume(session, booking.client)
    session.refresh_from_db()
    assert session.next_minute_at is None and session.billed_minutes == 0
    assert not BilledMinute.objects.exists()
    assert balance(booking.client) == 20_000 - PRICE  # only the hold so far


@pytest.mark.django_db
def test_the_room_starting_the_reading_puts_the_booking_in_progress(rpage):
    """The reading room starts a session when both are in it (``services.start``), even if one
    side came straight to the room instead of through ``join``. A wallet emptied by the hold does
    not stop a booked reading: it is already paid."""
    booking = starting_now(make_booking(reader_page=rpage, balance=PRICE))
    session = bookings.join(booking, booking.client)
    assert balance(booking.client) == 0

    services.start(session, rpage.user)

    booking.refresh_from_db()
    session.refresh_from_db()
    assert session.state == "active" and session.next_minute_at is None
    assert booking.state == "in_progress" and booking.reader_joined_at == session.started_at
    assert bookings.join(booking, rpage.user).pk == session.pk


@pytest.mark.django_db
def test_the_sweep_ends_the_reading_at_its_end_and_charges_the_full_price(rpage):
    booking = starting_now(make_booking(reader_page=rpage))
    session = both_join(booking)
    shift_session_back(session, booking, 33 * 60)  # ended a minute ago
    reader_before, platform_before = earnings(rpage.user), platform()

    counts = bookings.sweep_bookings()

    session.refresh_from_db()
    booking.refresh_from_db()
    assert counts["ended"] == 1
    assert session.state == "ended" and session.end_reason == "booked_time_over"
    assert booking.state == "completed" and booking.charged_cents == PRICE
    assert booking.hold.status == "posted" and booking.hold.posted_amount == PRICE
    assert (session.total_cents, session.paid_minutes, session.reader_earned_cents) == (
        PRICE,
        30,
        6_300,
    )
    assert earnings(rpage.user) - reader_before == 6_300
    assert platform() - platform_before == 2_700
    assert balance(booking.client) == 20_000 - PRICE
    assert bookings.sweep_bookings() == {
        "expired": 0,
        "no_show_reader": 0,
        "no_show_client": 0,
        "ended": 0,
    }
    assert_ledger_balanced()
    call_command("verify_ledger", stdout=StringIO())  # raises CommandError on any drift


@pytest.mark.django_db
def test_a_client_ending_early_pays_the_full_price(rpage):
    booking = starting_now(make_booking(reader_page=rpage))
    session = both_join(booking)
    shift_session_back(session, booking, 5 * 60)

    services.end(session, booking.client)

    booking.refresh_from_db()
    assert session.end_reason == "client" and session.total_cents == PRICE
    assert booking.state == "completed" and booking.charged_cents == PRICE
    assert balance(booking.client) == 20_000 - PRICE


@pytest.mark.django_db
def test_a_reader_ending_early_charges_only_the_minutes_started(rpage):
    booking = starting_now(make_booking(reader_page=rpage))
    session = both_join(booking)
    shift_session_back(session, booking, 5 * 60 + 30)  # minute 5 (the sixth) has started
    reader_before = earnings(rpage.user)

    services.end(session, rpage.user)

    booking.refresh_from_db()
    assert session.end_reason == "reader"
    assert booking.charged_cents == 6 * 300 == session.total_cents
    assert session.paid_minutes == session.billed_minutes == 6
    assert booking.hold.posted_amount == 1_800
    assert balance(booking.client) == 20_000 - 1_800
    assert earnings(rpage.user) - reader_before == 1_260
    assert_ledger_balanced()


@pytest.mark.django_db
def test_a_connection_lost_for_good_charges_the_minutes_served(rpage, settings):
    booking = starting_now(make_booking(reader_page=rpage))
    session = both_join(booking)
    shift_session_back(session, booking, 12 * 60 + 10)
    services.pause(session, rpage.user)  # 12:10 after the start; 10 minutes of it paused:
    ReadingSession.objects.filter(pk=session.pk).update(
        paused_at=session.paused_at - timedelta(minutes=10)
    )

    assert services.end_stale_paused() == 1

    booking.refresh_from_db()
    session.refresh_from_db()
    assert session.end_reason == "disconnected"
    assert booking.state == "completed" and booking.charged_cents == 3 * 300


# No-shows ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reader_who_never_joins_is_a_no_show_and_the_client_gets_everything_back(rpage):
    booking = starting_now(make_booking(reader_page=rpage))
    waiting = bookings.join(booking, booking.client)
    move_booking(booking, timezone.now() - timedelta(minutes=11))

    counts = bookings.sweep_bookings()

    booking.refresh_from_db()
    waiting.refresh_from_db()
    assert counts["no_show_reader"] == 1
    assert booking.state == "no_show_reader" and booking.hold.status == "voided"
    assert balance(booking.client) == 20_000
    assert waiting.state == "expired"
    assert services.missed_requests(rpage.user) == 1
    assert kinds_for(booking.client)[-1].endswith("did not join your reading")
    assert bookings.sweep_bookings()["no_show_reader"] == 0


@pytest.mark.django_db
def test_a_client_who_never_joins_pays_the_no_show_share(rpage):
    booking = starting_now(make_booking(reader_page=rpage))
    bookings.join(booking, rpage.user)
    move_booking(booking, timezone.now() - timedelta(minutes=11))
    reader_before = earnings(rpage.user)

    with pytest.raises(BookingError, match="time to join this booking is over"):
        bookings.join(booking, booking.client)
    counts = bookings.sweep_bookings()

    booking.refresh_from_db()
    assert counts["no_show_client"] == 1
    assert booking.state == "no_show_client" and booking.charged_cents == PRICE
    assert balance(booking.client) == 20_000 - PRICE
    assert earnings(rpage.user) - reader_before == PRICE * 70 // 100
    assert services.missed_requests(rpage.user) == 0
    assert kinds_for(rpage.user)[-1].endswith("did not join the reading")
    assert_ledger_balanced()


@pytest.mark.django_db
def test_nobody_joining_counts_as_the_readers_no_show(rpage):
    booking = make_booking(reader_page=rpage)
    move_booking(booking, timezone.now() - timedelta(minutes=10, seconds=1))

    assert bookings.sweep_bookings()["no_show_reader"] == 1
    assert balance(booking.client) == 20_000


@pytest.mark.django_db
def test_before_the_grace_is_over_nothing_happens(rpage):
    booking = make_booking(reader_page=rpage)
    move_booking(booking, timezone.now() - timedelta(minutes=9))

    assert not any(bookings.sweep_bookings().values())
    booking.refresh_from_db()
    assert booking.state == "accepted"


# Reads ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_selectors_list_each_sides_bookings_in_one_query(rpage, django_assert_num_queries):
    client = make_client(balance=50_000)
    for hour in (10, 11, 12):
        make_booking(client, rpage, starts_at=tomorrow_at(hour))
    past = make_booking(client, rpage, starts_at=tomorrow_at(13))
    bookings.cancel(past, client)
    other = make_client()

    with django_assert_num_queries(1):
        upcoming = [
            (b.reader.public_name, b.reader_page.title, b.hold.status)
            for b in bookings_for_client(client, upcoming=True)
        ]
    with django_assert_num_queries(1):
        rest = list(bookings_for_client(client, upcoming=False))

    assert len(upcoming) == 3 and [b.state for b in rest] == ["cancelled"]
    assert bookings_for_reader(rpage.user).count() == 4
    assert not bookings_for_client(other).exists()
    assert not bookings_for_reader(client).exists()


@pytest.mark.django_db
def test_the_beat_schedule_runs_the_sweep(settings):
    from readings import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["readings-sweep-bookings"]
    assert entry["task"] == "readings.tasks.sweep_bookings"
    assert tasks.sweep_bookings.run() == {
        "expired": 0,
        "no_show_reader": 0,
        "no_show_client": 0,
        "ended": 0,
    }


def test_a_booking_moves_only_along_its_transition_table():
    from readings.bookings import TRANSITIONS, can_transition

    State = Booking.State
    assert set(TRANSITIONS) == set(State.values)
    assert can_transition(State.PENDING, State.ACCEPTED)
    assert can_transition(State.IN_PROGRESS, State.COMPLETED)
    assert not can_transition(State.COMPLETED, State.CANCELLED)
    assert not can_transition(State.PENDING, State.IN_PROGRESS)
    for final in (State.COMPLETED, State.DECLINED, State.CANCELLED, State.EXPIRED):
        assert not TRANSITIONS[final]


def test_an_illegal_booking_move_is_refused_and_the_state_kept():
    from readings.bookings import _move
    from readings.errors import IllegalTransition

    booking = Booking(state=Booking.State.DECLINED)
    with pytest.raises(IllegalTransition):
        _move(booking, Booking.State.ACCEPTED)
    assert booking.state == Booking.State.DECLINED
