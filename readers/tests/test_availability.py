"""Reader availability: weekly windows and exceptions become free slots, in the reader's time
zone, correctly across daylight-saving changes; bad input is refused and nothing is saved."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import UserFactory
from readers import availability
from readers.models import AvailabilityException, AvailabilityRule
from readings.errors import BookingError

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def reader(zone="UTC"):
    return UserFactory(reader=True, timezone=zone)


def slots_on(user, day, length=60, step=None, zone=UTC, now=None):
    """Free slots on the local ``day`` of ``zone`` (``now`` well before, so notice never cuts)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = start + timedelta(days=1)
    return availability.free_slots(
        user,
        start=start,
        end=end,
        length_minutes=length,
        step_minutes=step,
        now=now or start - timedelta(days=7),
    )


def local_times(slots, zone):
    return [slot.astimezone(zone).strftime("%H:%M") for slot in slots]


# Weekly windows and exceptions ------------------------------------------------------------------


def test_a_weekly_window_gives_every_slot_that_fits_the_whole_length():
    user = reader()
    monday = date(2027, 3, 1)
    availability.set_weekly_availability(user, [(0, time(9), time(12))])

    slots = slots_on(user, monday, length=60)

    assert local_times(slots, UTC) == [
        "09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00",
    ]  # fmt: skip
    assert all(slot.tzinfo is not None and slot.utcoffset() == timedelta(0) for slot in slots)
    assert slots_on(user, monday + timedelta(days=1)) == []  # no window on Tuesday


def test_touching_windows_join_and_a_slot_may_span_them():
    user = reader()
    availability.set_weekly_availability(user, [(0, time(9), time(10)), (0, time(10), time(11))])

    assert local_times(slots_on(user, date(2027, 3, 1), length=120, step=60), UTC) == ["09:00"]


def test_exceptions_remove_and_add_hours():
    user = reader()
    monday = date(2099, 3, 2)
    monday -= timedelta(days=monday.weekday())
    availability.set_weekly_availability(
        user, [(0, time(9), time(12)), (1, time(9), time(12)), (2, time(9), time(12))]
    )
    now = datetime.combine(monday, time(0), tzinfo=UTC) - timedelta(days=3)
    availability.add_exception(
        user, date=monday, kind="off", start_time=time(10), end_time=time(11), note="dentist"
    )
    availability.add_exception(user, date=monday + timedelta(days=1), kind="off")
    availability.add_exception(
        user,
        date=monday + timedelta(days=2),
        kind="extra",
        start_time=time(18),
        end_time=time(19),
    )

    assert local_times(slots_on(user, monday, step=60, now=now), UTC) == ["09:00", "11:00"]
    assert slots_on(user, monday + timedelta(days=1), now=now) == []
    assert local_times(slots_on(user, monday + timedelta(days=2), step=60, now=now), UTC) == [
        "09:00",
        "10:00",
        "11:00",
        "18:00",
    ]


def test_an_extra_window_on_a_day_without_weekly_hours_is_bookable():
    user = reader()
    availability.add_exception(
        user, date=date(2099, 1, 3), kind="extra", start_time=time(8), end_time=time(9)
    )

    slots = slots_on(user, date(2099, 1, 3), length=30, step=30, now=utc(2099, 1, 1))

    assert local_times(slots, UTC) == ["08:00", "08:30"]


