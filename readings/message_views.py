"""The inbox: threads, one thread (messages, paid questions and replies, follow-ups), asking a
reader for a paid message reading, the reader's offers, attachments, blocking, and the small
fragments the header, the reader's page and the reader's desk load.

Views are thin: who may write what, prices, reservations, holds for review and blocks are
decided by ``readings.messaging``; a refused action shows the service's message beside the form
and changes nothing. A thread, a paid request and an attachment are looked up by their
``public_id`` *scoped to the signed-in user* (one of the thread's two people); anyone else gets
404. Held messages and their files exist only for their sender (``message_selectors``).

HTMX: forms post in place (the answer is the thread's body, or the form again with its error,
status 200 so HTMX swaps it); the thread polls every ``THREAD_POLL_SECONDS`` and gets 204 while
nothing changed.
"""

import hashlib
import os
import uuid
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.ratelimit import rate_limit
from home.http import redirect_for
from home.storage import serves_files_itself
from readers.models import ReaderPage
from wallet.money import format_cents
from wallet.selectors import wallet_summary

from . import message_selectors as selectors
from . import messaging
from .booking_forms import valid_zone
from .errors import MessagingError
from .message_forms import (
    AskForm,
    InboxSearchForm,
    MessageForm,
    OfferForm,
    new_idempotency_key,
)
from .models import MessageAttachment, MessageOffer, MessageRequest

THREAD_POLL_SECONDS = 10
BADGE_POLL_SECONDS = 45
INBOX_PAGE_SIZE = 30
DESK_REQUESTS_SHOWN = 5
SEND_POSTS_PER_MINUTE = 20
ASK_POSTS_PER_MINUTE = 10
OFFER_POSTS_PER_MINUTE = 30
BLOCK_POSTS_PER_MINUTE = 10
# A presigned attachment link works this long (the page asks the view again for a new one).
ATTACHMENT_LINK_SECONDS = 300
UTC = zoneinfo.ZoneInfo("UTC")
# The posts of a thread (``/messages/<id>/<action>/``): a refused one goes back to the thread.
THREAD_ACTIONS = ("/send/", "/reply/", "/block/", "/unblock/")


def _private(response):
    """Per-person HTML: never kept by a shared cache, nor by the browser for later."""
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def _key(prefix):
    return lambda request: f"readings:{prefix}:{request.user.pk}"


def _too_many(request):
    """Over a rate limit: said as a message, nothing sent; back to the thread (or the page)."""
    text = "You're sending a lot in a short time. Wait a minute and try again."
    if request.htmx:
        return HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
    messages.error(request, text)
    target = request.path
    if target.endswith(THREAD_ACTIONS):
        target = target.rsplit("/", 2)[0] + "/"
    return redirect(target)


def _zone(user):
    return valid_zone(getattr(user, "timezone", "")) or UTC


# The inbox --------------------------------------------------------------------------------------


@role_required("client", "reader")
@require_GET
def inbox(request):
    """Every thread of the signed-in user, both sides: those owing a paid reply first (by
    deadline), then by last message; search narrows them in place (HTMX)."""
    user = request.user
    form = InboxSearchForm(request.GET)
    query = form.query()
    paginator = Paginator(selectors.inbox_threads(user, query=query), INBOX_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "query": query,
        "page_obj": page_obj,
        "rows": [selectors.inbox_row(thread, user) for thread in page_obj],
        "zone": _zone(user),
        "is_reader": user.is_reader,
    }
    if request.htmx and request.htmx.target == "inbox-results":
        return _private(render(request, "readings/messages/_inbox_results.html", context))
    return _private(render(request, "readings/messages/inbox.html", context))


# One thread -------------------------------------------------------------------------------------


def _thread_or_404(request, public_id):
    thread = selectors.thread_for(request.user, public_id)
    if thread is None:
        raise Http404("No such conversation.")
    return thread


