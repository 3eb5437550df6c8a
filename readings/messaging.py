"""Paid message readings and the client-reader inbox. Views, the admin and tasks call these;
nothing else writes ``MessageOffer``, ``MessageThread``, ``MessageRequest``, ``Message``,
``MessageAttachment`` or ``Block`` rows.

Public API
----------
``save_offer(reader, *, title, price_cents, reply_hours, offer=None) -> MessageOffer``
``retire_offer(reader, offer) -> MessageOffer``
``thread_for(client, reader, *, create=False) -> MessageThread | None``
``ask(client, reader, offer, body, attachments=(), *, idempotency_key) -> MessageRequest``
``send(user, thread, body, attachments=()) -> Message``             a free message
``reply(reader, request, body, attachments=()) -> Message``         the paid reply (captures)
``expire_due(now=None, limit=500) -> int``                          the deadline sweep
``remind_due(now=None, limit=500) -> int``                          deadlines close: the reader
``mark_read(user, thread)``
``clear_held(staff_user, message) -> Message`` / ``remove_held(staff_user, message, reason)``
``block(user, other) -> Block`` / ``unblock(user, other) -> bool``
``validate_attachment(uploaded) -> CheckedFile`` / ``validate_attachments(files)``
``thread_url(thread) -> str``
``is_blocked`` and ``check_not_blocked`` live in ``readings.blocks``; contact detection in
``readings.contact``.

Every function owns its transaction and raises a ``readings.errors.MessagingError`` subclass
(its message fit for the person asking) with nothing changed when it refuses.

Rules (numbers in ``soulseer/settings/base.py``, ``MESSAGE_*``, and the staff's limits in
``MarketplaceSettings.message_*``)
-----------------------------------------------------------------------------------------
* Money moves only through ``wallet.sales``: a question opens one purchase (kind message, sold
  by the reader, reference ``message:<client id>:<idempotency key>``) and reserves the offer's
  price; the paid reply captures all of it (reader's share to earnings, the rest to the
  platform); no reply by the deadline, a block, or staff removing the question releases it.
  A request is resolved exactly once: reply, the sweep, a block and a staff removal each lock
  its row and re-check that it is still awaiting.
* The deadline is ``reply_hours`` after the question reaches the reader. A reply that comes
  after it loses to the deadline even before the sweep ran: the reservation is released then
  and there and the reader is told ("the time ran out, the client was refunded").
* Free follow-ups: the reader may always write in a thread; the client until
  ``follow_ups_until`` (``MESSAGE_FOLLOW_UP_DAYS`` after the last paid reply), then by asking
  for another paid reading.
* Contact details (``readings.contact``) hold a message for staff (``review`` held): only its
  sender sees it and nobody is notified until staff clear it. A held question keeps its money
  reserved but its deadline starts only when it is cleared (the sweep never expires a request
  while its question or its reply is held); a held reply answers the question, and is paid,
  only when cleared. Removing a held question releases its money; removing a held reply leaves
  the question waiting with its first deadline (the reader may answer again in time, else the
  sweep refunds the client).
* Blocks work both ways (``readings.blocks``); making one releases every reservation between
  the two (waiting questions, pending and accepted bookings with no fee, queue places, open
  reading requests; a live reading between them ends).

Lock order: the pair's advisory lock (``blocks.lock_pair``), the thread row, the request row,
then the ledger's (holds, accounts in id order). The sweeps lock request rows only
(``SKIP LOCKED``), so they never wait on a reply and never deadlock with one.
"""

import logging
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse

from home.audit import record_event
from wallet import sales
from wallet.errors import InsufficientFunds, SpendingLimitReached
from wallet.money import format_cents

from . import bookings, presence, services
from .blocks import check_can_deal, lock_pair
from .contact import find_contact_details
from .errors import (
    AttachmentRefused,
    CannotMessageYourself,
    FollowUpsClosed,
    MessageBalanceTooLow,
    MessageInvalid,
    MessageSpendingLimit,
    MessagingError,
    NotAReader,
    NotInThread,
    OfferInvalid,
    OfferUnavailable,
    ReplyPending,
    RequestAlreadyOpen,
    RequestClosed,
    RequestExpired,
    ReviewRefused,
)
from .models import (
    Block,
    Booking,
    Message,
    MessageAttachment,
    MessageOffer,
    MessageRequest,
    MessageThread,
    QueueEntry,
    ReadingSession,
)
from .rules import apply_transition, db_now, marketplace_settings

logger = logging.getLogger(__name__)

Kind = Message.Kind
Review = Message.Review
RequestState = MessageRequest.State

# What the sender of a held message is told (the UI shows it beside the message).
HELD_NOTICE = (
    "This message shares contact details, so it is held until our team checks it. "
    "The other side will see it once it is cleared."
)
EMAIL_TASK = "readings.tasks.send_message_email"


# Settings ---------------------------------------------------------------------------------------


def max_chars():
    return int(getattr(settings, "MESSAGE_MAX_CHARS", 5000))


