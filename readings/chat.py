"""Chat of a live reading: the stored transcript and the reader's private notes per client.

Services (each owns its transaction):

- ``post_message(session_public_id, user, text)`` stores one message when ``user`` is a party of a
  reading that is still live (accepted, active or paused) and returns it; otherwise it raises
  ``ChatRefused`` and stores nothing. The session row is locked ``FOR SHARE`` while the message is
  written, so a message can never land after the ``ended`` transition has committed.
- ``save_reader_note(reader, client, body)`` keeps one private note per (reader, client) pair.

Reads: ``participant_session(public_id, user)`` scopes every lookup to the user's own readings,
``transcript_text(session)`` renders the downloadable transcript.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.ratelimit import check_rate_limit

from .models import LIVE_STATES, ChatMessage, ReaderNote, ReadingSession

MAX_MESSAGE_LENGTH = 2000
MAX_NOTE_LENGTH = 5000


class ChatRefused(Exception):
    """A chat message that may not be stored. ``code`` is machine readable, the text is for
    people."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def participant_session(public_id, user, *, queryset=None):
    """The reading ``public_id`` when ``user`` is its client or reader, else ``None``."""
    if user is None or not user.is_authenticated:
        return None
    queryset = queryset if queryset is not None else ReadingSession.objects.all()
    return (
        queryset.select_related("client", "reader", "reader_page")
        .filter(public_id=public_id)
        .filter(models_q_participant(user))
        .first()
    )


def models_q_participant(user):
    return Q(client=user) | Q(reader=user)


def role_of(session, user):
    if user.pk == session.client_id:
        return "client"
    if user.pk == session.reader_id:
        return "reader"
    return None


def display_name(user):
    return getattr(user, "display_name", "") or user.get_full_name() or user.username


def chat_rate_ok(user):
    """Rate limit on chat messages per user (``READING_CHAT_RATE``: messages per window)."""
    limit, window = getattr(settings, "READING_CHAT_RATE", (20, 10))
    return check_rate_limit(f"readings:chat:{user.pk}", limit, window)


def post_message(session_public_id, user, text):
    """Store ``text`` from ``user`` in the transcript of a live reading they take part in."""
    text = (text or "").strip()
    if not text:
        raise ChatRefused("empty", "Type a message first.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ChatRefused(
            "too_long", f"Messages can be at most {MAX_MESSAGE_LENGTH} characters long."
        )
    with transaction.atomic():
        session = (
            ReadingSession.objects.select_for_update(of=("self",), no_key=True)
            .filter(public_id=session_public_id)
            .filter(models_q_participant(user))
            .first()
        )
        if session is None:
            raise ChatRefused("not_found", "This reading does not exist.")
        if session.state not in LIVE_STATES:
            raise ChatRefused("ended", "This reading has ended; messages can no longer be sent.")
        return ChatMessage.objects.create(session=session, sender=user, body=text)


def message_frame(message, session):
    """The JSON frame for one stored message, as the room shows it."""
    return {
        "type": "chat",
        "id": message.pk,
        "sender": role_of(session, message.sender),
        "name": display_name(message.sender),
        "text": message.body,
        "sent_at": message.sent_at.isoformat(),
    }


def transcript(session):
    return list(session.messages.select_related("sender").order_by("sent_at", "id"))


def transcript_text(session):
    """Plain-text transcript: a header with the reading's facts, then one line per message."""
    tz = timezone.get_current_timezone()
    lines = [
        "SoulSeer reading transcript",
        f"Reading: {session.public_id}",
        f"Channel: {session.get_channel_display()}",
        f"Client: {display_name(session.client)}",
        f"Reader: {display_name(session.reader)}",
    ]
    if session.started_at:
        lines.append(f"Started: {session.started_at.astimezone(tz):%Y-%m-%d %H:%M:%S %Z}")
    if session.ended_at:
        lines.append(f"Ended: {session.ended_at.astimezone(tz):%Y-%m-%d %H:%M:%S %Z}")
    lines.append("")
    messages = transcript(session)
    if not messages:
        lines.append("(no chat messages)")
    for message in messages:
        when = message.sent_at.astimezone(tz).strftime("%H:%M:%S")
        body = message.body.replace("\r\n", "\n").replace("\n", "\n    ")
        lines.append(f"[{when}] {display_name(message.sender)}: {body}")
    return "\n".join(lines) + "\n"


def reader_note_for(reader, client):
    return ReaderNote.objects.filter(reader=reader, client=client).first()


def save_reader_note(reader, client, body):
    """Keep ``body`` as ``reader``'s private note about ``client`` (one note per pair).

    Only a reader who has had a reading with this client may keep a note about them."""
    body = (body or "").strip()
    if len(body) > MAX_NOTE_LENGTH:
        raise ValueError(f"Notes can be at most {MAX_NOTE_LENGTH} characters long.")
    if not ReadingSession.objects.filter(reader=reader, client=client).exists():
        raise PermissionError("You can keep notes only about your own clients.")
    with transaction.atomic():
        note, _ = ReaderNote.objects.update_or_create(
            reader=reader, client=client, defaults={"body": body}
        )
    return note
