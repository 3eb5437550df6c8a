"""Reading pages: start, waiting screen, reading room, summary, transcript, the reader's desk.

Views are thin: they look the reading up by its ``public_id`` *scoped to the signed-in user* (the
client or the reader of that reading; anyone else gets 404) and call ``readings.services``.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.ratelimit import rate_limit
from home.http import redirect_for
from readers.models import startable_channels
from wallet.selectors import wallet_summary

from . import agora, chat, selectors, services
from .errors import ReadingError
from .forms import PresenceForm, ReaderNoteForm, StartReadingForm
from .models import LIVE_STATES, QueueEntry, ReadingSession

State = ReadingSession.State
FINISHED_UNSERVED = (State.DECLINED, State.CANCELLED, State.EXPIRED)


def _session_or_404(request, public_id):
    session = chat.participant_session(public_id, request.user)
    if session is None:
        raise Http404("No such reading.")
    return session


def _start_limited(request):
    return render(
        request,
        "readings/start.html",
        {"error": "You've started several readings in a short time. Wait a minute and try again."},
        status=429,
    )


def _start_key(request):
    return f"readings:start:{request.user.pk}"


def _channels_offered():
    return startable_channels()


# Starting a reading -----------------------------------------------------------------------------


@login_required
@rate_limit(key=_start_key, limit=6, window_seconds=60, on_limited=_start_limited)
def start(request):
    """GET: a confirm page with the price and the balance. POST: ask the reader."""
    form = StartReadingForm(request.POST if request.method == "POST" else request.GET or None)
    context = {"form": form, "balance": wallet_summary(request.user, request).balance}
    if not form.is_valid():
        context["error"] = "Choose a reader and a way to talk first."
        return render(request, "readings/start.html", context, status=400)
    page = form.cleaned_data["reader"]
    channel = form.cleaned_data["channel"]
    context.update(
        page=page,
        channel=channel,
        channel_label=ReadingSession.Channel(channel).label,
        rate_cents=getattr(page, f"{channel}_rate_cents"),
    )
    if channel not in _channels_offered():
        context["error"] = "Voice and video readings are not available right now. Chat works."
        return render(request, "readings/start.html", context, status=400)
    if request.method != "POST":
        return render(request, "readings/start.html", context)
    try:
        session = services.request_reading(request.user, page, channel)
    except ReadingError as error:
        context["error"] = str(error)
        context["needs_topup"] = error.needs_top_up
        return render(request, "readings/start.html", context, status=409)
    return redirect("readings:session", public_id=session.public_id)


# One reading ------------------------------------------------------------------------------------


@login_required
@require_GET
def session_page(request, public_id):
    """The reading's one address: waiting screen, room or summary depending on its state."""
    session = _session_or_404(request, public_id)
    role = chat.role_of(session, request.user)
    context = {"session": session, "role": role}
    if session.state == State.REQUESTED or session.state in FINISHED_UNSERVED:
        if role == "reader" and session.state == State.REQUESTED:
            return redirect("readings:reader_desk")
        return render(request, "readings/waiting.html", context)
    if session.state in LIVE_STATES:
        return render(request, "readings/room.html", _room_context(request, session, role))
    return render(request, "readings/summary.html", _summary_context(request, session, role))


def _room_context(request, session, role):
    balance = wallet_summary(session.client).balance
    context = {
        "session": session,
        "role": role,
        "other_name": chat.display_name(session.reader if role == "client" else session.client),
        "messages_so_far": [chat.message_frame(m, session) for m in chat.transcript(session)],
        "balance": balance if role == "client" else None,
        "minutes_left": balance // session.rate_cents,
        "media": session.channel != ReadingSession.Channel.CHAT and agora.is_configured(),
        "ws_path": f"/ws/readings/{session.public_id}/",
        "max_message_length": chat.MAX_MESSAGE_LENGTH,
    }
    if role == "reader":
        note = chat.reader_note_for(request.user, session.client)
        context["note_form"] = ReaderNoteForm(initial={"body": note.body if note else ""})
    return context


def _summary_context(request, session, role):
    context = {
        "session": session,
        "role": role,
        "summary": services.summary(session),
        "other_name": chat.display_name(session.reader if role == "client" else session.client),
        "message_count": session.messages.count(),
        "review_status": _review_status(session, role),
    }
    if role == "reader":
        note = chat.reader_note_for(request.user, session.client)
        context["note_form"] = ReaderNoteForm(initial={"body": note.body if note else ""})
    return context


