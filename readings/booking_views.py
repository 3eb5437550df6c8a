"""Booking pages: the calendar on a reader's page, the confirm step, one booking, My bookings.

Views are thin: free slots, prices, holds, cancellation terms and joining all come from
``readers.availability`` and ``readings.bookings``; a refused action shows the service's message
and changes nothing. A booking is looked up by its ``public_id`` *scoped to the signed-in user*
(its client or its reader); anyone else gets 404.

Time zones: a signed-in viewer sees every time in their profile zone (``User.timezone``).
Anonymous visitors see the calendar in the zone named by the ``tz`` query parameter, which a
small script on the page fills with the browser's zone (``Intl``); without it (no JavaScript)
times are shown in UTC and the page says so. Booking itself needs an account.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.ratelimit import rate_limit
from home.http import redirect_for
from readers import availability
from readers.models import ReaderPage
from wallet.selectors import wallet_summary

from . import bookings, selectors
from .booking_forms import BookingConfirmForm, CalendarForm, valid_zone
from .errors import ReadingError
from .models import Booking, ReadingSession
from .templatetags.readings_tags import reading_channels

State = Booking.State
OPEN_STATES = (State.PENDING, State.ACCEPTED)
JOINABLE_STATES = (State.ACCEPTED, State.IN_PROGRESS)
JOIN_POLL_SECONDS = 15
BOOK_POSTS_PER_MINUTE = 10
JOIN_POLL_NEAR = timedelta(hours=1)
UTC_ZONE = zoneinfo.ZoneInfo("UTC")


# Time zones -------------------------------------------------------------------------------------


@dataclass
class ViewerZone:
    zone: zoneinfo.ZoneInfo
    source: str  # "profile", "browser" or "default"

    @property
    def name(self):
        return self.zone.key

    @property
    def label(self):
        return self.zone.key.replace("_", " ")


def viewer_zone(request, tz_param=""):
    if request.user.is_authenticated:
        return ViewerZone(valid_zone(request.user.timezone) or UTC_ZONE, "profile")
    zone = valid_zone(tz_param)
    if zone is not None:
        return ViewerZone(zone, "browser")
    return ViewerZone(UTC_ZONE, "default")


# The calendar -----------------------------------------------------------------------------------


def _bookable_page(page_id):
    page = get_object_or_404(ReaderPage.objects.live().select_related("user"), pk=page_id)
    if page.user_id is None:
        raise Http404("This reader does not take bookings.")
    return page


def _week_bounds(zone, requested):
    """Monday of the shown week (viewer's zone), clamped to [this week, the last bookable week]."""
    today = timezone.localdate(timezone=zone)
    this_week = today - timedelta(days=today.weekday())
    last_day = today + timedelta(days=settings.BOOKING_MAX_DAYS_AHEAD)
    last_week = last_day - timedelta(days=last_day.weekday())
    week = requested - timedelta(days=requested.weekday()) if requested else this_week
    week = min(max(week, this_week), last_week)
    return week, this_week, last_week, today


def _local_midnight(day, zone):
    # fold=0 picks the first of two midnights (DST fall-back) and a nonexistent midnight is
    # normalised by the round trip through UTC.
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def week_range_utc(days, zone):
    """``[start, end)`` in UTC covering the local ``days`` (a DST day is 23 or 25 hours long)."""
    return _local_midnight(days[0], zone), _local_midnight(days[-1] + timedelta(days=1), zone)


def group_by_local_day(slots, days, zone):
    """``{local date: [local slot starts]}`` for ``days``, from aware UTC ``slots``."""
    by_day = {day: [] for day in days}
    for slot in slots:
        local = slot.astimezone(zone)
        if local.date() in by_day:
            by_day[local.date()].append(local)
    return by_day


def calendar_context(request, page):
    """Pickers, price and the week's free slots grouped by the viewer's local day."""
    channels = reading_channels(page)
    form = CalendarForm(request.GET or None, channels=channels)
    channel, length, week_param, tz_param = form.values()
    zone = viewer_zone(request, tz_param)
    week, this_week, last_week, today = _week_bounds(zone.zone, week_param)
    days = [week + timedelta(days=offset) for offset in range(7)]
    start, end = week_range_utc(days, zone.zone)
    slots = availability.free_slots(page.user, start=start, end=end, length_minutes=length)
    by_day = group_by_local_day(slots, days, zone.zone)
    requested_day = request.GET.get("day", "")
    selected = next((d for d in days if d.isoformat() == requested_day), None)
    if selected is None:
        selected = next((d for d in days if by_day[d]), days[0])
    base_query = {"channel": channel, "length": length}
    if zone.source == "browser":
        base_query["tz"] = zone.name
    return {
        "page": page,
        "channels": channels,
        "channel": channel,
        "channel_label": ReadingSession.Channel(channel).label,
        "rate_cents": next((rate for key, _label, rate in channels if key == channel), 0),
        "lengths": form.fields["length"].choices,
        "length": length,
        "price_cents": bookings.quote(page, channel, length) if channels else 0,
        "zone": zone,
        "week": week,
        "week_end": days[-1],
        "days": [
            {"date": day, "slots": by_day[day], "past": day < today, "today": day == today}
            for day in days
        ],
        "selected_day": selected,
        "selected_slots": by_day[selected],
        "slot_count": len(slots),
        "prev_week": week - timedelta(days=7) if week > this_week else None,
        "next_week": week + timedelta(days=7) if week < last_week else None,
        "base_query": urlencode(base_query),
        "week_query": urlencode({**base_query, "week": week.isoformat()}),
        "book_url": reverse("readings:book", args=[page.pk]),
        "confirm_url": reverse("readings:book_confirm", args=[page.pk]),
        "is_own_page": request.user.is_authenticated and request.user.pk == page.user_id,
        "free_cancel_hours": settings.BOOKING_FREE_CANCEL_HOURS,
    }


@require_GET
def book(request, page_id):
    """The booking calendar (public). HTMX requests get the calendar fragment only."""
    page = _bookable_page(page_id)
    context = calendar_context(request, page)
    template = "readings/bookings/_calendar.html" if request.htmx else "readings/bookings/book.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "Cookie"])
    return response


# Confirming -------------------------------------------------------------------------------------


def _confirm_context(request, page, form):
    zone = viewer_zone(request)
    balance = wallet_summary(request.user, request).balance
    context = {"page": page, "form": form, "zone": zone, "balance": balance}
    if not form.is_valid():
        return context
    data = form.cleaned_data
    starts_at, length, channel = data["starts_at"], data["length"], data["channel"]
    price = bookings.quote(page, channel, length)
    context.update(
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=length),
        length=length,
        channel=channel,
        channel_label=ReadingSession.Channel(channel).label,
        price_cents=price,
        rate_cents=getattr(page, f"{channel}_rate_cents"),
        short_cents=max(price - balance, 0),
        no_show_minutes=settings.BOOKING_NO_SHOW_GRACE_MINUTES,
        terms=_terms_before_booking(page, request.user, starts_at, length, channel, price),
        auto_accept=page.auto_accept_bookings,
        back_url=(
            reverse("readings:book", args=[page.pk])
            + "?"
            + urlencode(
                {
                    "channel": channel,
                    "length": length,
                    "week": starts_at.astimezone(zone.zone).date().isoformat(),
                    "day": starts_at.astimezone(zone.zone).date().isoformat(),
                }
            )
        ),
    )
    return context