def follow_up_window():
    return timedelta(days=int(getattr(settings, "MESSAGE_FOLLOW_UP_DAYS", 7)))


def reminder_window():
    return timedelta(hours=int(getattr(settings, "MESSAGE_REMINDER_HOURS", 2)))


def attachment_max_bytes():
    return int(getattr(settings, "MESSAGE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def attachments_per_message():
    return int(getattr(settings, "MESSAGE_ATTACHMENTS_PER_MESSAGE", 3))


# Helpers ----------------------------------------------------------------------------------------


def _name(user):
    return getattr(user, "public_name", None) or str(user)


def thread_url(thread):
    """The path of ``thread``'s page (``/messages/<public_id>/`` until the UI names its URL)."""
    try:
        return reverse("readings:message_thread", args=[thread.public_id])
    except NoReverseMatch:
        return f"/messages/{thread.public_id}/"


def _absolute(path):
    return f"{getattr(settings, 'SITE_URL', '').rstrip('/')}{path}"


def send_notification_email(address, subject, text):
    """The email of a notification (``readings.tasks.send_message_email`` runs it)."""
    send_mail(subject[:200], text, None, [address])


def _notify(user, title, body, thread):
    """In-app notification now (inside the caller's transaction), an email through Celery
    after commit."""
    from readers.models import Notification

    url = thread_url(thread)
    Notification.objects.create(
        user=user, kind=Notification.Kind.MESSAGE, title=title[:200], url=url[:300]
    )
    email = getattr(user, "email", "")
    if not email:
        return
    subject = f"SoulSeer: {title}"
    text = f"{body}\n\n{_absolute(url)}"
    transaction.on_commit(lambda: current_app.tasks[EMAIL_TASK].delay(email, subject, text))


def _role(thread, user):
    if user is None:
        return None
    if user.pk == thread.client_id:
        return "client"
    if user.pk == thread.reader_id:
        return "reader"
    return None


def _other(thread, user):
    return thread.reader if user.pk == thread.client_id else thread.client


def _clean_body(body):
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise MessageInvalid("Write a message first.")
    if len(text) > max_chars():
        raise MessageInvalid(
            f"Messages can be at most {max_chars():,} characters; this one has {len(text):,}."
        )
    return text


def _locked_thread(thread):
    return (
        MessageThread.objects.select_for_update(of=("self",))
        .select_related("client", "reader")
        .get(pk=thread.pk)
    )


def _has_held(request_pk=None):
    """``Exists`` of a held message of the request (``OuterRef`` when ``request_pk`` is None)."""
    return Exists(
        Message.objects.filter(
            request_id=OuterRef("pk") if request_pk is None else request_pk,
            review=Review.HELD,
        )
    )


def _refresh(target, source):
    for field in type(source)._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


# Attachments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed ``validate_attachment``: the file, its type by content, size and
    the name to show (its extension made to agree with the content)."""

    file: object
    content_type: str
    extension: str
    size: int
    name: str


ALLOWED_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "wav": "audio/wav",
    "pdf": "application/pdf",
}


def sniff(head):
    """The extension of an allowed file type from the file's first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[4:8] == b"ftyp":
        # An MPEG-4 file is audio only with an audio brand (a video is refused).
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(len(head), 64), 4)}
        if brands & {b"M4A ", b"M4B "}:
            return "m4a"
        return None
    # An ID3 tag, or an MPEG audio frame header (11 sync bits set; a JPEG's FF D8 is not).
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def _display_name(name, extension):
    base = os.path.basename((name or "").replace("\\", "/"))
    stem = os.path.splitext(base)[0]
    stem = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = re.sub(r"\s+", " ", stem)[:150] or "attachment"
    return f"{stem}.{extension}"


def validate_attachment(uploaded):
    """Check one upload by its content (JPEG, PNG, WebP or GIF images; MP3, M4A, OGG or WAV
    audio; PDF), never its name, and its size (``MESSAGE_ATTACHMENT_MAX_BYTES``). Returns a
    ``CheckedFile``; raises ``AttachmentRefused``."""
    limit = attachment_max_bytes()
    size = getattr(uploaded, "size", None)
    if size is None:
        raise AttachmentRefused("This file could not be read.")
    if size == 0:
        raise AttachmentRefused("This file is empty.")
    if size > limit:
        raise AttachmentRefused(
            f"{_display_name(uploaded.name, 'x')[:-2]} is {filesizeformat(size)}; attachments "
            f"can be at most {filesizeformat(limit)}."
        )
    position = uploaded.tell() if hasattr(uploaded, "tell") else 0
    uploaded.seek(0)
    head = uploaded.read(64)
    uploaded.seek(position)
    extension = sniff(head)
    if extension is None:
        raise AttachmentRefused(
            "Attachments can be images (JPEG, PNG, WebP, GIF), audio (MP3, M4A, OGG, WAV) or "
            "PDF files; this file is none of those."
        )
    return CheckedFile(
        file=uploaded,
        content_type=ALLOWED_TYPES[extension],
        extension=extension,
        size=size,
        name=_display_name(uploaded.name, extension),
    )


