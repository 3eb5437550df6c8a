"""Reports: anyone signed in may report a post, a thread, a review, a message, a reader's page or
a reading they can see, once each, with a reason. Enough reports from different people hide a
post or a thread at once, pending review (``FORUM_AUTO_HIDE_REPORTS``); everything reported
waits in the moderators' queue. Reporting a reading lets staff read its transcript.

``reportable(user, kind, ref)`` finds what a report names among what ``user`` may see (so a
guessed id reports nothing); ``report`` files it.
"""

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from accounts.ratelimit import check_rate_limit
from home.audit import Action, record_event
from readers.models import ReaderPage, Review
from readings.models import Message, ReadingSession

from . import selectors
from .errors import AlreadyReported, NotAllowed, PostingTooFast
from .models import Post, Report, Thread

REPORTS_PER_HOUR = 20
MAX_DETAILS = 1000

# What each kind of report names, as the report page's URL says it.
KINDS = {
    "post": "post",
    "thread": "thread",
    "review": "review",
    "message": "message",
    "reader": "reader_page",
    "reading": "session",
}
NOUNS = {
    "post": "post",
    "thread": "thread",
    "review": "review",
    "message": "message",
    "reader_page": "reader's page",
    "session": "reading",
}


def _uuid(ref):
    try:
        return uuid.UUID(str(ref))
    except ValueError:
        return None


def _int(ref):
    return int(ref) if str(ref).isdigit() else None


def reportable(user, kind, ref):
    """``(field, object)`` for the thing ``kind``/``ref`` names if ``user`` may see it, else
    ``(None, None)``."""
    field = KINDS.get(kind)
    found = None
    if field == "post" and _int(ref) is not None:
        found = (
            Post.objects.filter(
                pk=_int(ref),
                is_hidden=False,
                thread__is_hidden=False,
                thread__category__in=selectors.visible_boards(user),
            )
            .select_related("author", "thread")
            .first()
        )
    elif field == "thread" and _uuid(ref):
        found = Thread.objects.filter(
            public_id=_uuid(ref),
            is_hidden=False,
            category__in=selectors.visible_boards(user),
        ).first()
    elif field == "review" and _int(ref) is not None:
        found = Review.objects.filter(pk=_int(ref), is_hidden=False, reader_page__live=True).first()
    elif field == "message" and _int(ref) is not None:
        found = (
            Message.objects.filter(pk=_int(ref))
            .filter(Q(thread__client=user) | Q(thread__reader=user))
            .select_related("thread")
            .first()
        )
    elif field == "reader_page" and _int(ref) is not None:
        found = ReaderPage.objects.live().filter(pk=_int(ref)).first()
    elif field == "session" and _uuid(ref):
        found = (
            ReadingSession.objects.filter(public_id=_uuid(ref))
            .filter(Q(client=user) | Q(reader=user))
            .first()
        )
    return (field, found) if found is not None else (None, None)


def _subject_id(field, target, reporter):
    if field in ("post", "thread"):
        return target.author_id
    if field == "review":
        return target.client_id
    if field == "message":
        return target.sender_id
    if field == "reader_page":
        return target.user_id
    return target.reader_id if reporter.pk == target.client_id else target.client_id


def report(user, field, target, reason, details=""):
    """File ``user``'s report of ``target`` (a ``reportable`` result). Refused: your own
    content, a second report of the same thing, an unknown reason, "Something else" without
    details, too many reports in an hour. Hides a post or thread that has now been reported by
    ``FORUM_AUTO_HIDE_REPORTS`` different people (counted under the target's row lock, so
    concurrent reports each count once). Returns the ``Report``."""
    details = (details or "").strip()
    if reason not in Report.Reason.values:
        raise NotAllowed("Choose why you are reporting this.")
    if reason == Report.Reason.OTHER and not details:
        raise NotAllowed("Tell us what is wrong: “Something else” needs a few words.")
    if len(details) > MAX_DETAILS:
        raise NotAllowed(f"Keep the details under {MAX_DETAILS:,} characters.")
    subject_id = _subject_id(field, target, user)
    if subject_id == user.pk:
        raise NotAllowed(f"This is your own {NOUNS[field]}: you can't report it.")
    if Report.objects.filter(reporter=user, **{field: target}).exists():
        raise AlreadyReported()
    if not check_rate_limit(f"report:{user.pk}", REPORTS_PER_HOUR, 3600):
        raise PostingTooFast("You've sent a lot of reports in the last hour: please wait a while.")
    try:
        with transaction.atomic():
            if field in ("post", "thread"):
                type(target).objects.select_for_update().get(pk=target.pk)
            filed = Report.objects.create(
                reporter=user,
                subject_id=subject_id,
                reason=reason,
                details=details,
                **{field: target},
            )
            record_event(Action.REPORT_FILED, actor=user, target=filed, about=field, reason=reason)
            if field in ("post", "thread"):
                _hide_when_reported_enough(field, target)
    except IntegrityError as error:
        raise AlreadyReported() from error
    return filed


def _hide_when_reported_enough(field, target):
    reporters = (
        Report.objects.filter(status=Report.Status.OPEN, **{field: target})
        .values("reporter")
        .distinct()
        .count()
    )
    if reporters < settings.FORUM_AUTO_HIDE_REPORTS:
        return
    hidden = type(target).objects.filter(pk=target.pk, is_hidden=False).update(is_hidden=True)
    if hidden:
        target.is_hidden = True
        if field == "post":
            Thread.objects.filter(pk=target.thread_id, post_count__gt=0).update(
                post_count=F("post_count") - 1
            )
        record_event(Action.FORUM_AUTO_HIDDEN, target=target, reports=reporters, kind=field)