def _terms_before_booking(page, client, starts_at, length, channel, price):
    """The cancellation rule for a booking not made yet, worked out by the same
    ``bookings.cancellation_terms`` that applies it later (on an unsaved booking)."""
    draft = Booking(
        client=client,
        reader=page.user,
        reader_page=page,
        channel=channel,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=length),
        length_minutes=length,
        rate_cents=getattr(page, f"{channel}_rate_cents"),
        price_cents=price,
        state=State.ACCEPTED,
    )
    now_terms = bookings.cancellation_terms(draft, at=timezone.now())
    return {
        "free_now": now_terms["free"],
        "free_until": now_terms["free_until"],
        "late_charge_cents": now_terms["late_charge_cents"],
        "free_hours": settings.BOOKING_FREE_CANCEL_HOURS,
        "late_percent": settings.BOOKING_LATE_CANCEL_PERCENT,
    }


def _book_key(request):
    return f"readings:book:{request.user.pk}"


@role_required("client", "reader")
# Each booking places a wallet hold: a person clicking through slots is far below this.
@rate_limit(key=_book_key, limit=BOOK_POSTS_PER_MINUTE, window_seconds=60)
def book_confirm(request, page_id):
    """GET: the chosen slot with its price, the hold and the cancellation rule. POST: book."""
    page = _bookable_page(page_id)
    form = BookingConfirmForm(
        request.POST if request.method == "POST" else request.GET, channels=reading_channels(page)
    )
    context = _confirm_context(request, page, form)
    if not form.is_valid():
        context["error"] = (
            "That time or reading type isn't available. Pick a slot from the calendar."
        )
        return render(request, "readings/bookings/confirm.html", context, status=400)
    if request.method != "POST":
        data = form.cleaned_data
        if request.user.pk == page.user_id:
            context["error"] = "This is your own calendar: clients book you from here."
            context["slot_gone"] = True
        elif not availability.is_bookable(page.user, data["starts_at"], data["length"]):
            # Told before confirming; ``book`` refuses it anyway.
            context["error"] = "That time is no longer free. Please choose another time."
            context["slot_gone"] = True
        return render(request, "readings/bookings/confirm.html", context)
    data = form.cleaned_data
    try:
        booking = bookings.book(
            request.user,
            page,
            channel=data["channel"],
            starts_at=data["starts_at"],
            length_minutes=data["length"],
        )
    except ReadingError as error:
        context["error"] = str(error)
        return render(request, "readings/bookings/confirm.html", context, status=409)
    if booking.state == State.ACCEPTED:
        messages.success(request, "Booked and confirmed. The amount is reserved in your wallet.")
    else:
        messages.success(
            request,
            f"Request sent. {page.display_name} will confirm it; the amount is reserved meanwhile.",
        )
    return redirect("readings:booking", public_id=booking.public_id)