def validate_attachments(files):
    """Check a message's uploads (at most ``MESSAGE_ATTACHMENTS_PER_MESSAGE``); a list of
    ``CheckedFile``."""
    files = [f for f in (files or ()) if f]
    if len(files) > attachments_per_message():
        raise AttachmentRefused(
            f"You can attach at most {attachments_per_message()} files to one message."
        )
    return [f if isinstance(f, CheckedFile) else validate_attachment(f) for f in files]


def _store_attachments(message, checked, stored):
    """Save the checked files into the private storage under names of our own (``stored``
    collects them, so a rolled-back message leaves no file behind)."""
    for item in checked:
        attachment = MessageAttachment(
            message=message, content_type=item.content_type, size=item.size, name=item.name
        )
        item.file.seek(0)
        attachment.file.save(f"{uuid.uuid4().hex}.{item.extension}", item.file, save=False)
        stored.append(attachment.file.name)
        attachment.save()


def _delete_files(names):
    from home.storage import private_storage

    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete the attachment %s of a rolled-back message", name)


class _Writing:
    """Deletes the files a failed transaction stored (a context around ``transaction.atomic``)."""

    def __init__(self):
        self.stored = []

    def __enter__(self):
        return self.stored

    def __exit__(self, kind, error, tb):
        if kind is not None and self.stored:
            _delete_files(self.stored)
        return False


# Offers -----------------------------------------------------------------------------------------


def _check_offer_terms(title, price_cents, reply_hours):
    market = marketplace_settings()
    title = (title or "").strip()
    if not title:
        raise OfferInvalid("Give the offer a title, such as “24-hour reading”.")
    if len(title) > 80:
        raise OfferInvalid("Keep the title to 80 characters.")
    low, high = market.message_price_min_cents, market.message_price_max_cents
    if not isinstance(price_cents, int) or not low <= price_cents <= high:
        raise OfferInvalid(f"Set a price from {format_cents(low)} to {format_cents(high)}.")
    low, high = market.message_reply_hours_min, market.message_reply_hours_max
    if not isinstance(reply_hours, int) or not low <= reply_hours <= high:
        raise OfferInvalid(f"Promise a reply within {low} to {high} hours.")
    return title


def save_offer(reader, *, title, price_cents, reply_hours, offer=None):
    """Create a message offer for ``reader``, or change ``offer`` (theirs, active). Price and
    reply time must lie within the staff's limits (``OfferInvalid`` says which). An offer a
    client has already bought is never edited: it is retired and a new one made with the new
    terms, so every request keeps what it was promised. Returns the offer now in force."""
    if not getattr(reader, "is_reader", False):
        raise NotAReader("Only readers can offer message readings.")
    title = _check_offer_terms(title, price_cents, reply_hours)
    with transaction.atomic():
        if offer is None:
            saved = MessageOffer.objects.create(
                reader=reader, title=title, price_cents=price_cents, reply_hours=reply_hours
            )
            record_event(
                "message.offer_saved",
                actor=reader,
                target=saved,
                price_cents=price_cents,
                reply_hours=reply_hours,
            )
            return saved
        locked = MessageOffer.objects.select_for_update().filter(pk=offer.pk, reader=reader).first()
        if locked is None or not locked.active:
            raise OfferUnavailable("This offer was retired; create a new one instead.")
        if MessageRequest.objects.filter(offer=locked).exists():
            locked.active = False
            locked.save(update_fields=["active"])
            record_event("message.offer_retired", actor=reader, target=locked, replaced=True)
            saved = MessageOffer.objects.create(
                reader=reader, title=title, price_cents=price_cents, reply_hours=reply_hours
            )
            record_event(
                "message.offer_saved",
                actor=reader,
                target=saved,
                price_cents=price_cents,
                reply_hours=reply_hours,
                replaces=locked.pk,
            )
            return saved
        locked.title, locked.price_cents, locked.reply_hours = title, price_cents, reply_hours
        locked.save(update_fields=["title", "price_cents", "reply_hours"])
        record_event(
            "message.offer_saved",
            actor=reader,
            target=locked,
            price_cents=price_cents,
            reply_hours=reply_hours,
        )
    return _refresh(offer, locked)


def retire_offer(reader, offer):
    """``reader`` stops selling ``offer`` (their own). Questions already asked on it keep their
    terms. Retiring twice is a no-op."""
    with transaction.atomic():
        locked = MessageOffer.objects.select_for_update().filter(pk=offer.pk, reader=reader).first()
        if locked is None:
            raise OfferUnavailable("This is not one of your offers.")
        if locked.active:
            locked.active = False
            locked.save(update_fields=["active"])
            record_event("message.offer_retired", actor=reader, target=locked)
    return _refresh(offer, locked)


# Threads ----------------------------------------------------------------------------------------


