"""Forms of the booking pages: the calendar's pickers and the confirm step.

They only parse what the browser sends; whether a slot can be booked (free, in the future,
channel offered, balance) is decided by ``readings.bookings.book``.
"""

import zoneinfo
from datetime import UTC, datetime, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone

from accounts.forms import StyledFormMixin
from readers import availability

from .models import ReadingSession

DEFAULT_LENGTH = 30


def booking_lengths():
    return tuple(getattr(settings, "BOOKING_LENGTHS", (15, 30, 45, 60)))


def valid_zone(name):
    """A ``ZoneInfo`` for a known IANA name, else ``None`` (never raises on user input)."""
    name = (name or "").strip()
    if not name or len(name) > 64 or name not in zoneinfo.available_timezones():
        return None
    return zoneinfo.ZoneInfo(name)


class UTCDateTimeField(forms.Field):
    """An ISO 8601 instant with an offset (``2026-12-01T15:00:00+00:00``), returned in UTC."""

    default_error_messages = {"invalid": "Pick a time from the calendar."}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            moment = value
        else:
            try:
                moment = datetime.fromisoformat(str(value).strip().replace(" ", "+"))
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
        if moment.tzinfo is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            # 0001-01-01T00:00+05:00 or 9999-12-31T23:59-05:00 have no UTC datetime.
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class BookingChoiceMixin:
    def _set_choices(self, channels):
        self.fields["channel"].choices = [(key, label) for key, label, _rate in channels]
        self.fields["length"].choices = [(n, f"{n} min") for n in booking_lengths()]


class CalendarForm(BookingChoiceMixin, forms.Form):
    """The calendar's pickers (query string); bad values fall back to defaults."""

    channel = forms.ChoiceField(required=False)
    length = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    week = forms.DateField(required=False)
    tz = forms.CharField(required=False, max_length=64)

    def __init__(self, data, *, channels):
        super().__init__(data)
        self._set_choices(channels)
        self.channels = channels

    def values(self):
        """``(channel, length, week, zone_name)`` with invalid parts replaced by defaults."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        offered = [key for key, _label, _rate in self.channels]
        channel = cleaned.get("channel") if "channel" not in self.errors else None
        if channel not in offered:
            channel = offered[0] if offered else ReadingSession.Channel.CHAT
        length = cleaned.get("length") if "length" not in self.errors else None
        if length not in booking_lengths():
            length = DEFAULT_LENGTH if DEFAULT_LENGTH in booking_lengths() else booking_lengths()[0]
        week = cleaned.get("week") if "week" not in self.errors else None
        tz = cleaned.get("tz") if "tz" not in self.errors else ""
        return channel, length, week, tz or ""


class BookingConfirmForm(StyledFormMixin, BookingChoiceMixin, forms.Form):
    """The slot, channel and length a client confirms (carried from the calendar)."""

    starts_at = UTCDateTimeField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(widget=forms.HiddenInput)
    length = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)

    def __init__(self, data, *, channels):
        super().__init__(data)
        self._set_choices(channels)
        self.fields["channel"].error_messages["invalid_choice"] = (
            "This reader doesn't offer that kind of reading."
        )
        lengths = ", ".join(str(n) for n in booking_lengths())
        self.fields["length"].error_messages["invalid_choice"] = f"Choose {lengths} minutes."

    def clean_starts_at(self):
        # Only instants the calendar could show get this far, so the confirm page's arithmetic
        # (the end time, the free-cancellation deadline) never leaves datetime's range. Whether
        # the slot is free and far enough ahead is still ``bookings.book``'s decision.
        starts_at = self.cleaned_data["starts_at"]
        now = timezone.now()
        if (
            not now - timedelta(days=1)
            <= starts_at
            <= now + availability.max_ahead() + timedelta(days=1)
        ):
            raise forms.ValidationError(
                UTCDateTimeField.default_error_messages["invalid"], code="out_of_range"
            )
        return starts_at
