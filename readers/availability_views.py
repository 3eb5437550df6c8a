"""The reader's availability editor: weekly windows, exceptions and the auto-accept switch.

Reader role only. Views are thin: the rules live in ``readers.availability`` (overlaps, times in
the reader's zone, exceptions owned by the reader); a refused change shows the service's message
and saves nothing.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from readers import availability
from readers.availability_forms import (
    MAX_ROWS_PER_DAY,
    WEEKDAYS,
    AvailabilityExceptionForm,
    WeeklyAvailabilityForm,
    WindowRow,
)
from readers.models import ReaderPage
from readings.errors import ReadingError


def _reader_page(user):
    return (
        ReaderPage.objects.filter(user=user).only("id", "auto_accept_bookings", "url_path").first()
    )


def _upcoming_exceptions(user, zone):
    today = timezone.localdate(timezone=zone)
    return list(user.availability_exceptions.filter(date__gte=today).order_by("date", "start_time"))


def _context(request, *, weekly=None, exception_form=None):
    user = request.user
    zone = availability.reader_zone(user)
    if weekly is None:
        weekly = WeeklyAvailabilityForm(
            rules=user.availability_rules.order_by("weekday", "start_time")
        )
    return {
        "weekly": weekly,
        "exception_form": exception_form or AvailabilityExceptionForm(zone=zone),
        "exceptions": _upcoming_exceptions(user, zone),
        "zone_name": str(zone.key),
        "now_local": timezone.localtime(timezone=zone),
        "reader_page": _reader_page(user),
        "max_rows": MAX_ROWS_PER_DAY,
    }


@role_required("reader")
def editor(request):
    """GET: the weekly grid, exceptions and auto-accept. POST: replace the weekly windows."""
    if request.method != "POST":
        return render(request, "readers/availability/editor.html", _context(request))
    weekly = WeeklyAvailabilityForm(request.POST)
    if weekly.is_valid():
        try:
            availability.set_weekly_availability(request.user, weekly.rules)
        except ReadingError as error:
            weekly.add_error(str(error))
        else:
            count = len(weekly.rules)
            messages.success(
                request,
                f"Weekly hours saved: {count} window{'s' if count != 1 else ''}."
                if count
                else "Weekly hours cleared. Clients can book only your extra hours.",
            )
            return redirect("readers:availability")
    response = render(request, "readers/availability/editor.html", _context(request, weekly=weekly))
    response.status_code = 400
    return response


@role_required("reader")
@require_GET
def window_row(request):
    """One blank window row for a weekday (HTMX "Add hours")."""
    try:
        weekday = int(request.GET.get("weekday", ""))
    except ValueError:
        raise Http404("No such weekday.") from None
    if weekday not in dict(WEEKDAYS):
        raise Http404("No such weekday.")
    return render(
        request,
        "readers/availability/_row.html",
        {"weekday": weekday, "row": WindowRow(), "day_label": dict(WEEKDAYS)[weekday]},
    )


def _exceptions_response(request, form, *, status=200):
    context = _context(request, exception_form=form)
    if request.htmx:
        return render(request, "readers/availability/_exceptions.html", context, status=status)
    if status == 200:
        return redirect("readers:availability")
    return render(request, "readers/availability/editor.html", context, status=status)


@role_required("reader")
@require_POST
def exception_add(request):
    zone = availability.reader_zone(request.user)
    form = AvailabilityExceptionForm(request.POST, zone=zone)
    if form.is_valid():
        data = form.cleaned_data
        try:
            availability.add_exception(
                request.user,
                date=data["date"],
                kind=data["kind"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                note=data["note"],
            )
        except ReadingError as error:
            form.add_error(None, str(error))
        else:
            if not request.htmx:
                messages.success(request, "Exception added.")
            return _exceptions_response(request, AvailabilityExceptionForm(zone=zone))
    return _exceptions_response(request, form, status=400)


@role_required("reader")
@require_POST
def exception_remove(request, exception_id):
    # Scoped to the signed-in reader: another reader's exception is "not found".
    exception = request.user.availability_exceptions.filter(public_id=exception_id).first()
    if exception is None:
        raise Http404("No such exception.")
    try:
        availability.remove_exception(request.user, exception.pk)
    except ReadingError as error:
        messages.error(request, str(error))
    else:
        if not request.htmx:
            messages.success(request, "Exception removed.")
    zone = availability.reader_zone(request.user)
    return _exceptions_response(request, AvailabilityExceptionForm(zone=zone))


@role_required("reader")
@require_POST
def auto_accept(request):
    """Switch automatic acceptance of booking requests on or off."""
    page = _reader_page(request.user)
    if page is None:
        messages.error(request, "Your reader page isn't set up yet.")
        return redirect("readers:availability")
    enabled = request.POST.get("enabled") == "1"
    # Not a page edit that waits for moderation: a scheduling preference applied at once, like
    # presence (see ReaderPage.LIVE_ONLY_FIELDS).
    ReaderPage.objects.filter(pk=page.pk).update(auto_accept_bookings=enabled)
    messages.success(
        request,
        "New booking requests are accepted automatically."
        if enabled
        else "You'll accept or decline each booking request yourself.",
    )
    return redirect("readers:availability")