def thread_for(client, reader, *, create=False):
    """The conversation between ``client`` and ``reader`` (``None`` when there is none and
    ``create`` is false). Creating refuses yourself and anyone who is not a reader."""
    thread = MessageThread.objects.filter(client=client, reader=reader).first()
    if thread is not None or not create:
        return thread
    if client.pk == reader.pk:
        raise CannotMessageYourself()
    if not getattr(reader, "is_reader", False):
        raise NotAReader()
    try:
        with transaction.atomic():
            return MessageThread.objects.create(client=client, reader=reader)
    except IntegrityError:
        return MessageThread.objects.get(client=client, reader=reader)


def mark_read(user, thread):
    """``user`` (either side) has read ``thread`` now. Returns the time, or raises
    ``NotInThread``."""
    role = _role(thread, user)
    if role is None:
        raise NotInThread()
    now = db_now()
    MessageThread.objects.filter(pk=thread.pk).update(**{f"{role}_read_at": now})
    setattr(thread, f"{role}_read_at", now)
    return now


def _write(thread, sender, body, checked, stored, *, kind=Kind.TEXT, request=None, now):
    """Save one message (held when it shares contact details) and its files; bumps the
    thread. Returns the message."""
    held = bool(find_contact_details(body))
    message = Message.objects.create(
        thread=thread,
        sender=sender,
        kind=kind,
        request=request,
        body=body,
        review=Review.HELD if held else Review.NONE,
    )
    _store_attachments(message, checked, stored)
    fields = {"last_message_at": now, f"{_role(thread, sender)}_read_at": now}
    MessageThread.objects.filter(pk=thread.pk).update(**fields)
    for name, value in fields.items():
        setattr(thread, name, value)
    if held:
        record_event(
            "message.held",
            actor=sender,
            target=message,
            thread=str(thread.public_id),
            kind=kind,
        )
    return message


# Paid questions ---------------------------------------------------------------------------------


def _reference(client, idempotency_key):
    return f"message:{client.pk}:{idempotency_key}"


def _request_by_reference(reference):
    return (
        MessageRequest.objects.filter(purchase__reference=reference)
        .select_related("thread", "purchase", "hold")
        .first()
    )


def _start_deadline(locked, now):
    """The question reached the reader at ``now``: its deadline counts from here; a rush
    reading shorter than the reminder window is not reminded on top of its first notice."""
    locked.deadline = now + timedelta(hours=locked.reply_hours)
    locked.reminded_at = now if timedelta(hours=locked.reply_hours) <= reminder_window() else None


def _notify_new_question(request, thread):
    _notify(
        thread.reader,
        f"New paid question from {_name(thread.client)}",
        f"{_name(thread.client)} sent you a paid question ({request.title}, "
        f"{format_cents(request.price_cents)}). Please reply by "
        f"{request.deadline:%a %d %b %Y, %H:%M} UTC: the payment is released back to them if "
        "you don't.",
        thread,
    )


def ask(client, reader, offer, body, attachments=(), *, idempotency_key):
    """``client`` asks ``reader`` a paid question on ``offer``: one transaction opens the
    purchase (kind message, sold by the reader) and reserves the offer's price from the
    client's wallet, and saves the question (with its attachments) in their thread, created
    on first use. The deadline is ``offer.reply_hours`` from now (from the staff's clearing,
    when the question shares contact details and is held). The same ``idempotency_key`` again
    returns the first request and charges nothing more.

    Refuses, with nothing reserved: either side blocked, yourself, a retired or someone else's
    offer, an empty or too long text, a file we don't take, another question of this thread
    still awaiting its reply, too little balance (``MessageBalanceTooLow``, ``needs_top_up``) or
    a spending limit. The returned request carries ``question``, the message saved (its
    ``review`` is held when staff must check it first: show ``HELD_NOTICE``)."""
    reference = _reference(client, idempotency_key)
    existing = _request_by_reference(reference)
    if existing is not None:
        return _with_question(existing)
    if client.pk == reader.pk:
        raise CannotMessageYourself()
    if not getattr(reader, "is_reader", False):
        raise NotAReader()
    if offer is None:
        raise OfferUnavailable("Choose one of the reader's message readings.")
    check_can_deal(client, reader, lock=False)
    text = _clean_body(body)
    checked = validate_attachments(attachments)
    try:
        with _Writing() as stored, transaction.atomic():
            check_can_deal(client, reader)
            thread = _locked_thread(thread_for(client, reader, create=True))
            existing = _request_by_reference(reference)
            if existing is not None:
                return _with_question(existing)
            current = MessageOffer.objects.filter(pk=offer.pk, reader=reader, active=True).first()
            if current is None:
                raise OfferUnavailable()
            if thread.requests.filter(state=RequestState.AWAITING).exists():
                raise RequestAlreadyOpen()
            price = current.price_cents
            try:
                sales.check_can_pay(client, price)
            except InsufficientFunds as error:
                raise MessageBalanceTooLow(
                    f"This message reading costs {format_cents(price)} and your wallet has "
                    f"{format_cents(error.balance or 0)}. Top up to send it."
                ) from error
            purchase = sales.open_purchase(
                client=client,
                seller=reader,
                kind=sales.SaleKind.MESSAGE,
                reference=reference,
                description=f"Message reading with {_name(reader)}: {current.title}",
                detail_url=thread_url(thread),
                metadata={
                    "thread": str(thread.public_id),
                    "offer": current.pk,
                    "reply_hours": current.reply_hours,
                },
            )
            held = sales.reserve(
                purchase,
                price,
                idempotency_key=f"{reference}:reserve",
                description=f"Reserved: message reading with {_name(reader)}"[:200],
                metadata={"thread": str(thread.public_id)},
            )
            now = db_now()
            request = MessageRequest(
                thread=thread,
                offer=current,
                title=current.title,
                price_cents=price,
                reply_hours=current.reply_hours,
                purchase=purchase,
                hold=held,
            )
            _start_deadline(request, now)
            request.save(force_insert=True)
            question = _write(
                thread, client, text, checked, stored, kind=Kind.QUESTION, request=request, now=now
            )
            record_event(
                "message.asked",
                actor=client,
                target=request,
                reader_id=reader.pk,
                price_cents=price,
                reply_hours=request.reply_hours,
                held=question.review == Review.HELD,
            )
            if question.review != Review.HELD:
                _notify_new_question(request, thread)
    except InsufficientFunds as error:
        raise MessageBalanceTooLow(
            f"This message reading costs {format_cents(offer.price_cents)}, more than your "
            "wallet has. Top up to send it."
        ) from error
    except SpendingLimitReached as error:
        raise MessageSpendingLimit(
            f"This message reading would go over your {error.period} spending limit. You can "
            "change your limits on your wallet page."
        ) from error
    except IntegrityError as error:
        if "readings_msgreq_one_open" in str(error):
            raise RequestAlreadyOpen() from error
        raise
    request.question = question
    return request