def test_past_slots_slots_inside_the_notice_and_booked_slots_are_not_offered(settings):
    from readings.tests.factories import make_booking, make_reader

    settings.BOOKING_MIN_NOTICE_MINUTES = 120
    page = make_reader(presence="offline")
    user = page.user
    availability.set_weekly_availability(user, [(d, time(0), time(23, 59)) for d in range(7)])
    now = datetime.now(UTC)
    start = now - timedelta(hours=5)

    slots = availability.free_slots(
        user, start=start, end=now + timedelta(hours=6), length_minutes=15
    )

    assert slots and min(slots) >= now + timedelta(hours=2)
    tomorrow = (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    make_booking(reader_page=page, starts_at=tomorrow, length=30)
    day = availability.free_slots(
        user,
        start=tomorrow - timedelta(hours=1),
        end=tomorrow + timedelta(hours=1),
        length_minutes=15,
    )
    assert [slot.strftime("%H:%M") for slot in day] == [
        "09:00", "09:15", "09:30", "09:45", "10:30", "10:45",
    ]  # fmt: skip
    assert not availability.is_bookable(user, tomorrow + timedelta(minutes=15), 15)


def test_an_end_of_2359_means_until_midnight():
    user = reader()
    availability.set_weekly_availability(user, [(0, time(22), time(23, 59))])

    assert local_times(slots_on(user, date(2027, 3, 1), length=60, step=60), UTC) == [
        "22:00",
        "23:00",
    ]


# Daylight-saving time ---------------------------------------------------------------------------
# 2027: the US springs forward on 14 March and falls back on 7 November; the UK changes on
# 28 March and 31 October. In between, New York and London are 4 hours apart instead of 5.


def test_a_morning_window_stays_at_nine_local_on_the_spring_change_day():
    user = reader("America/New_York")
    availability.set_weekly_availability(user, [(6, time(9), time(12))])  # Sundays

    before = slots_on(user, date(2027, 3, 7), step=60, zone=NEW_YORK)
    change_day = slots_on(user, date(2027, 3, 14), step=60, zone=NEW_YORK)

    assert local_times(before, NEW_YORK) == ["09:00", "10:00", "11:00"]
    assert local_times(change_day, NEW_YORK) == ["09:00", "10:00", "11:00"]
    assert before[0] == utc(2027, 3, 7, 14)  # EST, UTC-5
    assert change_day[0] == utc(2027, 3, 14, 13)  # EDT, UTC-4


def test_a_london_client_sees_the_gap_shrink_between_the_us_and_uk_changes():
    user = reader("America/New_York")
    availability.set_weekly_availability(user, [(6, time(9), time(10))])

    in_london = {
        day: local_times(slots_on(user, day, step=60, zone=NEW_YORK), LONDON)
        for day in (date(2027, 3, 7), date(2027, 3, 21), date(2027, 3, 28))
    }

    assert in_london == {
        date(2027, 3, 7): ["14:00"],  # EST vs GMT: 5 hours
        date(2027, 3, 21): ["13:00"],  # EDT vs GMT: 4 hours (only the US has changed)
        date(2027, 3, 28): ["14:00"],  # EDT vs BST: 5 hours again
    }


def test_the_nonexistent_half_hour_is_skipped_when_clocks_spring_forward():
    user = reader("America/New_York")
    availability.set_weekly_availability(user, [(6, time(1), time(4))])

    slots = slots_on(user, date(2027, 3, 14), length=30, step=30, zone=NEW_YORK)

    # 02:00-03:00 does not exist that night: the window is two real hours long.
    assert local_times(slots, NEW_YORK) == ["01:00", "01:30", "03:00", "03:30"]
    assert slots == [
        utc(2027, 3, 14, 6),
        utc(2027, 3, 14, 6, 30),
        utc(2027, 3, 14, 7),
        utc(2027, 3, 14, 7, 30),
    ]


def test_fall_back_offers_the_first_occurrence_of_the_repeated_hour_only():
    user = reader("America/New_York")
    availability.set_weekly_availability(user, [(6, time(0), time(3)), (6, time(9), time(12))])

    slots = slots_on(user, date(2027, 11, 7), length=60, step=60, zone=NEW_YORK)

    # 01:00 happens twice (EDT, then EST): the window is four real hours, slots start on the
    # local hour grid and the ambiguous 01:00 means the first one (fold=0).
    assert slots[:3] == [utc(2027, 11, 7, 4), utc(2027, 11, 7, 5), utc(2027, 11, 7, 7)]
    assert local_times(slots, NEW_YORK) == ["00:00", "01:00", "02:00", "09:00", "10:00", "11:00"]
    assert slots[3] == utc(2027, 11, 7, 14)  # 09:00 EST


def test_a_london_client_sees_the_november_week_when_only_the_uk_has_changed():
    user = reader("America/New_York")
    availability.set_weekly_availability(user, [(6, time(9), time(10))])

    in_london = [
        local_times(slots_on(user, day, step=60, zone=NEW_YORK), LONDON)
        for day in (date(2027, 10, 24), date(2027, 10, 31), date(2027, 11, 7))
    ]

    assert in_london == [["14:00"], ["13:00"], ["14:00"]]


# Refusals: a clear message and nothing saved ----------------------------------------------------


def test_overlapping_windows_are_refused_and_the_old_ones_stay():
    user = reader()
    availability.set_weekly_availability(user, [(0, time(9), time(12))])

    with pytest.raises(BookingError) as refused:
        availability.set_weekly_availability(
            user, [(2, time(8), time(9)), (0, time(9), time(11)), (0, time(10, 30), time(13))]
        )

    assert "Monday: 09:00-11:00 and 10:30-13:00 overlap" in str(refused.value)
    assert list(
        AvailabilityRule.objects.filter(reader=user).values_list("weekday", "start_time")
    ) == [(0, time(9))]


@pytest.mark.parametrize(
    "rule, message",
    [
        ((0, time(12), time(9)), "must be after the start"),
        ((0, time(9), time(9)), "must be after the start"),
        ((7, time(9), time(10)), "Monday to Sunday"),
        ((0, None, time(10)), "give a start and an end"),
    ],
)
def test_bad_windows_are_refused(rule, message):
    user = reader()

    with pytest.raises(BookingError, match=message):
        availability.set_weekly_availability(user, [rule])

    assert not AvailabilityRule.objects.filter(reader=user).exists()


def test_the_database_refuses_overlapping_windows_even_without_the_service():
    user = reader()
    AvailabilityRule.objects.create(reader=user, weekday=0, start_time=time(9), end_time=time(12))
    AvailabilityRule.objects.create(reader=user, weekday=0, start_time=time(12), end_time=time(13))
    AvailabilityRule.objects.create(reader=user, weekday=1, start_time=time(9), end_time=time(12))

    with pytest.raises(IntegrityError, match="readers_rule_no_overlap"), transaction.atomic():
        AvailabilityRule.objects.create(
            reader=user, weekday=0, start_time=time(11), end_time=time(14)
        )


def test_exception_refusals():
    user = reader("America/New_York")
    today = datetime.now(NEW_YORK).date()

    with pytest.raises(BookingError, match="in the past"):
        availability.add_exception(user, date=today - timedelta(days=1), kind="off")
    with pytest.raises(BookingError, match="Extra hours need"):
        availability.add_exception(user, date=today, kind="extra")
    with pytest.raises(BookingError, match="both a start and an end"):
        availability.add_exception(user, date=today, kind="off", start_time=time(9))
    with pytest.raises(BookingError, match="must be after the start"):
        availability.add_exception(
            user, date=today, kind="extra", start_time=time(10), end_time=time(9)
        )
    with pytest.raises(BookingError, match="away or adding"):
        availability.add_exception(user, date=today, kind="holiday")
    assert not AvailabilityException.objects.exists()


def test_only_the_owner_removes_an_exception():
    owner, other = reader(), reader()
    exception = availability.add_exception(owner, date=date(2099, 1, 1), kind="off")

    with pytest.raises(BookingError, match="not found"):
        availability.remove_exception(other, exception.public_id)
    with pytest.raises(BookingError, match="not found"):
        availability.remove_exception(owner, "not-a-uuid")
    assert AvailabilityException.objects.filter(pk=exception.pk).exists()

    availability.remove_exception(owner, str(exception.public_id))
    assert not AvailabilityException.objects.exists()
    second = availability.add_exception(owner, date=date(2099, 1, 2), kind="off")
    availability.remove_exception(owner, second.pk)
    assert not AvailabilityException.objects.exists()


def test_reader_zone_falls_back_to_utc():
    assert availability.reader_zone(UserFactory(timezone="Europe/London")) == LONDON
    assert availability.reader_zone(UserFactory(timezone="Not/AZone")) == ZoneInfo("UTC")


def test_free_slots_over_a_week_take_a_constant_number_of_queries(django_assert_max_num_queries):
    user = reader("Europe/London")
    availability.set_weekly_availability(user, [(d, time(9), time(17)) for d in range(7)])
    start = datetime(2099, 3, 1, tzinfo=UTC)

    with django_assert_max_num_queries(4):
        slots = availability.free_slots(
            user, start=start, end=start + timedelta(days=7), length_minutes=30, now=start
        )

    assert len(slots) == 7 * 31
