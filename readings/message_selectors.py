"""What the inbox, a thread, the header and the reader's desk show of messages, always scoped to
the person asking.

Two rules hold in every read here:

* a message held for review (or removed by staff) exists only for its sender: nobody else sees
  its text, counts it as unread or gets it as a thread's preview;
* a list costs the same number of queries however many threads or messages it shows (the
  previews, unread counts and deadlines are subqueries of the one thread query).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Left

from readers.models import ReaderPage

from .models import Block, Message, MessageOffer, MessageRequest, MessageThread

# What the other side of a thread may see: messages never held, and those staff cleared.
VISIBLE_TO_OTHERS = (Message.Review.NONE, Message.Review.CLEARED)
PREVIEW_CHARS = 140
# A thread page shows the latest messages; older ones are rarely reread and would only slow it.
THREAD_MESSAGES_SHOWN = 200
# Before any read: every message of a thread is newer.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# The header's count is kept this long at most (the views that change it forget it sooner).
UNREAD_CACHE_SECONDS = 60

Awaiting = MessageRequest.State.AWAITING


def _mine(user):
    return Q(client=user) | Q(reader=user)


def visible_messages(user):
    """The messages ``user`` may see: all they sent, and the others' unless held or removed."""
    return Message.objects.filter(Q(sender=user) | Q(review__in=VISIBLE_TO_OTHERS))


def _held_of_request():
    return Message.objects.filter(request=OuterRef("pk"), review=Message.Review.HELD)


def _delivered():
    """When a message reached the other side: when sent, or when staff cleared it."""
    return Coalesce(F("reviewed_at"), F("created_at"))


def delivered_at(message):
    return message.reviewed_at or message.created_at


def _read_since(user):
    """A thread's ``*_read_at`` of ``user``'s side (the epoch when never read)."""
    return Coalesce(
        Case(
            When(client=user, then=F("client_read_at")),
            default=F("reader_read_at"),
            output_field=DateTimeField(),
        ),
        Value(NEVER),
    )


# The inbox ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    """One thread as ``user`` sees it in their inbox."""

    thread: MessageThread
    role: str  # "client" or "reader": user's side of this thread
    other: object  # the other person (a User)
    other_name: str
    preview: str  # the last message user may see ("" when none)
    preview_mine: bool
    preview_held: bool  # user's own last message waits for review
    last_at: datetime | None
    unread: int
    deadline: datetime | None  # an awaiting paid request's reply deadline

    @property
    def awaits_my_reply(self):
        return self.role == "reader" and self.deadline is not None