def _with_question(request):
    request.question = request.messages.filter(kind=Kind.QUESTION).first()
    return request


# Free messages ----------------------------------------------------------------------------------


def send(user, thread, body, attachments=()):
    """A free message in ``thread``: the reader may always write; the client only while
    ``follow_ups_until`` is in the future (otherwise ``FollowUpsClosed``: ask for a paid
    reading). Held for staff when it shares contact details (``HELD_NOTICE``)."""
    role = _role(thread, user)
    if role is None:
        raise NotInThread()
    text = _clean_body(body)
    checked = validate_attachments(attachments)
    with _Writing() as stored, transaction.atomic():
        check_can_deal(user, thread.reader if role == "client" else thread.client)
        locked = _locked_thread(thread)
        now = db_now()
        if role == "client" and (locked.follow_ups_until is None or locked.follow_ups_until <= now):
            if locked.follow_ups_until is None:
                raise FollowUpsClosed(
                    f"Free follow-ups open after {_name(locked.reader)} answers a paid question. "
                    "Ask for a paid message reading to write to them."
                )
            raise FollowUpsClosed(
                f"Your free follow-ups with {_name(locked.reader)} ended on "
                f"{locked.follow_ups_until:%d %b %Y}. Ask for a paid message reading to write "
                "to them again."
            )
        message = _write(locked, user, text, checked, stored, now=now)
    _refresh(thread, locked)
    return message


# The paid reply ---------------------------------------------------------------------------------


def _answer_locked(locked, thread, reply_message, now, actor):
    """Capture the whole reservation of a locked awaiting request answered by
    ``reply_message``, open the follow-ups and tell the client."""
    reader_cents = sales.capture(
        locked.purchase,
        locked.hold,
        locked.price_cents,
        description=f"Message reading with {_name(thread.reader)}: {locked.title}"[:200],
        metadata={"thread": str(thread.public_id), "request": str(locked.public_id)},
    )
    locked.state = RequestState.ANSWERED
    locked.resolved_at = now
    locked.save(update_fields=["state", "resolved_at"])
    sales.complete_purchase(locked.purchase_id, summary=f"Answered: {locked.title}")
    follow_ups = now + follow_up_window()
    MessageThread.objects.filter(pk=thread.pk).update(follow_ups_until=follow_ups)
    thread.follow_ups_until = follow_ups
    record_event(
        "message.replied",
        actor=actor,
        target=locked,
        message=reply_message.pk,
        price_cents=locked.price_cents,
        reader_cents=reader_cents,
    )
    _notify(
        thread.client,
        f"{_name(thread.reader)} answered your question",
        f"{_name(thread.reader)} replied to your message reading ({locked.title}). You can "
        f"send free follow-ups until {follow_ups:%a %d %b %Y}.",
        thread,
    )
    return reader_cents