def _review_status(session, role):
    """The client reviews on the summary; the reader sees the review once written."""
    from readers.forms import ReviewForm
    from readers.services import REVIEW_MIN_PAID_MINUTES, review_status

    status = review_status(session.client, session)
    if role != "client" and status.review is None:
        return None
    return {
        "status": status,
        "form": ReviewForm() if role == "client" and status.can_review else None,
        "min_paid_minutes": REVIEW_MIN_PAID_MINUTES,
    }


@login_required
@require_GET
def waiting_status(request, public_id):
    """HTMX poll of the waiting screen: the countdown panel, or a redirect once answered."""
    session = _session_or_404(request, public_id)
    if session.state != State.REQUESTED:
        return redirect_for(
            request, reverse("readings:session", kwargs={"public_id": session.public_id})
        )
    return render(request, "readings/_waiting_status.html", {"session": session})


def _act(request, public_id, action, *, success=None):
    session = _session_or_404(request, public_id)
    try:
        action(session)
    except ReadingError as error:
        messages.error(request, str(error))
    else:
        if success:
            messages.success(request, success)
    return session


@login_required
@require_POST
def cancel(request, public_id):
    _act(request, public_id, lambda s: services.cancel(s, request.user))
    return redirect("readings:session", public_id=public_id)


@login_required
@require_POST
def end(request, public_id):
    _act(request, public_id, lambda s: services.end(s, request.user))
    return redirect("readings:session", public_id=public_id)


@login_required
@require_POST
def accept(request, public_id):
    session = _act(request, public_id, lambda s: services.accept(s, request.user))
    if session.state in LIVE_STATES:
        return redirect("readings:session", public_id=public_id)
    return redirect("readings:reader_desk")


@login_required
@require_POST
def decline(request, public_id):
    _act(request, public_id, lambda s: services.decline(s, request.user), success="Declined.")
    return redirect("readings:reader_desk")