def inbox_threads(user, *, query=""):
    """``user``'s threads (as client and as reader) for the inbox: those where ``user`` owes a
    paid reply first, soonest deadline first, then the rest by their last message. ``query``
    narrows them to threads whose messages (those ``user`` may see) or whose other person's
    name contain it. One query however many threads; pass the rows to ``inbox_row``."""
    last = visible_messages(user).filter(thread=OuterRef("pk")).order_by("-created_at", "-id")
    unread = (
        Message.objects.filter(thread=OuterRef("pk"), review__in=VISIBLE_TO_OTHERS)
        .exclude(sender=user)
        .alias(delivered=_delivered())
        .filter(delivered__gt=OuterRef("read_since"))
        .order_by()
        .values("thread")
        .annotate(count=Count("pk"))
        .values("count")
    )
    # A request with a held question or reply has no running deadline (the sweep leaves it).
    awaiting = MessageRequest.objects.filter(thread=OuterRef("pk"), state=Awaiting).exclude(
        Exists(_held_of_request())
    )
    reader_name = ReaderPage.objects.filter(user=OuterRef("reader_id")).values("display_name")
    threads = (
        # A thread whose only message is someone else's held question is not in my inbox yet.
        MessageThread.objects.filter(_mine(user), Exists(last))
        .select_related("client", "reader")
        .annotate(
            read_since=_read_since(user),
            preview=Left(Subquery(last.values("body")[:1]), PREVIEW_CHARS + 1),
            preview_sender_id=Subquery(last.values("sender_id")[:1]),
            preview_review=Subquery(last.values("review")[:1]),
            preview_at=Subquery(last.values("created_at")[:1]),
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
            deadline=Subquery(awaiting.values("deadline")[:1]),
            reader_name=Subquery(reader_name[:1]),
        )
        .annotate(
            owes_reply=Case(
                When(reader=user, deadline__isnull=False, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    )
    query = (query or "").strip()
    if query:
        threads = threads.filter(_matches(user, query))
    return threads.order_by(
        "owes_reply",
        F("deadline").asc(nulls_last=True),
        F("preview_at").desc(nulls_last=True),
        "-id",
    )


def _matches(user, query):
    """A thread ``user`` may see that says ``query`` or whose other person is called it."""
    said = visible_messages(user).filter(thread=OuterRef("pk"), body__icontains=query)
    reader_named = (
        Q(reader_name__icontains=query)
        | Q(reader__display_name__icontains=query)
        | Q(reader__username__icontains=query)
    )
    client_named = (
        Q(client__display_name__icontains=query)
        | Q(client__first_name__icontains=query)
        | Q(client__username__icontains=query)
    )
    return Exists(said) | (Q(client=user) & reader_named) | (Q(reader=user) & client_named)


def inbox_row(thread, user):
    """The ``InboxRow`` of a thread from ``inbox_threads(user)`` (no query)."""
    role = "client" if thread.client_id == user.pk else "reader"
    other = thread.reader if role == "client" else thread.client
    preview = thread.preview or ""
    if len(preview) > PREVIEW_CHARS:
        preview = preview[:PREVIEW_CHARS].rstrip() + "…"
    return InboxRow(
        thread=thread,
        role=role,
        other=other,
        other_name=other_name(thread, role),
        preview=preview,
        preview_mine=thread.preview_sender_id == user.pk,
        preview_held=thread.preview_review in (Message.Review.HELD, Message.Review.REMOVED),
        last_at=thread.preview_at,
        unread=thread.unread,
        deadline=thread.deadline,
    )


def other_name(thread, role):
    """What the inbox calls the other person: a reader by their page's name, a client by theirs."""
    if role == "client":
        return getattr(thread, "reader_name", None) or thread.reader.public_name
    return thread.client.public_name


def unread_total(user):
    """Messages waiting for ``user`` in all their threads (the header's badge), in one query."""
    return (
        Message.objects.filter(review__in=VISIBLE_TO_OTHERS)
        .exclude(sender=user)
        .alias(delivered=_delivered())
        .filter(
            Q(
                thread__client=user,
                delivered__gt=Coalesce(F("thread__client_read_at"), Value(NEVER)),
            )
            | Q(
                thread__reader=user,
                delivered__gt=Coalesce(F("thread__reader_read_at"), Value(NEVER)),
            )
        )
        .count()
    )


def _unread_key(user_id):
    return f"inbox:unread:{user_id}"


def header_unread(user):
    """``unread_total`` as the header shows it on every page: from the cache (no query) when a
    recent page or poll counted it, else counted once and kept ``UNREAD_CACHE_SECONDS``. The
    views that change it (a message sent, a thread read, a held message cleared) forget it."""
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = unread_total(user)
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count


def fresh_unread(user):
    """Count again and keep it for the header (the header's poll)."""
    count = unread_total(user)
    cache.set(_unread_key(user.pk), count, UNREAD_CACHE_SECONDS)
    return count


def forget_unread(*users):
    """After this transaction commits, the header counts these people's unread messages anew."""
    keys = [_unread_key(getattr(user, "pk", user)) for user in users]
    transaction.on_commit(lambda: cache.delete_many(keys))


# One thread --------------------------------------------------------------------------------------


def thread_for(user, public_id):
    """The thread ``public_id`` if ``user`` is one of its two people, else None."""
    return (
        MessageThread.objects.filter(_mine(user), public_id=public_id)
        .select_related("client", "reader")
        .first()
    )


def thread_messages(thread, user, *, limit=THREAD_MESSAGES_SHOWN):
    """The latest ``limit`` messages of ``thread`` that ``user`` may see, oldest first, with
    their paid request and attachments (two queries however many)."""
    latest = (
        visible_messages(user)
        .filter(thread=thread)
        .select_related("request")
        .prefetch_related("attachments")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(reversed(latest))


def open_request(thread):
    """The thread's paid request that waits for the reader's reply, or None; ``held_kind``
    says whether its question or its reply is held for review (None: neither)."""
    held = Message.objects.filter(request=OuterRef("pk"), review=Message.Review.HELD)
    return (
        MessageRequest.objects.filter(thread=thread, state=Awaiting)
        .annotate(held_kind=Subquery(held.values("kind")[:1]))
        .first()
    )


def blocks_between(user, other):
    """``(user blocked other, other blocked user)`` in one query (``other``: a user or an id)."""
    other = getattr(other, "pk", other)
    pairs = set(
        Block.objects.filter(
            Q(blocker=user, blocked=other) | Q(blocker=other, blocked=user)
        ).values_list("blocker_id", flat=True)
    )
    return user.pk in pairs, other in pairs


def last_read_message(messages, user, other_read_at):
    """Of ``messages`` (a thread's, oldest first), ``user``'s latest one the other side can see,
    when the other side has read the thread since it was sent (the "Read" receipt); else None."""
    for message in reversed(messages):
        if message.sender_id == user.pk and message.review in VISIBLE_TO_OTHERS:
            if other_read_at is not None and other_read_at >= delivered_at(message):
                return message
            return None
    return None


def unseen_by(messages, user, read_at):
    """True when ``messages`` has one from the other side that ``user`` has not read."""
    return any(
        m.sender_id != user.pk and (read_at is None or delivered_at(m) > read_at) for m in messages
    )


# Offers and the reader's desk --------------------------------------------------------------------


def offers_of(reader):
    """``reader``'s active message offers, quickest reply first."""
    return MessageOffer.objects.filter(reader=reader, active=True).order_by(
        "reply_hours", "price_cents", "id"
    )


def awaiting_requests(reader):
    """Paid requests waiting for ``reader``'s reply, soonest deadline first, with their client
    (not those whose question or reply is held for review: nothing to do until staff clear)."""
    return (
        MessageRequest.objects.filter(thread__reader=reader, state=Awaiting)
        .exclude(Exists(_held_of_request()))
        .select_related("thread__client")
        .order_by("deadline", "id")
    )


def missed_count(reader):
    """Paid requests ``reader`` let expire (no reply in time: the client got their money back)."""
    return MessageRequest.objects.filter(
        thread__reader=reader, state=MessageRequest.State.EXPIRED
    ).count()