def _thread_context(request, thread, *, form=None, error="", needs_top_up=False):
    """Everything a thread page shows to ``request.user`` (a constant number of queries)."""
    user = request.user
    role = "client" if thread.client_id == user.pk else "reader"
    other = thread.reader if role == "client" else thread.client
    shown = selectors.thread_messages(thread, user)
    awaiting = selectors.open_request(thread)
    held_kind = awaiting.held_kind if awaiting else None
    if role == "reader" and held_kind == "question":
        # The question is with staff: it has not reached the reader yet.
        awaiting = held_kind = None
    i_blocked, they_blocked = selectors.blocks_between(user, other)
    other_read_at = thread.reader_read_at if role == "client" else thread.client_read_at
    my_read_at = thread.client_read_at if role == "client" else thread.reader_read_at
    now = timezone.now()
    follow_ups_open = bool(thread.follow_ups_until and thread.follow_ups_until > now)
    if i_blocked or they_blocked:
        mode = "blocked"
    elif role == "reader" and held_kind == "reply":
        mode = "reply_held"
    elif role == "reader":
        mode = "reply" if awaiting else "message"
    elif follow_ups_open:
        mode = "follow_up"
    elif awaiting:
        mode = "waiting"
    else:
        mode = "ask"
    reader_page = (
        ReaderPage.objects.live()
        .filter(user_id=thread.reader_id)
        .only("id", "title", "url_path", "display_name", "user_id")
        .first()
    )
    offers = []
    if role == "client" and mode in ("ask", "follow_up") and awaiting is None:
        offers = list(selectors.offers_of(thread.reader)) if reader_page else []
    if form is None and mode in ("reply", "message", "follow_up"):
        form = MessageForm()
    if form is not None:
        form.fields["body"].label = _body_label(mode)
    mode_key = f"{mode}:{awaiting.public_id if awaiting else ''}:{held_kind or ''}"
    receipt = selectors.last_read_message(shown, user, other_read_at)
    first_new = None
    for message in shown:
        message.mine = message.sender_id == user.pk
        message.first_new = False
        if (
            first_new is None
            and not message.mine
            and (my_read_at is None or selectors.delivered_at(message) > my_read_at)
        ):
            first_new = message
    if first_new is not None and my_read_at is not None:
        # Only a thread read before has a "New" line; a first visit is all new.
        first_new.first_new = True
    name = thread.client.public_name if role == "reader" else _reader_name(thread, reader_page)
    return {
        "thread": thread,
        "role": role,
        "other": other,
        "other_name": name,
        "reader_page": reader_page,
        "thread_messages": shown,
        "shown_limit": selectors.THREAD_MESSAGES_SHOWN,
        "receipt": receipt,
        "my_read_at": my_read_at,
        "awaiting": awaiting,
        "held_kind": held_kind,
        "mode": mode,
        "mode_key": mode_key,
        "i_blocked": i_blocked,
        "they_blocked": they_blocked,
        "follow_ups_open": follow_ups_open,
        "follow_up_days": settings.MESSAGE_FOLLOW_UP_DAYS,
        "offers": offers,
        "form": form,
        "compose": _compose(thread, mode, awaiting, name, follow_ups_open, _zone(user)),
        "error": error,
        "needs_top_up": needs_top_up,
        "zone": _zone(user),
        "poll_seconds": THREAD_POLL_SECONDS,
        "version": _version(shown, other_read_at, mode_key),
    }


def _compose(thread, mode, awaiting, other_name, follow_ups_open, zone):
    """Where the thread's box posts, its button and the line beside it."""
    if mode == "reply":
        return {
            "url": reverse("readings:message_reply", args=[thread.public_id]),
            "label": "Send your reading",
            "note": "Sending it completes the paid reading.",
            "request": awaiting.public_id,
        }
    send_url = reverse("readings:message_send", args=[thread.public_id])
    if mode == "follow_up":
        return {"url": send_url, "label": "Send follow-up", "note": "Free: nothing is charged."}
    if mode == "message":
        if follow_ups_open:
            until = timezone.localtime(thread.follow_ups_until, zone).strftime("%a %-d %b, %H:%M")
            note = f"Free. {other_name} can write back for free until {until}."
        else:
            note = f"Free. To write again, {other_name} asks you for a paid reading."
        return {"url": send_url, "label": "Send", "note": note}
    return {}


def _reader_name(thread, reader_page):
    return reader_page.display_name if reader_page else thread.reader.public_name


def _body_label(mode):
    return {
        "reply": "Your reading",
        "follow_up": "Follow-up message",
        "message": "Message",
    }.get(mode, "Message")


def _version(shown, other_read_at, mode_key):
    """What the thread's poll compares: the messages shown (and their review state), when the
    other side last read, and which box the page offers."""
    parts = [f"{m.pk}:{m.review}" for m in shown]
    parts.append(other_read_at.isoformat() if other_read_at else "")
    parts.append(mode_key)
    return hashlib.blake2s("|".join(parts).encode(), digest_size=8).hexdigest()


def _mark_read_if_new(request, thread, context):
    if selectors.unseen_by(context["thread_messages"], request.user, context["my_read_at"]):
        messaging.mark_read(request.user, thread)
        selectors.forget_unread(request.user)