@login_required
@require_GET
def transcript(request, public_id):
    session = _session_or_404(request, public_id)
    response = HttpResponse(chat.transcript_text(session), content_type="text/plain; charset=utf-8")
    started = session.started_at or session.created_at
    response["Content-Disposition"] = (
        f'attachment; filename="soulseer-reading-{started:%Y-%m-%d}-{str(session.public_id)[:8]}'
        '.txt"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def media_token(request, public_id):
    """Agora credentials for a live voice/video reading (fetched again before they expire)."""
    session = _session_or_404(request, public_id)
    if (
        session.state not in LIVE_STATES
        or session.channel == ReadingSession.Channel.CHAT
        or not agora.is_configured()
    ):
        raise Http404("No media for this reading.")
    balance = wallet_summary(session.client).balance
    credentials = agora.rtc_credentials(session, request.user, balance_cents=balance)
    response = JsonResponse(credentials.as_dict())
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def save_note(request, public_id):
    session = _session_or_404(request, public_id)
    if chat.role_of(session, request.user) != "reader":
        raise Http404("No such reading.")
    form = ReaderNoteForm(request.POST)
    saved = False
    if form.is_valid():
        chat.save_reader_note(request.user, session.client, form.cleaned_data["body"])
        saved = True
    if request.htmx:
        return render(
            request,
            "readings/_note_form.html",
            {"session": session, "note_form": form, "saved": saved},
            status=200 if saved else 400,
        )
    if saved:
        messages.success(request, "Note saved.")
    return redirect("readings:session", public_id=public_id)


# The reader's desk ------------------------------------------------------------------------------


def _reader_page_of(user):
    return getattr(user, "reader_page", None)


@role_required("reader")
def reader_desk(request):
    """Presence toggle, incoming requests (polled), the live reading, recent readings."""
    from .presence import presence_timeout, record_heartbeat

    page = _reader_page_of(request.user)
    record_heartbeat(request.user)
    context = _desk_context(request)
    context.update(
        page=page,
        presence_form=PresenceForm(initial={"presence": page.presence if page else "offline"}),
        presence_timeout_seconds=int(presence_timeout().total_seconds()),
        recent=ReadingSession.objects.filter(reader=request.user)
        .exclude(state__in=[State.REQUESTED, *LIVE_STATES])
        .select_related("client")
        .order_by("-created_at")[:10],
    )
    return render(request, "readings/reader_desk.html", context)


def _desk_context(request):
    sessions = (
        ReadingSession.objects.filter(
            reader=request.user, state__in=[State.REQUESTED, *LIVE_STATES]
        )
        .select_related("client")
        .order_by("created_at")
    )
    from .presence import ACTIVE_QUEUE_STATES

    return {
        "incoming": [s for s in sessions if s.state == State.REQUESTED],
        "live": next((s for s in sessions if s.state in LIVE_STATES), None),
        # Clients waiting in the reader's "call me when free" line (they get their turn in
        # order as soon as the reader is free).
        "in_line": QueueEntry.objects.filter(
            reader=request.user, state__in=ACTIVE_QUEUE_STATES
        ).count(),
        "poll_seconds": getattr(settings, "READING_DESK_POLL_SECONDS", 3),
    }


@role_required("reader")
@require_GET
def reader_incoming(request):
    """HTMX fragment polled by the desk every few seconds; the poll is the reader's heartbeat
    (online lapses without it, readings.presence.lapse_idle_readers)."""
    from .presence import record_heartbeat

    record_heartbeat(request.user)
    return render(request, "readings/_incoming.html", _desk_context(request))


@role_required("reader")
@require_POST
def reader_presence(request):
    from . import presence

    form = PresenceForm(request.POST)
    page = _reader_page_of(request.user)
    if page is None:
        messages.error(request, "Your reader profile is not set up yet.")
    elif form.is_valid():
        try:
            presence.set_presence(request.user, form.cleaned_data["presence"])
        except ReadingError as error:
            messages.error(request, str(error))
        else:
            label = dict(form.fields["presence"].choices)[form.cleaned_data["presence"]]
            messages.success(request, f"Your status is now: {label}.")
    return redirect("readings:reader_desk")


# "Call me when free": the reader page's actions panel and the reader's queue ---------------------


def _queue_page(page_id):
    from django.shortcuts import get_object_or_404

    from readers.models import ReaderPage

    pages = ReaderPage.objects.live().only(*selectors.QUEUE_PAGE_FIELDS)
    return get_object_or_404(pages, pk=page_id)


def _queue_panel(request, page, error=None):
    context = selectors.queue_panel_context(request.user, page)
    context["queue_error"] = str(error) if error else ""
    context["queue_needs_top_up"] = bool(error and error.needs_top_up)
    response = render(request, "readings/queue/_panel.html", context)
    # Per user and changing every few seconds: never cached anywhere.
    response["Cache-Control"] = "private, no-store"
    return response


def _queue_answer(request, page, action, success):
    """Run a queue action; HTMX gets the fresh panel (errors shown in it, status 200 so HTMX
    swaps it), a plain form post is redirected back to the reader's page."""
    error = None
    try:
        action()
    except ReadingError as exc:
        error = exc
    if request.htmx:
        return _queue_panel(request, page, error)
    if error:
        messages.error(request, str(error))
    elif success:
        messages.success(request, success)
    return redirect(page.url or "/readers/")


@require_GET
def queue_panel(request, page_id):
    """HTMX poll while the visitor is in a reader's line: their place, or their turn."""
    return _queue_panel(request, _queue_page(page_id))


@login_required
@require_POST
def queue_join(request, page_id):
    from . import presence

    page = _queue_page(page_id)
    return _queue_answer(
        request,
        page,
        lambda: presence.join_queue(request.user, page),
        "You're in line. Keep the reader's page open: your turn shows up there.",
    )


@login_required
@require_POST
def queue_leave(request, page_id):
    from . import presence

    page = _queue_page(page_id)
    return _queue_answer(
        request, page, lambda: presence.leave_queue(request.user, page), "You left the line."
    )


@login_required
@require_POST
def queue_pass(request, page_id):
    """The client lets their turn go: they leave the line and the next client gets the turn."""
    from . import presence

    page = _queue_page(page_id)
    return _queue_answer(
        request,
        page,
        lambda: presence.leave_queue(request.user, page),
        "You passed; the next client in line gets the turn.",
    )