def reply(reader, request, body, attachments=()):
    """The reader's paid reply to ``request``: captures the whole reservation (the reader's
    share to earnings, the commission to the platform), marks it answered and opens free
    follow-ups for ``MESSAGE_FOLLOW_UP_DAYS``. Races the deadline sweep safely: both lock the
    request row and exactly one resolves it. After the deadline (swept or not) the reply is
    refused with ``RequestExpired`` and the client is refunded. A reply that shares contact
    details is held: the question stays awaiting (the sweep leaves it alone) until staff clear
    the reply, which then captures. Returns the reply message."""
    thread = MessageThread.objects.select_related("client", "reader").get(pk=request.thread_id)
    if _role(thread, reader) != "reader":
        raise NotInThread()
    text = _clean_body(body)
    checked = validate_attachments(attachments)
    ran_out = False
    with _Writing() as stored, transaction.atomic():
        check_can_deal(reader, thread.client)
        thread = _locked_thread(thread)
        locked = (
            MessageRequest.objects.select_for_update(of=("self",))
            .select_related("purchase", "hold")
            .get(pk=request.pk)
        )
        _check_still_awaiting(locked)
        if Message.objects.filter(request=locked, review=Review.HELD).exists():
            held_kind = (
                Message.objects.filter(request=locked, review=Review.HELD)
                .values_list("kind", flat=True)
                .first()
            )
            if held_kind == Kind.REPLY:
                raise ReplyPending()
            raise RequestClosed("This question is being checked by our team; it is not open yet.")
        now = db_now()
        if now >= locked.deadline:
            ran_out = True
        else:
            message = _write(
                thread, reader, text, checked, stored, kind=Kind.REPLY, request=locked, now=now
            )
            if message.review != Review.HELD:
                _answer_locked(locked, thread, message, now, reader)
    if ran_out:
        # The deadline won: release now (its own transaction) rather than wait for the sweep.
        _expire_one(request.pk, db_now())
        raise RequestExpired()
    _refresh(request, locked)
    return message


def _check_still_awaiting(locked):
    if locked.state == RequestState.EXPIRED:
        raise RequestExpired()
    if locked.state == RequestState.ANSWERED:
        raise RequestClosed("This question has been answered already.")
    if locked.state == RequestState.CANCELLED:
        raise RequestClosed("This question was cancelled and its payment released.")


# Sweeps -----------------------------------------------------------------------------------------


def _release_locked(locked, now, *, state, description):
    sales.release(locked.purchase, locked.hold, description=description[:200])
    locked.state = state
    locked.resolved_at = now
    locked.save(update_fields=["state", "resolved_at"])
    sales.complete_purchase(locked.purchase_id, summary=f"{locked.get_state_display()}")


def _expire_one(pk, now):
    """Release one awaiting request past its deadline (locks it; a no-op when another
    transaction resolved it first or holds it, or when a message of it is held)."""
    with transaction.atomic():
        locked = (
            MessageRequest.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("purchase", "hold", "thread__client", "thread__reader")
            .filter(pk=pk, state=RequestState.AWAITING, deadline__lte=now)
            .first()
        )
        if locked is None or Message.objects.filter(request=locked, review=Review.HELD).exists():
            return False
        thread = locked.thread
        # ``now`` is the cut-off the sweep was given; what happened is stamped with the real time.
        at = db_now()
        _release_locked(
            locked,
            at,
            state=RequestState.EXPIRED,
            description=f"Released: no reply from {_name(thread.reader)} in time",
        )
        services.record_missed_request(thread.reader_id, at)
        record_event(
            "message.expired",
            target=locked,
            reader_id=thread.reader_id,
            price_cents=locked.price_cents,
        )
        _notify(
            thread.client,
            f"No reply from {_name(thread.reader)} in time",
            f"{_name(thread.reader)} did not answer your question ({locked.title}) within "
            f"{locked.reply_hours} hours. {format_cents(locked.price_cents)} is back in your "
            "wallet.",
            thread,
        )
    return True


def expire_due(now=None, limit=500):
    """The deadline sweep: every awaiting request past its deadline (none with a held
    question or reply) is released back to the client, who is told; the reader's missed count
    goes up. Idempotent and safe to run twice at once (each request is re-checked under its
    row lock, taken ``SKIP LOCKED``). Returns how many it released."""
    now = now or db_now()
    due = list(
        MessageRequest.objects.filter(state=RequestState.AWAITING, deadline__lte=now)
        .exclude(_has_held())
        .order_by("deadline")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if _expire_one(pk, now))