@role_required("client", "reader")
@require_GET
def thread_page(request, public_id):
    """One conversation. Opening it marks it read. The HTMX poll (``?v=`` the version the page
    shows) gets 204 while nothing changed, else the fresh messages (and the box below them
    when it changed too: a reply arrived, the follow-up window closed)."""
    thread = _thread_or_404(request, public_id)
    context = _thread_context(request, thread)
    _mark_read_if_new(request, thread, context)
    if request.htmx and "v" in request.GET:
        if request.GET["v"] == context["version"]:
            return _private(HttpResponse(status=204))
        context["actions_oob"] = request.GET.get("mode", "") != context["mode_key"]
        return _private(render(request, "readings/messages/_thread_live.html", context))
    return _private(render(request, "readings/messages/thread.html", context))


def _answer(request, thread, *, sent=None, form=None, error="", needs_top_up=False, ok=""):
    """After a post in a thread: HTMX gets the thread's body (messages and a fresh box, or the
    box with its error, status 200 so it is swapped), a plain post a redirect or the page."""
    failed = bool(error or (form is not None and form.errors))
    # The services moved the thread on (read times, the follow-up window).
    thread.refresh_from_db()
    if request.htmx:
        context = _thread_context(
            request, thread, form=form if failed else None, error=error, needs_top_up=needs_top_up
        )
        context["sent_notice"] = "" if failed else ok
        context["sent_held"] = sent is not None and sent.review == sent.Review.HELD
        return _private(render(request, "readings/messages/_thread_body.html", context))
    if not failed:
        if ok:
            messages.success(request, ok)
        return redirect("readings:message_thread", public_id=thread.public_id)
    context = _thread_context(request, thread, form=form, error=error, needs_top_up=needs_top_up)
    status = 409 if error else 400
    return _private(render(request, "readings/messages/thread.html", context, status=status))


def _sent_note(message):
    if message.review == message.Review.HELD:
        return messaging.HELD_NOTICE
    return ""


