"""When a reader takes bookings: weekly windows and dated exceptions in the reader's own time
zone, and the free slots that follow from them.

Public API
----------
``reader_zone(user) -> ZoneInfo``
``set_weekly_availability(reader_user, rules) -> list[AvailabilityRule]``  replace all windows
``add_exception(reader_user, *, date, kind, start_time=None, end_time=None, note="")``
``remove_exception(reader_user, exception_public_or_id)``
``free_slots(reader_user, *, start, end, length_minutes, step_minutes=None) -> list[datetime]``
``day_windows(reader_user, local_date) -> list[tuple[time, time]]``  one day's merged windows
``is_bookable(reader_user, starts_at, length_minutes) -> bool``

Refusals raise ``readings.errors.BookingError`` (message fit for the reader) and save nothing.

Time zones. Rules and exceptions are wall-clock times in the reader's zone (``user.timezone``,
IANA); everything returned is an aware UTC ``datetime``. Slots are expanded per *local* date, so a
09:00-12:00 window stays 09:00-12:00 local on the day the clocks change. A local time that does
not exist (spring forward, e.g. 02:30 in New York) is never offered; an ambiguous one (fall back)
means its first occurrence (``fold=0``). A window edge that falls in the skipped hour moves to the
first real minute after it. An end time of 23:59 means "until midnight" (a ``TimeField`` has no
24:00).
"""

import uuid
from datetime import UTC, datetime, time, timedelta
from datetime import date as date_type
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from readings.errors import BookingError

from .models import AvailabilityException, AvailabilityRule

