"""Forms of the reader's availability editor.

The weekly grid has a variable number of rows per weekday (added and removed in the page with
HTMX), so it is parsed from repeated ``start_<weekday>`` / ``end_<weekday>`` fields rather than
a Django formset (whose management form would have to be renumbered on every add/remove).
The form only checks what it can pin to one row (a missing or malformed time, end before start,
two rows of one day overlapping); ``readers.availability.set_weekly_availability`` keeps the
rules and has the last word.
"""

from dataclasses import dataclass, field
from datetime import datetime, time

from django import forms
from django.utils import timezone

from accounts.forms import StyledFormMixin

WEEKDAYS = (
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
)
# A day cannot hold more windows than this (a guard against a runaway form, not a business rule).
MAX_ROWS_PER_DAY = 12


def parse_time(value):
    """``"09:30"`` (or ``"09:30:00"``) -> ``time(9, 30)``; anything else -> ``None``."""
    value = (value or "").strip()
    for pattern in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(value, pattern).time()
        except ValueError:
            continue
    return None


def _hhmm(value):
    return value.strftime("%H:%M") if isinstance(value, time) else (value or "")


@dataclass
class WindowRow:
    start: str = ""
    end: str = ""
    error: str = ""


@dataclass
class DayRows:
    weekday: int
    label: str
    rows: list = field(default_factory=list)

    @property
    def has_errors(self):
        return any(row.error for row in self.rows)


class WeeklyAvailabilityForm:
    """Rows per weekday from ``start_<d>``/``end_<d>`` lists; a fully blank row is ignored."""

    def __init__(self, data=None, *, rules=()):
        self.is_bound = data is not None
        self.non_field_errors = []
        self.rules = []
        if self.is_bound:
            self.days = [
                DayRows(
                    weekday,
                    label,
                    [
                        WindowRow(start.strip(), end.strip())
                        for start, end in zip(
                            data.getlist(f"start_{weekday}")[:MAX_ROWS_PER_DAY],
                            data.getlist(f"end_{weekday}")[:MAX_ROWS_PER_DAY],
                            strict=False,
                        )
                        if start.strip() or end.strip()
                    ],
                )
                for weekday, label in WEEKDAYS
            ]
        else:
            by_day = {weekday: [] for weekday, _ in WEEKDAYS}
            for rule in rules:
                by_day[rule.weekday].append(WindowRow(_hhmm(rule.start_time), _hhmm(rule.end_time)))
            self.days = [DayRows(weekday, label, by_day[weekday]) for weekday, label in WEEKDAYS]

    def add_error(self, message):
        self.non_field_errors.append(message)

    @property
    def has_errors(self):
        return bool(self.non_field_errors) or any(day.has_errors for day in self.days)

    @property
    def window_count(self):
        return sum(len(day.rows) for day in self.days)

    def is_valid(self):
        if not self.is_bound:
            return False
        rules = []
        for day in self.days:
            parsed = []
            for row in day.rows:
                start, end = parse_time(row.start), parse_time(row.end)
                if start is None or end is None:
                    row.error = "Enter both a start and an end time (for example 09:00 and 12:30)."
                elif end <= start:
                    row.error = "The end time must be later than the start time."
                else:
                    parsed.append((start, end, row))
            parsed.sort(key=lambda item: item[0])
            for (_s1, end1, _row1), (start2, _e2, row2) in zip(parsed, parsed[1:], strict=False):
                if start2 < end1 and not row2.error:
                    row2.error = (
                        f"This window overlaps another {day.label} window "
                        f"(which ends at {end1:%H:%M}). Merge them or change the times."
                    )
            rules.extend((day.weekday, start, end) for start, end, _row in parsed)
        if self.has_errors:
            return False
        self.rules = sorted(rules)
        return True


class AvailabilityExceptionForm(StyledFormMixin, forms.Form):
    """One exception to the weekly pattern: a day (or hours) off, or extra hours."""

    KIND_CHOICES = (("off", "Time off"), ("extra", "Extra hours"))

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label="Type", choices=KIND_CHOICES, initial="off")
    start_time = forms.TimeField(
        label="From", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label="Until", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    note = forms.CharField(
        label="Note to yourself",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Travelling"}),
    )

    def __init__(self, *args, zone=None, **kwargs):
        self.zone = zone
        super().__init__(*args, prefix="exception", **kwargs)
        self.style_fields()

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = timezone.localdate(timezone=self.zone) if self.zone else timezone.localdate()
        if day < today:
            raise forms.ValidationError("Pick today or a later date.")
        return day

    def clean(self):
        cleaned = super().clean()
        kind, start, end = cleaned.get("kind"), cleaned.get("start_time"), cleaned.get("end_time")
        if (start is None) != (end is None) and not self.has_error("start_time"):
            self.add_error("end_time", "Give both times, or leave both empty for the whole day.")
        elif kind == "extra" and start is None and not self.has_error("start_time"):
            self.add_error("start_time", "Extra hours need a start and an end time.")
        elif start is not None and end is not None and end <= start:
            self.add_error("end_time", "The end time must be later than the start time.")
        return cleaned