# One booking ------------------------------------------------------------------------------------


def _booking_or_404(request, public_id, *, role=None):
    """The booking if the signed-in user is its client or reader (``role`` narrows it)."""
    mine = Q(client=request.user) | Q(reader=request.user)
    if role == "reader":
        mine = Q(reader=request.user)
    booking = (
        Booking.objects.select_related("client", "reader", "reader_page", "hold", "session")
        .filter(mine, public_id=public_id)
        .first()
    )
    if booking is None:
        raise Http404("No such booking.")
    return booking


def _role_in(booking, user):
    return "reader" if booking.reader_id == user.pk else "client"


def _join_context(request, booking):
    role = _role_in(booking, request.user)
    now = timezone.now()
    opens_at = bookings.join_opens_at(booking)
    session = booking.session
    live = session is not None and session.state in ("accepted", "active", "paused")
    joined = booking.reader_joined_at if role == "reader" else booking.client_joined_at
    return {
        "booking": booking,
        "role": role,
        "opens_at": opens_at,
        "can_join": bookings.can_join(booking, request.user, at=now),
        "joined": joined is not None,
        "session_live": live,
        "polling": booking.state in JOINABLE_STATES and now < booking.ends_at,
        # Every 15 s once the join time is near; a page left open days ahead checks rarely.
        "poll_seconds": JOIN_POLL_SECONDS if opens_at - now <= JOIN_POLL_NEAR else 300,
        "zone": viewer_zone(request),
    }


def _other_party(booking, role):
    other = booking.client if role == "reader" else booking.reader
    if role == "client" and booking.reader_page is not None:
        return booking.reader_page.display_name
    return getattr(other, "public_name", None) or other.get_username()


STATE_NOTES = {
    ("pending", "client"): "{other} hasn't answered yet. The amount stays reserved until then; "
    "if there's no answer in time the request expires and everything is released.",
    ("pending", "reader"): "Accept or decline this request. If you don't answer in time it "
    "expires and the client's money is released.",
    ("accepted", "client"): "You're booked. The Join button appears here a few minutes before "
    "the start.",
    ("accepted", "reader"): "Confirmed. The Join button appears here a few minutes before the "
    "start.",
    ("in_progress", "client"): "Your reading is on.",
    ("in_progress", "reader"): "The reading is on.",
    ("completed", "client"): "This reading has taken place.",
    ("completed", "reader"): "This reading has taken place.",
    ("declined", "client"): "{other} couldn't take this booking. Nothing was charged.",
    ("declined", "reader"): "You declined this request. Nothing was charged.",
    ("cancelled", "client"): "This booking was cancelled.",
    ("cancelled", "reader"): "This booking was cancelled.",
    ("expired", "client"): "{other} didn't answer in time. Nothing was charged.",
    ("expired", "reader"): "This request expired before you answered. Nothing was charged.",
    ("no_show_client", "client"): "You didn't join in time, so the booking was charged.",
    ("no_show_client", "reader"): "The client didn't join in time.",
    ("no_show_reader", "client"): "{other} didn't join in time. Everything was released "
    "back to your wallet.",
    ("no_show_reader", "reader"): "You didn't join in time; the client was not charged.",
}