END_OF_DAY = time(23, 59)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def reader_zone(user):
    """The user's zone (``ZoneInfo``); UTC when unset or unknown."""
    try:
        return ZoneInfo(getattr(user, "timezone", "") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _setting(name, default):
    return getattr(settings, name, default)


def min_notice():
    return timedelta(minutes=int(_setting("BOOKING_MIN_NOTICE_MINUTES", 120)))


def max_ahead():
    return timedelta(days=int(_setting("BOOKING_MAX_DAYS_AHEAD", 60)))


def default_step_minutes():
    return int(_setting("BOOKING_SLOT_STEP_MINUTES", 15))


def _hhmm(value):
    return value.strftime("%H:%M")


# Weekly windows ---------------------------------------------------------------------------------


def _check_window(start_time, end_time, what):
    if not isinstance(start_time, time) or not isinstance(end_time, time):
        raise BookingError(f"{what}: give a start and an end time.")
    if start_time.tzinfo is not None or end_time.tzinfo is not None:
        raise BookingError(f"{what}: times are in your own time zone, without a zone.")
    if end_time <= start_time:
        raise BookingError(
            f"{what}: the end ({_hhmm(end_time)}) must be after the start ({_hhmm(start_time)})."
        )


def set_weekly_availability(reader_user, rules):
    """Replace all of ``reader_user``'s weekly windows with ``rules`` (``(weekday, start, end)``,
    weekday 0 = Monday, times in the reader's zone) in one transaction.

    Refuses (``BookingError``, nothing saved, the old windows stay) a weekday outside 0-6, an end
    not after its start, or two windows of one weekday that overlap (touching is fine:
    09:00-12:00 and 12:00-15:00). Returns the new rules ordered by weekday and start.
    """
    cleaned = []
    for rule in rules:
        try:
            weekday, start_time, end_time = rule
        except (TypeError, ValueError) as error:
            raise BookingError("Each window needs a weekday, a start and an end.") from error
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise BookingError("Choose a weekday from Monday to Sunday.")
        _check_window(start_time, end_time, WEEKDAY_NAMES[weekday])
        cleaned.append((weekday, start_time, end_time))
    cleaned.sort()
    for (day_a, start_a, end_a), (day_b, start_b, end_b) in zip(cleaned, cleaned[1:]):
        if day_a == day_b and start_b < end_a:
            raise BookingError(
                f"{WEEKDAY_NAMES[day_a]}: {_hhmm(start_a)}-{_hhmm(end_a)} and "
                f"{_hhmm(start_b)}-{_hhmm(end_b)} overlap. Join them or change one."
            )
    try:
        with transaction.atomic():
            AvailabilityRule.objects.filter(reader=reader_user).delete()
            created = AvailabilityRule.objects.bulk_create(
                [
                    AvailabilityRule(reader=reader_user, weekday=d, start_time=s, end_time=e)
                    for d, s, e in cleaned
                ]
            )
    except IntegrityError as error:
        # Only reachable when two saves race; the exclusion constraint keeps the table sane.
        raise BookingError(
            "Your availability changed at the same time in another window. Please try again."
        ) from error
    return created


# Exceptions -------------------------------------------------------------------------------------


def add_exception(reader_user, *, date, kind, start_time=None, end_time=None, note=""):
    """Add a dated exception in the reader's zone: ``off`` (no times: the whole day; with times:
    that part of the day) or ``extra`` (an added window, times required). Refuses a date in
    the past (reader's today is allowed), unknown kinds and bad times; nothing saved then."""
    if kind not in AvailabilityException.Kind.values:
        raise BookingError("Choose whether you are away or adding extra hours.")
    if not isinstance(date, date_type) or isinstance(date, datetime):
        raise BookingError("Choose a date.")
    today = timezone.localdate(timezone=reader_zone(reader_user))
    if date < today:
        raise BookingError("That date is in the past. Choose today or a later date.")
    if (start_time is None) != (end_time is None):
        raise BookingError("Give both a start and an end time, or neither for the whole day.")
    if kind == AvailabilityException.Kind.EXTRA and start_time is None:
        raise BookingError("Extra hours need a start and an end time.")
    if start_time is not None:
        _check_window(start_time, end_time, f"{date:%a %d %b}")
    return AvailabilityException.objects.create(
        reader=reader_user,
        date=date,
        kind=kind,
        start_time=start_time,
        end_time=end_time,
        note=(note or "").strip()[:200],
    )


def remove_exception(reader_user, exception_public_or_id):
    """Delete one of ``reader_user``'s exceptions, by ``public_id`` (UUID or its string), integer
    id or instance. Someone else's exception counts as not found (``BookingError``)."""
    value = getattr(exception_public_or_id, "pk", exception_public_or_id)
    mine = AvailabilityException.objects.filter(reader=reader_user)
    if isinstance(value, int) and not isinstance(value, bool):
        mine = mine.filter(pk=value)
    else:
        try:
            mine = mine.filter(public_id=uuid.UUID(str(value)))
        except ValueError as error:
            raise BookingError("That exception was not found.") from error
    deleted, _ = mine.delete()
    if not deleted:
        raise BookingError("That exception was not found.")


# Slots ------------------------------------------------------------------------------------------


def _wall_end(value):
    return time.max if value >= END_OF_DAY else value


def _subtract(windows, cut_start, cut_end):
    out = []
    for start, end in windows:
        if cut_end <= start or cut_start >= end:
            out.append((start, end))
            continue
        if start < cut_start:
            out.append((start, cut_start))
        if cut_end < end:
            out.append((cut_end, end))
    return out


def _merge(windows):
    merged = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _windows_for(local_date, rules, exceptions):
    """Merged local (start, end) ``time`` windows of one date: weekly rules, minus ``off``
    exceptions, plus ``extra`` ones (an explicit extra wins over a day off)."""
    windows = [
        (rule.start_time, _wall_end(rule.end_time))
        for rule in rules
        if rule.weekday == local_date.weekday()
    ]
    day = [e for e in exceptions if e.date == local_date]
    for exception in day:
        if exception.kind != AvailabilityException.Kind.OFF:
            continue
        if exception.start_time is None:
            windows = []
        else:
            windows = _subtract(windows, exception.start_time, _wall_end(exception.end_time))
    for exception in day:
        if exception.kind == AvailabilityException.Kind.EXTRA:
            windows.append((exception.start_time, _wall_end(exception.end_time)))
    return _merge(windows)


def day_windows(reader_user, local_date):
    """The reader's merged windows on ``local_date`` (their zone) after exceptions."""
    rules = list(AvailabilityRule.objects.filter(reader=reader_user, weekday=local_date.weekday()))
    exceptions = list(AvailabilityException.objects.filter(reader=reader_user, date=local_date))
    return _windows_for(local_date, rules, exceptions)


def _exists(naive, zone):
    aware = naive.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def _to_utc(naive, zone):
    """A local wall-clock time as UTC: ``fold=0`` when ambiguous; a time in a skipped hour moves
    to the first minute that exists."""
    for _ in range(24 * 60):
        if _exists(naive, zone):
            return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
        naive = (naive + timedelta(minutes=1)).replace(second=0, microsecond=0)
    raise ValueError(f"no existing local time near {naive} in {zone}")  # pragma: no cover


def _booked_ranges(reader_user, start, end):
    from readings.models import BOOKING_SLOT_STATES, Booking

    return list(
        Booking.objects.filter(
            reader=reader_user,
            state__in=BOOKING_SLOT_STATES,
            starts_at__lt=end,
            ends_at__gt=start,
        ).values_list("starts_at", "ends_at")
    )


def free_slots(reader_user, *, start, end, length_minutes, step_minutes=None, now=None):
    """Aware UTC starts of the slots in ``[start, end)`` where ``reader_user`` is available for
    the whole ``length_minutes``, that no pending/accepted/in-progress booking overlaps, and that
    start at least ``BOOKING_MIN_NOTICE_MINUTES`` from now (and at most
    ``BOOKING_MAX_DAYS_AHEAD`` days ahead). Slots sit on a ``step_minutes`` grid of the reader's
    local clock (default ``BOOKING_SLOT_STEP_MINUTES``). Three queries whatever the range.
    """
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("free_slots needs aware datetimes")
    step = int(step_minutes or default_step_minutes())
    length = timedelta(minutes=int(length_minutes))
    now = now or timezone.now()
    start = max(start, now + min_notice())
    end = min(end, now + max_ahead())
    if start >= end or length <= timedelta(0) or step <= 0:
        return []
    zone = reader_zone(reader_user)
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    rules = list(AvailabilityRule.objects.filter(reader=reader_user))
    if (
        not rules
        and not AvailabilityException.objects.filter(
            reader=reader_user, kind=AvailabilityException.Kind.EXTRA
        ).exists()
    ):
        return []
    exceptions = list(
        AvailabilityException.objects.filter(
            reader=reader_user, date__gte=first_day, date__lte=last_day
        )
    )
    booked = _booked_ranges(reader_user, start, end + length)
    slots = set()
    day = first_day
    while day <= last_day:
        midnight = datetime.combine(day, time(0))
        for window_start, window_end in _windows_for(day, rules, exceptions):
            open_utc = _to_utc(datetime.combine(day, window_start), zone)
            if window_end == time.max:
                close_utc = _to_utc(midnight + timedelta(days=1), zone)
            else:
                close_utc = _to_utc(datetime.combine(day, window_end), zone)
            minute = window_start.hour * 60 + window_start.minute
            minute += (-minute) % step  # first grid point at or after the window start
            while minute < 24 * 60:
                local = midnight + timedelta(minutes=minute)
                minute += step
                if not _exists(local, zone):
                    continue  # e.g. 02:30 on the night clocks spring forward
                slot = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
                if slot + length > close_utc:
                    break
                if slot < open_utc or slot < start or slot >= end:
                    continue
                if any(b_start < slot + length and b_end > slot for b_start, b_end in booked):
                    continue
                slots.add(slot)
        day += timedelta(days=1)
    return sorted(slots)


def is_bookable(reader_user, starts_at, length_minutes, *, now=None):
    """Whether ``starts_at`` is one of ``free_slots`` for that length right now."""
    starts_at = starts_at.astimezone(UTC)
    return starts_at in free_slots(
        reader_user,
        start=starts_at,
        end=starts_at + timedelta(microseconds=1),
        length_minutes=length_minutes,
        now=now,
    )
