"""Booking pages: calendar, confirm, booking detail, My bookings (readings.booking_views)."""

import re
import uuid
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from readers import availability
from readings import bookings
from readings.models import Booking
from readings.tests.factories import make_client, make_reader
from wallet.models import Hold
from wallet.selectors import wallet_summary
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db


def open_every_day(reader_user, start=time(0), end=time(23, 45)):
    availability.set_weekly_availability(reader_user, [(day, start, end) for day in range(7)])


def slot_in(days, hour=12, minute=0):
    """A UTC slot start ``days`` from today at ``hour:minute`` (always past the minimum notice)."""
    day = timezone.now().astimezone(UTC).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def an_hour_ago_on_the_hour():
    return (timezone.now() - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def reader_page():
    page = make_reader(chat=300)
    open_every_day(page.user)
    return page


@pytest.fixture
def client_user():
    return make_client(balance=50_000)


def logged_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def make_booking(client_user, page, *, days=3, hour=12, length=30):
    return bookings.book(
        client_user, page, channel="chat", starts_at=slot_in(days, hour), length_minutes=length
    )


def calendar_url(page, **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("readings:book", args=[page.pk]) + (f"?{query}" if query else "")


# The calendar -----------------------------------------------------------------------------------


def test_anonymous_calendar_lists_free_slots_in_utc_and_says_so(
    client, reader_page, django_assert_max_num_queries
):
    target = slot_in(3, 12)
    url = calendar_url(reader_page, week=target.date(), day=target.date())
    # Warm the site root paths Wagtail caches (cold only for the first request after a cache
    # clear; whether an earlier test left them depended on test order).
    client.get(url)
    # Measured 5, whatever the number of slots and bookings.
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Times in <strong" in html and "UTC" in html
    assert f"starts_at={target.isoformat().replace('+', '%2B').replace(':', '%3A')}" in html
    assert ">12:00</a>" in html
    assert "$90.00" in html  # 30 min (the default length) x $3.00


def test_anonymous_visitor_sees_slots_in_the_zone_named_by_tz(client, reader_page):
    target = slot_in(3, 12)
    zone = zoneinfo.ZoneInfo("Asia/Tokyo")  # no DST: always UTC+9
    local_day = target.astimezone(zone).date()
    response = client.get(calendar_url(reader_page, tz="Asia/Tokyo", day=local_day, week=local_day))
    html = response.content.decode()
    assert "your browser&#x27;s time zone" in html or "your browser's time zone" in html
    assert "Asia/Tokyo" in html
    assert ">21:00</a>" in html  # 12:00 UTC


def test_signed_in_client_sees_slots_in_their_profile_zone(reader_page):
    user = make_client()
    user.timezone = "America/New_York"
    user.save(update_fields=["timezone"])
    target = slot_in(4, 15)
    local = target.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    response = logged_in(user).get(calendar_url(reader_page, week=local.date(), day=local.date()))
    html = response.content.decode()
    assert "America/New York" in html
    assert f">{local:%H:%M}</a>" in html


def test_calendar_htmx_request_returns_only_the_fragment_with_the_live_price(
    client, reader_page, django_assert_max_num_queries
):
    with django_assert_max_num_queries(5):  # measured 4
        response = client.get(
            calendar_url(reader_page, channel="chat", length=45), HTTP_HX_REQUEST="true"
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="booking-calendar"' in html
    assert "$135.00" in html  # 45 x $3.00


def test_calendar_falls_back_to_defaults_for_bad_parameters(client, reader_page):
    response = client.get(calendar_url(reader_page, length=7, channel="smoke", week="nope"))
    assert response.status_code == 200
    assert response.context["length"] == 30 and response.context["channel"] == "chat"


def test_calendar_never_shows_a_week_before_this_one(client, reader_page):
    response = client.get(calendar_url(reader_page, week="2001-01-01"))
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo("UTC"))
    assert response.context["week"] == today - timedelta(days=today.weekday())
    assert response.context["prev_week"] is None


def test_booked_time_is_not_offered_again(client, reader_page, client_user):
    booking = make_booking(client_user, reader_page, days=3, hour=12, length=60)
    day = booking.starts_at.date()
    response = client.get(calendar_url(reader_page, week=day, day=day, length=30))
    slots = [s.astimezone(UTC) for s in response.context["selected_slots"]]
    assert booking.starts_at not in slots
    assert booking.starts_at + timedelta(minutes=30) not in slots
    assert booking.ends_at in slots


def test_calendar_of_an_unknown_page_is_404(client):
    assert client.get("/readings/book/999999/").status_code == 404


def test_a_dst_week_is_cut_at_local_midnights_and_slots_grouped_by_local_day():
    from readings.booking_views import group_by_local_day, week_range_utc

    new_york = zoneinfo.ZoneInfo("America/New_York")
    # US clocks go forward on Sunday 14 March 2027 (02:00 -> 03:00): that day has 23 hours.
    days = [date(2027, 3, 8) + timedelta(days=n) for n in range(7)]
    start, end = week_range_utc(days, new_york)
    assert start == datetime(2027, 3, 8, 5, tzinfo=UTC)  # EST, UTC-5
    assert end == datetime(2027, 3, 15, 4, tzinfo=UTC)  # EDT, UTC-4
    assert end - start == timedelta(days=7, hours=-1)
    slots = [
        datetime(2027, 3, 14, 4, 30, tzinfo=UTC),  # 23:30 on the 13th (EST)
        datetime(2027, 3, 14, 7, 0, tzinfo=UTC),  # 03:00 EDT on the 14th (02:xx never happens)
        datetime(2027, 3, 15, 3, 45, tzinfo=UTC),  # 23:45 EDT, still the 14th
    ]
    grouped = group_by_local_day(slots, days, new_york)
    assert [f"{s:%H:%M}" for s in grouped[date(2027, 3, 13)]] == ["23:30"]
    assert [f"{s:%H:%M}" for s in grouped[date(2027, 3, 14)]] == ["03:00", "23:45"]


# Confirming -------------------------------------------------------------------------------------


def confirm_url(page, starts_at, *, channel="chat", length=30):
    return reverse("readings:book_confirm", args=[page.pk]) + (
        f"?starts_at={starts_at.isoformat().replace('+', '%2B')}&channel={channel}&length={length}"
    )


def test_confirm_page_needs_an_account(client, reader_page):
    response = client.get(confirm_url(reader_page, slot_in(3)))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_confirm_page_shows_price_terms_and_balance(reader_page, client_user):
    starts = slot_in(5, 10)
    response = logged_in(client_user).get(confirm_url(reader_page, starts, length=60))
    html = response.content.decode()
    assert response.status_code == 200
    assert "$180.00" in html  # 60 x $3.00
    assert "Free cancellation until" in html
    assert "$90.00" in html  # the 50 % late fee
    assert "$500.00" in html  # balance
    assert 'data-testid="topup-link"' not in html


def test_confirm_page_offers_a_top_up_when_the_balance_is_short(reader_page):
    poor = make_client(balance=1_000)
    response = logged_in(poor).get(confirm_url(reader_page, slot_in(5), length=60))
    html = response.content.decode()
    assert 'data-testid="topup-link"' in html
    assert "You need $170.00 more" in html
    assert 'disabled data-testid="confirm-booking"' in html


def test_confirm_page_says_when_the_slot_was_taken_meanwhile(reader_page, client_user):
    taken = make_booking(make_client(balance=50_000), reader_page, days=4)
    response = logged_in(client_user).get(confirm_url(reader_page, taken.starts_at))
    html = response.content.decode()
    assert "That time is no longer free" in html
    assert 'disabled data-testid="confirm-booking"' in html


def test_posting_the_confirm_form_books_reserves_and_redirects(reader_page, client_user):
    starts = slot_in(4, 9)
    browser = logged_in(client_user)
    response = browser.post(
        reverse("readings:book_confirm", args=[reader_page.pk]),
        {"starts_at": starts.isoformat(), "channel": "chat", "length": 30},
    )
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("readings:booking", args=[booking.public_id])
    assert booking.starts_at == starts and booking.state == "pending"
    assert booking.hold.status == Hold.Status.PENDING and booking.hold.amount == 9_000
    assert wallet_summary(client_user).reserved == 9_000


def test_a_slot_in_the_past_is_refused_with_a_message_and_nothing_saved(reader_page, client_user):
    browser = logged_in(client_user)
    response = browser.post(
        reverse("readings:book_confirm", args=[reader_page.pk]),
        # Within the form's range (a day back) at any hour of the run, so ``book`` decides.
        {"starts_at": an_hour_ago_on_the_hour().isoformat(), "channel": "chat", "length": 30},
    )
    assert response.status_code == 409
    assert 'data-testid="booking-error"' in response.content.decode()
    assert not Booking.objects.exists() and not Hold.objects.exists()


def test_a_malformed_confirm_form_is_refused_and_nothing_saved(reader_page, client_user):
    response = logged_in(client_user).post(
        reverse("readings:book_confirm", args=[reader_page.pk]),
        {"starts_at": "tomorrow-ish", "channel": "chat", "length": 25},
    )
    assert response.status_code == 400
    assert "Pick a slot from the calendar" in response.content.decode()
    assert not Booking.objects.exists()


def test_booking_posts_are_rate_limited_per_user(reader_page, settings):
    settings.RATELIMIT_CACHE_PREFIX = f"test-book-{uuid.uuid4().hex}"
    browser = logged_in(make_client(balance=1_000))
    url = reverse("readings:book_confirm", args=[reader_page.pk])
    statuses = [browser.post(url, {"starts_at": "x", "length": 30}).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
    assert not Booking.objects.exists()


def test_booking_post_without_a_csrf_token_is_refused(reader_page, client_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(client_user)
    response = browser.post(
        reverse("readings:book_confirm", args=[reader_page.pk]),
        {"starts_at": slot_in(4).isoformat(), "channel": "chat", "length": 30},
    )
    assert response.status_code == 403
    assert not Booking.objects.exists()


# One booking ------------------------------------------------------------------------------------


def test_both_parties_see_the_booking_in_their_own_zone(reader_page, client_user):
    client_user.timezone = "Asia/Tokyo"
    client_user.save(update_fields=["timezone"])
    booking = make_booking(client_user, reader_page, hour=12)
    url = reverse("readings:booking", args=[booking.public_id])
    client_html = logged_in(client_user).get(url).content.decode()
    reader_html = logged_in(reader_page.user).get(url).content.decode()
    assert "21:00–21:30" in client_html and "Asia/Tokyo" in client_html
    assert "12:00–12:30" in reader_html and "Accept" in reader_html
    assert "$90.00 reserved" in client_html


def test_another_users_booking_is_404(reader_page, client_user):
    booking = make_booking(client_user, reader_page)
    stranger = make_client()
    other_reader = make_reader().user
    for user in (stranger, other_reader):
        browser = logged_in(user)
        assert browser.get(reverse("readings:booking", args=[booking.public_id])).status_code == 404
        assert (
            browser.post(reverse("readings:booking_cancel", args=[booking.public_id])).status_code
            == 404
        )
    response = logged_in(other_reader).post(
        reverse("readings:booking_accept", args=[booking.public_id])
    )
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.state == "pending"


def test_only_a_reader_can_accept_and_the_client_gets_403(reader_page, client_user):
    booking = make_booking(client_user, reader_page)
    response = logged_in(client_user).post(
        reverse("readings:booking_accept", args=[booking.public_id])
    )
    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.state == "pending"


def test_reader_accepts_then_declining_is_refused_with_a_message(reader_page, client_user):
    booking = make_booking(client_user, reader_page)
    browser = logged_in(reader_page.user)
    response = browser.post(reverse("readings:booking_accept", args=[booking.public_id]))
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.state == "accepted"
    page = browser.get(reverse("readings:booking", args=[booking.public_id])).content.decode()
    assert "The Join button appears here" in page


def test_reader_declines_and_the_hold_is_released(reader_page, client_user):
    booking = make_booking(client_user, reader_page)
    logged_in(reader_page.user).post(
        reverse("readings:booking_decline", args=[booking.public_id]), {"reason": "Away"}
    )
    booking.refresh_from_db()
    assert booking.state == "declined" and booking.hold.status == Hold.Status.VOIDED
    assert wallet_summary(client_user).reserved == 0


def test_client_sees_free_cancellation_and_cancels(reader_page, client_user):
    booking = make_booking(client_user, reader_page, days=5)
    browser = logged_in(client_user)
    url = reverse("readings:booking", args=[booking.public_id])
    assert "Cancelling now is <strong>free</strong>" in browser.get(url).content.decode()
    browser.post(reverse("readings:booking_cancel", args=[booking.public_id]))
    booking.refresh_from_db()
    assert booking.state == "cancelled"
    assert wallet_summary(client_user).balance == 50_000


def test_late_cancellation_shows_the_exact_fee(reader_page, client_user):
    booking = make_booking(client_user, reader_page, days=3)
    bookings.accept(booking, reader_page.user)
    # Move the booking within the late window (less than 24 h ahead).
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=timezone.now() + timedelta(hours=5),
        ends_at=timezone.now() + timedelta(hours=5, minutes=30),
    )
    html = (
        logged_in(client_user)
        .get(reverse("readings:booking", args=[booking.public_id]))
        .content.decode()
    )
    assert "cancelling now costs <strong>$45.00</strong>" in html
    assert "Cancel and pay $45.00" in html


def test_a_pending_booking_less_than_a_day_away_says_confirming_ends_free_cancellation(
    reader_page, client_user
):
    booking = make_booking(client_user, reader_page, days=3)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=timezone.now() + timedelta(hours=5),
        ends_at=timezone.now() + timedelta(hours=5, minutes=30),
    )
    html = (
        logged_in(client_user)
        .get(reverse("readings:booking", args=[booking.public_id]))
        .content.decode()
    )
    terms = re.search(r'data-testid="cancel-terms">(.*?)</p>', html, re.S).group(1)

    assert "stays free until" not in terms
    assert "Cancelling now is <strong>free</strong>" in terms
    assert "Once" in terms and "confirms, cancelling costs <strong>$45.00</strong>" in terms
    assert "less than 24 hours to the start" in terms


def test_a_pending_booking_more_than_a_day_away_says_until_when_it_stays_free(
    reader_page, client_user
):
    booking = make_booking(client_user, reader_page, days=5)
    html = (
        logged_in(client_user)
        .get(reverse("readings:booking", args=[booking.public_id]))
        .content.decode()
    )
    terms = re.search(r'data-testid="cancel-terms">(.*?)</p>', html, re.S).group(1)

    assert "confirms, it stays free until" in terms


def test_join_button_appears_when_the_booking_opens_and_leads_to_the_room(reader_page, client_user):
    booking = make_booking(client_user, reader_page)
    bookings.accept(booking, reader_page.user)
    panel_url = reverse("readings:booking_join_panel", args=[booking.public_id])
    browser = logged_in(client_user)
    far = browser.get(panel_url).content.decode()
    assert 'data-testid="join-booking"' not in far and 'hx-trigger="every 300s"' in far

    soon = timezone.now() + timedelta(minutes=2)
    Booking.objects.filter(pk=booking.pk).update(
        starts_at=soon, ends_at=soon + timedelta(minutes=30)
    )
    panel = browser.get(panel_url).content.decode()
    assert 'data-testid="join-booking"' in panel and 'hx-trigger="every 15s"' in panel
    response = browser.post(reverse("readings:booking_join", args=[booking.public_id]))
    booking.refresh_from_db()
    assert booking.session is not None
    assert response["Location"] == reverse("readings:session", args=[booking.session.public_id])


def test_joining_too_early_shows_the_services_message(reader_page, client_user):
    booking = make_booking(client_user, reader_page)
    bookings.accept(booking, reader_page.user)
    browser = logged_in(client_user)
    response = browser.post(reverse("readings:booking_join", args=[booking.public_id]), follow=True)
    assert "You can join from" in response.content.decode()
    booking.refresh_from_db()
    assert booking.session is None


# My bookings ------------------------------------------------------------------------------------


def test_my_bookings_needs_an_account(client):
    response = client.get(reverse("readings:bookings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_client_list_shows_upcoming_and_past_in_constant_queries(
    reader_page, client_user, django_assert_max_num_queries
):
    first = make_booking(client_user, reader_page, days=2)
    browser = logged_in(client_user)
    with django_assert_max_num_queries(8):  # measured 7, whatever the number of bookings
        browser.get(reverse("readings:bookings"))
    fund_wallet(client_user, 50_000)
    for day in range(3, 8):
        make_booking(client_user, reader_page, days=day)
    bookings.cancel(first, client_user)
    with django_assert_max_num_queries(8) as captured:
        response = browser.get(reverse("readings:bookings"))
    html = response.content.decode()
    assert len(response.context["client_upcoming"]) == 5
    assert [b.pk for b in response.context["client_past"]] == [first.pk]
    assert html.count('data-testid="booking-row"') == 6
    assert len(captured) <= 8


def test_reader_list_separates_requests_from_confirmed(
    reader_page, client_user, django_assert_max_num_queries
):
    pending = make_booking(client_user, reader_page, days=2)
    confirmed = make_booking(client_user, reader_page, days=3)
    bookings.accept(confirmed, reader_page.user)
    browser = logged_in(reader_page.user)
    with django_assert_max_num_queries(11):  # measured 10
        response = browser.get(reverse("readings:bookings"))
    assert [b.pk for b in response.context["requests"]] == [pending.pk]
    assert [b.pk for b in response.context["reader_upcoming"]] == [confirmed.pk]
    assert 'data-testid="reader-requests"' in response.content.decode()


def test_staff_without_bookings_sees_an_empty_state(client):
    staff = UserFactory(staff=True)
    html = logged_in(staff).get(reverse("readings:bookings")).content.decode()
    assert "No bookings yet" in html


def test_reader_page_links_to_the_booking_calendar(reader_page):
    from django.template.loader import render_to_string

    html = render_to_string(
        "readings/bookings/_cta.html", {"page": reader_page, "user": make_client()}
    )
    assert reverse("readings:book", args=[reader_page.pk]) in html
    assert "Book a reading" in html


def test_desk_summary_shows_requests_and_the_next_booking(reader_page, client_user):
    make_booking(client_user, reader_page, days=2)
    confirmed = make_booking(client_user, reader_page, days=3)
    bookings.accept(confirmed, reader_page.user)
    url = reverse("readings:reader_bookings_summary")
    html = logged_in(reader_page.user).get(url).content.decode()
    assert "1 request to answer" in html
    assert reverse("readings:booking", args=[confirmed.public_id]) in html
    assert logged_in(client_user).get(url).status_code == 403
    desk = logged_in(reader_page.user).get(reverse("readings:reader_desk")).content.decode()
    assert url in desk


@pytest.mark.parametrize(
    "starts_at",
    [
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
        "0001-01-01T00:00:00+00:00",
        "2000-01-01T12:00:00+00:00",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_instant_outside_the_bookable_window_is_refused_with_a_clear_message(
    reader_page, client_user, starts_at, method
):
    url = reverse("readings:book_confirm", args=[reader_page.pk])
    data = {"starts_at": starts_at, "channel": "chat", "length": 30}
    response = getattr(logged_in(client_user), method)(url, data)

    assert response.status_code == 400
    assert "Pick a slot from the calendar" in response.content.decode()
    assert not Booking.objects.exists()


def test_the_last_bookable_day_can_still_be_confirmed(reader_page, client_user, settings):
    last = slot_in(settings.BOOKING_MAX_DAYS_AHEAD - 1)
    response = logged_in(client_user).get(confirm_url(reader_page, last))

    assert response.status_code == 200