def remind_due(now=None, limit=500):
    """Tell each reader once when a question's deadline is ``MESSAGE_REMINDER_HOURS`` away or
    less (and not yet past). Safe to overlap and repeat. Returns how many were reminded."""
    now = now or db_now()
    reminded = 0
    with transaction.atomic():
        due = list(
            MessageRequest.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("thread__client", "thread__reader")
            .filter(
                state=RequestState.AWAITING,
                reminded_at__isnull=True,
                deadline__gt=now,
                deadline__lte=now + reminder_window(),
            )
            .exclude(_has_held())
            .order_by("deadline")[:limit]
        )
        for locked in due:
            locked.reminded_at = now
            locked.save(update_fields=["reminded_at"])
            thread = locked.thread
            minutes = max(int((locked.deadline - now).total_seconds() // 60), 1)
            left = f"{minutes} min"
            if minutes >= 60:
                left = f"{minutes // 60} h {minutes % 60:02d} min"
            _notify(
                thread.reader,
                f"{left} left to answer {_name(thread.client)}",
                f"{_name(thread.client)}'s paid question ({locked.title}) is due by "
                f"{locked.deadline:%a %d %b %Y, %H:%M} UTC. Without a reply by then the payment "
                "goes back to them.",
                thread,
            )
            reminded += 1
    return reminded


# Staff review of held messages ------------------------------------------------------------------


def _check_reviewer(staff_user):
    if staff_user is None or not staff_user.has_perm("readings.change_message"):
        raise ReviewRefused("Only staff who moderate messages can do this.")


def _locked_held(message):
    locked = (
        Message.objects.select_for_update(of=("self",))
        .select_related("thread__client", "thread__reader", "sender")
        .get(pk=message.pk)
    )
    if locked.review != Review.HELD:
        raise ReviewRefused(
            f"This message is not held any more ({locked.get_review_display().lower()})."
        )
    return locked


def _locked_request(pk):
    return (
        MessageRequest.objects.select_for_update(of=("self",))
        .select_related("purchase", "hold")
        .get(pk=pk)
    )


def clear_held(staff_user, message):
    """Staff let a held message through: the other side sees it and is notified. A cleared
    question starts its deadline now; a cleared reply answers its question (captures)."""
    _check_reviewer(staff_user)
    with transaction.atomic():
        # Thread, then request, then message: the order ``ask`` and ``reply`` take them.
        thread = _locked_thread(MessageThread(pk=message.thread_id))
        request = _locked_request(message.request_id) if message.request_id else None
        locked = _locked_held(message)
        now = db_now()
        locked.review = Review.CLEARED
        locked.reviewed_by = staff_user
        locked.reviewed_at = now
        locked.save(update_fields=["review", "reviewed_by", "reviewed_at"])
        record_event("message.cleared", actor=staff_user, target=locked, kind=locked.kind)
        MessageThread.objects.filter(pk=thread.pk).update(last_message_at=now)
        delivered = True
        if request is not None and request.state == RequestState.AWAITING:
            if locked.kind == Kind.QUESTION:
                _start_deadline(request, now)
                request.save(update_fields=["deadline", "reminded_at"])
                _notify_new_question(request, thread)
            elif locked.kind == Kind.REPLY:
                _answer_locked(request, thread, locked, now, staff_user)
        elif request is not None:
            delivered = locked.kind == Kind.TEXT
        other = _other(thread, locked.sender)
        _notify(
            locked.sender,
            f"Your message to {_name(other)} was delivered",
            f"Our team checked your message to {_name(other)} and delivered it."
            if delivered
            else f"Our team checked your message to {_name(other)}.",
            thread,
        )
    return _refresh(message, locked)


def remove_held(staff_user, message, reason):
    """Staff keep a held message hidden for good and tell its sender why (``reason`` is
    required). A removed question is cancelled and its money released; a removed reply leaves
    its question waiting with its first deadline."""
    _check_reviewer(staff_user)
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ReviewRefused("Say why the message is removed: its sender is told.")
    with transaction.atomic():
        thread = _locked_thread(MessageThread(pk=message.thread_id))
        request = _locked_request(message.request_id) if message.request_id else None
        locked = _locked_held(message)
        now = db_now()
        locked.review = Review.REMOVED
        locked.review_reason = reason
        locked.reviewed_by = staff_user
        locked.reviewed_at = now
        locked.save(update_fields=["review", "review_reason", "reviewed_by", "reviewed_at"])
        record_event(
            "message.removed", actor=staff_user, target=locked, kind=locked.kind, reason=reason
        )
        other = _other(thread, locked.sender)
        body = f"Our team removed your message to {_name(other)}: {reason}"
        if (
            request is not None
            and request.state == RequestState.AWAITING
            and locked.kind == Kind.QUESTION
        ):
            _release_locked(
                request,
                now,
                state=RequestState.CANCELLED,
                description=f"Released: question to {_name(thread.reader)} removed",
            )
            record_event("message.cancelled", actor=staff_user, target=request, reason="removed")
            body += f"\n\n{format_cents(request.price_cents)} is back in your wallet."
        elif locked.kind == Kind.REPLY and request is not None:
            if request.state == RequestState.AWAITING:
                body += (
                    f"\n\nThe question is still open until "
                    f"{request.deadline:%a %d %b %Y, %H:%M} UTC: reply again without contact "
                    "details to be paid."
                )
        _notify(locked.sender, f"Your message to {_name(other)} was removed", body, thread)
    return _refresh(message, locked)


# Blocking ---------------------------------------------------------------------------------------


def block(user, other):
    """``user`` blocks ``other``: from now neither can message, start a reading, book, join the
    other's line or a booked reading with them (``readings.blocks``). Everything reserved
    between them is released in the same transaction: waiting paid questions (released, the
    client told), pending and accepted bookings (cancelled through ``bookings.cancel`` with a
    full refund and its notice), queue places (left), open reading requests (cancelled) and a
    live reading (ended as the blocker ending it). Blocking again is a no-op. Returns the
    ``Block``."""
    if other is None or user.pk == other.pk:
        raise MessagingError("You cannot block yourself.")
    with transaction.atomic():
        lock_pair(user, other, exclusive=True)
        made, created = Block.objects.get_or_create(blocker=user, blocked=other)
        if not created:
            return made
        released = _release_between(user, other)
        record_event("block.added", actor=user, target=made, blocked_id=other.pk, **released)
    return made


def unblock(user, other):
    """``user`` lifts their block of ``other`` (the other's block of ``user``, if any, stays).
    Returns whether there was one."""
    with transaction.atomic():
        lock_pair(user, other, exclusive=True)
        deleted, _ = Block.objects.filter(blocker=user, blocked=other).delete()
        if deleted:
            record_event("block.lifted", actor=user, target=None, blocked_id=other.pk)
    return bool(deleted)


def _between(a, b, client_field="client", reader_field="reader"):
    return Q(**{client_field: a, reader_field: b}) | Q(**{client_field: b, reader_field: a})


def _involving(user, client_field="client", reader_field="reader"):
    return Q(**{client_field: user}) | Q(**{reader_field: user})


def release_everything_of(user, reason):
    """What a suspension releases: every awaiting question, pending or accepted booking, queue
    place and open or live reading ``user`` takes part in, on either side, each with the
    notice of a block (bookings with a full refund). Returns the counts."""
    with transaction.atomic():
        return _release(user, lambda **fields: _involving(user, **fields), reason=reason)


def _release_between(user, other):
    """Release what is reserved between the two (the caller holds the pair's lock)."""
    return _release(user, lambda **fields: _between(user, other, **fields), reason="Blocked")


def _release(user, where, *, reason):
    counts = {"questions": 0, "bookings": 0, "queue": 0, "readings": 0}
    now = db_now()
    pending = MessageRequest.objects.filter(
        state=RequestState.AWAITING,
        thread__in=MessageThread.objects.filter(where()),
    ).values_list("pk", flat=True)
    for pk in list(pending):
        locked = (
            MessageRequest.objects.select_for_update(of=("self",))
            .select_related("purchase", "hold", "thread__client", "thread__reader")
            .get(pk=pk)
        )
        if locked.state != RequestState.AWAITING:
            continue
        thread = locked.thread
        _release_locked(
            locked,
            now,
            state=RequestState.CANCELLED,
            description=f"Released: message reading with {_name(thread.reader)} cancelled",
        )
        record_event("message.cancelled", actor=user, target=locked, reason=reason.lower())
        _notify(
            thread.client,
            f"Your question to {_name(thread.reader)} was cancelled",
            f"Your message reading with {_name(thread.reader)} ({locked.title}) was cancelled. "
            f"{format_cents(locked.price_cents)} is back in your wallet.",
            thread,
        )
        counts["questions"] += 1
    for booking in Booking.objects.filter(
        where(), state__in=(Booking.State.PENDING, Booking.State.ACCEPTED)
    ):
        bookings.cancel(booking, user, reason=reason, waive_fee=True)
        counts["bookings"] += 1
    entries = QueueEntry.objects.select_for_update().filter(
        where(), state__in=(QueueEntry.State.WAITING, QueueEntry.State.OFFERED)
    )
    reoffer = set()
    for entry in entries:
        if entry.state == QueueEntry.State.OFFERED:
            reoffer.add(entry.reader_id)
        entry.state = QueueEntry.State.LEFT
        entry.save(update_fields=["state"])
        counts["queue"] += 1
    for reader_id in reoffer:
        presence.offer_next(reader_id)
    sessions = ReadingSession.objects.filter(
        where(),
        state__in=(
            ReadingSession.State.REQUESTED,
            ReadingSession.State.ACCEPTED,
            ReadingSession.State.ACTIVE,
            ReadingSession.State.PAUSED,
        ),
    ).values_list("pk", flat=True)
    for pk in list(sessions):
        counts["readings"] += _close_reading(pk, user)
    return counts


def _close_reading(pk, user):
    """Cancel a reading between the two that has not started, end one that has."""
    session = ReadingSession.objects.get(pk=pk)
    if session.state in (ReadingSession.State.ACTIVE, ReadingSession.State.PAUSED):
        services.end(session, user)
        return 1
    locked = ReadingSession.objects.select_for_update().get(pk=pk)
    if locked.state not in (ReadingSession.State.REQUESTED, ReadingSession.State.ACCEPTED):
        return 0
    was_accepted = locked.state == ReadingSession.State.ACCEPTED
    locked.ended_at = db_now()
    apply_transition(
        locked, ReadingSession.State.CANCELLED, user, reason="blocked", fields=["ended_at"]
    )
    if was_accepted:
        presence.mark_free(locked.reader_id)
    return 1