@role_required("client", "reader")
@require_POST
@rate_limit(
    key=_key("message-send"),
    limit=SEND_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def thread_send(request, public_id):
    """A free message: the client's follow-up while the window is open, or the reader's."""
    thread = _thread_or_404(request, public_id)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _answer(request, thread, form=form)
    try:
        message = messaging.send(
            request.user,
            thread,
            form.cleaned_data["body"],
            attachments=form.cleaned_data["attachments"],
        )
    except MessagingError as refused:
        return _answer(
            request, thread, form=form, error=str(refused), needs_top_up=refused.needs_top_up
        )
    selectors.forget_unread(thread.client_id, thread.reader_id)
    return _answer(request, thread, sent=message, ok=_sent_note(message))


@role_required("reader")
@require_POST
@rate_limit(
    key=_key("message-send"),
    limit=SEND_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def thread_reply(request, public_id):
    """The reader's answer to the thread's paid question: it captures the reservation."""
    thread = _thread_or_404(request, public_id)
    paid = (
        MessageRequest.objects.filter(
            public_id=_uuid_or_none(request.POST.get("request")),
            thread=thread,
            thread__reader=request.user,
        )
        .select_related("thread")
        .first()
    )
    if paid is None:
        raise Http404("No such question.")
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _answer(request, thread, form=form)
    try:
        message = messaging.reply(
            request.user,
            paid,
            form.cleaned_data["body"],
            attachments=form.cleaned_data["attachments"],
        )
    except MessagingError as refused:
        return _answer(request, thread, form=form, error=str(refused))
    selectors.forget_unread(thread.client_id, thread.reader_id)
    note = _sent_note(message) or (
        f"Reply sent: the reading is complete and your share of {format_cents(paid.price_cents)} "
        "is in your earnings."
    )
    return _answer(request, thread, sent=message, ok=note)


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


# Asking for a paid message reading --------------------------------------------------------------


def _reader_page_or_404(page_id):
    page = get_object_or_404(
        ReaderPage.objects.live().select_related("user"), pk=page_id, user__isnull=False
    )
    return page


@role_required("client", "reader")
@require_http_methods(["GET", "POST"])
@rate_limit(
    key=_key("message-ask"),
    limit=ASK_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def message_new(request, page_id):
    """GET: the reader's offers (price and reply time), the question, files, the balance.
    POST: ask (``messaging.ask`` reserves the price); then the thread."""
    page = _reader_page_or_404(page_id)
    reader = page.user
    offers = selectors.offers_of(reader)
    own = reader.pk == request.user.pk
    existing = None if own else messaging.thread_for(request.user, reader)
    waiting = selectors.open_request(existing) if existing else None
    if request.method == "POST" and not own:
        form = AskForm(request.POST, request.FILES, offers=offers)
    else:
        initial = {"idempotency_key": new_idempotency_key()}
        chosen = request.GET.get("offer", "")
        if chosen.isdigit():
            initial["offer"] = int(chosen)
        form = AskForm(initial=initial, offers=offers)
    error, needs_top_up, status = "", False, 200
    if request.method == "POST" and not own:
        if form.is_valid():
            data = form.cleaned_data
            try:
                asked = messaging.ask(
                    request.user,
                    reader,
                    data["offer"],
                    data["body"],
                    attachments=data["attachments"],
                    idempotency_key=data["idempotency_key"],
                )
            except MessagingError as refused:
                error, needs_top_up, status = str(refused), refused.needs_top_up, 409
            else:
                selectors.forget_unread(reader)
                question = getattr(asked, "question", None)
                if question is not None and question.review == question.Review.HELD:
                    messages.warning(request, messaging.HELD_NOTICE)
                else:
                    messages.success(
                        request,
                        f"Sent to {page.display_name}. {format_cents(asked.price_cents)} is "
                        "reserved in your wallet until they reply.",
                    )
                return redirect_for(
                    request,
                    reverse("readings:message_thread", args=[asked.thread.public_id]),
                )
        else:
            status = 400
    balance = wallet_summary(request.user, request).balance
    offer_list = list(offers)
    chosen = form["offer"].value()
    chosen_offer = next((o for o in offer_list if str(o.pk) == str(chosen)), None)
    if chosen_offer is None and len(offer_list) == 1:
        chosen_offer = offer_list[0]
    context = {
        "page": page,
        "form": form,
        "offers": offer_list,
        "chosen_offer": chosen_offer,
        "own": own,
        "thread": existing,
        "waiting": waiting,
        "balance": balance,
        "short_cents": max((chosen_offer.price_cents if chosen_offer else 0) - balance, 0),
        "error": error,
        "needs_top_up": needs_top_up,
        "follow_up_days": settings.MESSAGE_FOLLOW_UP_DAYS,
        "zone": _zone(request.user),
    }
    return _private(render(request, "readings/messages/new.html", context, status=status))


# The reader's offers ----------------------------------------------------------------------------


def _limits():
    from home.models import MarketplaceSettings

    return MarketplaceSettings.current()


@role_required("reader")
@require_http_methods(["GET", "POST"])
@rate_limit(
    key=_key("message-offers"),
    limit=OFFER_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def message_offers(request):
    """The reader's message readings: the active ones (retire), and a form to add one within
    the staff's limits."""
    limits = _limits()
    form = OfferForm(limits=limits)
    error, status = "", 200
    if request.method == "POST":
        if request.POST.get("action") == "retire":
            offer = get_object_or_404(
                MessageOffer,
                pk=_int_or_none(request.POST.get("offer")),
                reader=request.user,
                active=True,
            )
            try:
                messaging.retire_offer(request.user, offer)
            except MessagingError as refused:
                messages.error(request, str(refused))
            else:
                messages.success(
                    request,
                    f"“{offer.title}” is no longer offered. Questions already asked keep it.",
                )
            return redirect("readings:message_offers")
        form = OfferForm(request.POST, limits=limits)
        if form.is_valid():
            try:
                offer = messaging.save_offer(
                    request.user,
                    title=form.cleaned_data["title"],
                    price_cents=form.price_cents,
                    reply_hours=form.cleaned_data["reply_hours"],
                )
            except MessagingError as refused:
                error, status = str(refused), 400
            else:
                messages.success(
                    request,
                    f"“{offer.title}” is on your page: {format_cents(offer.price_cents)}, reply "
                    f"within {offer.reply_hours} hours.",
                )
                return redirect("readings:message_offers")
        else:
            status = 400
    page = ReaderPage.objects.filter(user=request.user).only("id", "url_path", "live").first()
    context = {
        "offers": list(selectors.offers_of(request.user)),
        "form": form,
        "error": error,
        "limits": limits,
        "page": page,
        "follow_up_days": settings.MESSAGE_FOLLOW_UP_DAYS,
    }
    return _private(render(request, "readings/messages/offers.html", context, status=status))


def _int_or_none(value):
    return int(value) if str(value or "").isdigit() else None


# Attachments ------------------------------------------------------------------------------------


@role_required("client", "reader")
@require_GET
def message_attachment(request, public_id):
    """A message's file, for the thread's two people only; a held (or removed) message's files
    for its sender only. The disk storage streams it; S3 sends a presigned link of a few
    minutes. Never cached."""
    user = request.user
    attachment = (
        MessageAttachment.objects.filter(public_id=public_id)
        .filter(Q(message__thread__client=user) | Q(message__thread__reader=user))
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise Http404("No such file.")
    message = attachment.message
    if message.sender_id != user.pk and not message.is_visible_to_other_side:
        raise Http404("No such file.")
    inline = attachment.content_type.startswith(("image/", "audio/"))
    file = attachment.file
    if not serves_files_itself(file.storage):
        disposition = "inline" if inline else "attachment"
        url = file.storage.url(
            file.name,
            expire=ATTACHMENT_LINK_SECONDS,
            parameters={
                "ResponseContentType": attachment.content_type,
                "ResponseContentDisposition": f'{disposition}; filename="{_ascii(attachment)}"',
            },
        )
        response = redirect(url)
        patch_cache_control(response, private=True, no_store=True)
        return response
    response = FileResponse(
        file.open("rb"),
        as_attachment=not inline,
        filename=attachment.name or os.path.basename(file.name),
        content_type=attachment.content_type,
    )
    # The file is someone's upload: it may be shown, never run as a page of ours.
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    patch_cache_control(response, private=True, no_store=True)
    return response


def _ascii(attachment):
    name = attachment.name or "attachment"
    return "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)


# Blocking ---------------------------------------------------------------------------------------


def _block_action(request, public_id, action, success):
    thread = _thread_or_404(request, public_id)
    other = thread.reader if thread.client_id == request.user.pk else thread.client
    try:
        action(request.user, other)
    except MessagingError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, success)
    return redirect_for(request, reverse("readings:message_thread", args=[thread.public_id]))


@role_required("client", "reader")
@require_POST
@rate_limit(
    key=_key("message-block"),
    limit=BLOCK_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def message_block(request, public_id):
    return _block_action(
        request,
        public_id,
        messaging.block,
        "Blocked. Neither of you can message, book or start a reading with the other; anything "
        "reserved between you was released.",
    )


@role_required("client", "reader")
@require_POST
@rate_limit(
    key=_key("message-block"),
    limit=BLOCK_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def message_unblock(request, public_id):
    return _block_action(request, public_id, messaging.unblock, "Unblocked.")


# Fragments: the header's badge, the reader page's button, the desk's card ------------------------


@require_GET
def unread_badge(request):
    """The header's Inbox badges (both the bar's and the menu's, out of band), polled every
    ``BADGE_POLL_SECONDS``. Signed out (the session ended meanwhile): nothing to swap."""
    if not request.user.is_authenticated:
        return _private(HttpResponse(status=204))
    context = {"count": selectors.fresh_unread(request.user), "oob": True}
    return _private(render(request, "readings/messages/_unread_badges.html", context))


@require_GET
def reader_page_offers(request, page_id):
    """The reader page's "Send a message reading" box (swapped into the stored page after it
    loads): only when the reader has active offers, and never for two people one of whom
    blocked the other. The reader sees a link to their own offers instead."""
    page = get_object_or_404(
        ReaderPage.objects.live().only("id", "title", "url_path", "display_name", "user_id"),
        pk=page_id,
    )
    user = request.user
    own = user.is_authenticated and user.pk == page.user_id
    offers = list(selectors.offers_of(page.user_id)) if page.user_id else []
    blocked = False
    if offers and user.is_authenticated and not own:
        blocked = any(selectors.blocks_between(user, page.user_id))
    context = {
        "page": page,
        "offers": [] if blocked else offers,
        "lowest_cents": min((offer.price_cents for offer in offers), default=0),
        "own": own,
        "start_url": reverse("readings:message_new", args=[page.pk]),
        "login_url": reverse("accounts:login")
        + "?"
        + urlencode({"next": reverse("readings:message_new", args=[page.pk])}),
    }
    return _private(render(request, "readings/messages/_reader_page_offers.html", context))


@role_required("reader")
@require_GET
def desk_messages(request):
    """The reader's desk card: paid questions waiting for a reply (soonest deadline first)
    and how many expired unanswered."""
    awaiting = selectors.awaiting_requests(request.user)
    context = {
        "awaiting": list(awaiting[:DESK_REQUESTS_SHOWN]),
        "awaiting_count": awaiting.count(),
        "missed": selectors.missed_count(request.user),
        "zone": _zone(request.user),
    }
    return _private(render(request, "readings/messages/_desk_card.html", context))