@role_required("client", "reader")
@require_GET
def booking_detail(request, public_id):
    booking = _booking_or_404(request, public_id)
    context = _join_context(request, booking)
    role = context["role"]
    other = _other_party(booking, role)
    context.update(
        other_name=other,
        state_note=STATE_NOTES.get((booking.state, role), "").format(other=other),
        can_cancel=booking.state in OPEN_STATES and timezone.now() < booking.starts_at,
        balance=wallet_summary(request.user, request).balance if role == "client" else None,
        free_hours=settings.BOOKING_FREE_CANCEL_HOURS,
    )
    if context["can_cancel"]:
        context["terms"] = bookings.cancellation_terms(booking)
    return render(request, "readings/bookings/detail.html", context)


@role_required("client", "reader")
@require_GET
def booking_join_panel(request, public_id):
    """HTMX poll: the Join panel (the button appears from ``join_opens_at``)."""
    booking = _booking_or_404(request, public_id)
    return render(request, "readings/bookings/_join.html", _join_context(request, booking))


@role_required("client", "reader")
@require_POST
def booking_join(request, public_id):
    booking = _booking_or_404(request, public_id)
    try:
        session = bookings.join(booking, request.user)
    except ReadingError as error:
        messages.error(request, str(error))
        return redirect("readings:booking", public_id=booking.public_id)
    return redirect_for(
        request, reverse("readings:session", kwargs={"public_id": session.public_id})
    )


@role_required("client", "reader")
@require_POST
def booking_cancel(request, public_id):
    booking = _booking_or_404(request, public_id)
    try:
        bookings.cancel(booking, request.user, reason=request.POST.get("reason", "")[:300])
    except ReadingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Booking cancelled.")
    return redirect("readings:booking", public_id=booking.public_id)


@role_required("reader")
@require_POST
def booking_accept(request, public_id):
    booking = _booking_or_404(request, public_id, role="reader")
    try:
        bookings.accept(booking, request.user)
    except ReadingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Booking confirmed. The client has been told.")
    return redirect("readings:booking", public_id=booking.public_id)


@role_required("reader")
@require_POST
def booking_decline(request, public_id):
    booking = _booking_or_404(request, public_id, role="reader")
    try:
        bookings.decline(booking, request.user, reason=request.POST.get("reason", "")[:300])
    except ReadingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Request declined. The client's money is released.")
    return redirect("readings:booking", public_id=booking.public_id)


# My bookings ------------------------------------------------------------------------------------


PAST_SHOWN = 20


@role_required("client", "reader")
@require_GET
def my_bookings(request):
    """Client: upcoming and past. Reader: requests to answer, upcoming and past (and their own
    bookings with other readers, if any)."""
    user = request.user
    context = {
        "zone": viewer_zone(request),
        "is_reader": user.is_reader,
        "client_upcoming": list(selectors.bookings_for_client(user, upcoming=True)),
        "client_past": list(selectors.bookings_for_client(user, upcoming=False)[:PAST_SHOWN]),
    }
    if user.is_reader:
        upcoming = list(selectors.bookings_for_reader(user, upcoming=True))
        context.update(
            requests=[b for b in upcoming if b.state == State.PENDING],
            reader_upcoming=[b for b in upcoming if b.state != State.PENDING],
            reader_past=list(selectors.bookings_for_reader(user, upcoming=False)[:PAST_SHOWN]),
            auto_accept=ReaderPage.objects.filter(user=user, auto_accept_bookings=True).exists(),
        )
    return render(request, "readings/bookings/list.html", context)


MY_READINGS_PAGE_SIZE = 20


@role_required("client", "reader")
@require_GET
def my_readings(request):
    """A client's readings: upcoming bookings, then every reading that took place (reader,
    channel, length, cost, summary and transcript, the review, "book again"), newest first,
    then past bookings that did not take place."""
    from django.core.paginator import Paginator

    user = request.user
    paginator = Paginator(selectors.readings_for_client(user), MY_READINGS_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "zone": viewer_zone(request),
        "upcoming": list(selectors.bookings_for_client(user, upcoming=True)),
        "page_obj": page_obj,
        "readings": [selectors.past_reading(session) for session in page_obj],
        "missed": (
            list(selectors.bookings_that_did_not_happen(user)[:PAST_SHOWN])
            if page_obj.number == 1
            else []
        ),
    }
    return render(request, "readings/mine.html", context)


@role_required("reader")
@require_GET
def reader_bookings_summary(request):
    """HTMX fragment for the reader's desk: requests to answer and the next confirmed booking."""
    upcoming = list(selectors.bookings_for_reader(request.user, upcoming=True)[:20])
    context = {
        "zone": viewer_zone(request),
        "requests": [b for b in upcoming if b.state == State.PENDING],
        "next_booking": next((b for b in upcoming if b.state != State.PENDING), None),
    }
    return render(request, "readings/bookings/_desk_summary.html", context)
