"""What moderators do with what was reported: hide it, restore it, or dismiss the reports.
Each action closes every open report of the thing, is audited with who did it and why, and
tells the person whose content it is (in-app). Suspending and banning accounts come with the
account rules (issue 15's remaining part)."""

from django.db import transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from home.audit import Action, record_event
from readers.models import Notification, ReaderPage, Review
from readings.models import Message, ReadingSession

from .errors import NotAllowed
from .models import Post, Report, Thread

# What a moderator can hide and restore here; the rest (messages, reader pages, readings)
# is acted on in its own admin (held messages, the reader's page), and its reports dismissed.
HIDEABLE = ("post", "thread", "review")


def open_queue():
    """One row per reported thing with open reports: how many, from how many people, the
    first report's time; oldest first (two queries with ``queue_items``)."""
    rows = (
        Report.objects.filter(status=Report.Status.OPEN)
        .values(*[f"{name}_id" for name in Report.TARGETS])
        .annotate(reports=Count("id"), reporters=Count("reporter", distinct=True))
        .annotate(first=Min("created_at"))
        .order_by("first")
    )
    return list(rows)


def target_of(field, target_id):
    model = {
        "post": Post,
        "thread": Thread,
        "review": Review,
        "message": Message,
        "reader_page": ReaderPage,
        "session": ReadingSession,
    }[field]
    return model.objects.filter(pk=target_id).first()


def reports_of(field, target_id):
    return Report.objects.filter(**{f"{field}_id": target_id}).select_related(
        "reporter", "subject", "resolved_by"
    )


def _set_hidden(field, target, hidden):
    model = type(target)
    changed = model.objects.filter(pk=target.pk, is_hidden=not hidden).update(is_hidden=hidden)
    if changed and field == "post":
        step = -1 if hidden else 1
        Thread.objects.filter(pk=target.thread_id).update(post_count=F("post_count") + step)
    return changed


def act(staff_user, field, target_id, action, reason):
    """``action`` is "hide", "restore" or "dismiss"; ``reason`` is required and told to the
    content's author with the outcome. Returns how many open reports were closed."""
    reason = (reason or "").strip()
    if not reason:
        raise NotAllowed("Say why: the person whose content it is will be told.")
    if action not in ("hide", "restore", "dismiss"):
        raise NotAllowed("Choose hide, restore or dismiss.")
    if action != "dismiss" and field not in HIDEABLE:
        raise NotAllowed("This can only be dismissed here; act on it in its own admin.")
    with transaction.atomic():
        target = target_of(field, target_id)
        if target is None:
            raise NotAllowed("That was deleted.")
        if action in ("hide", "restore"):
            _set_hidden(field, target, action == "hide")
        now = timezone.now()
        status = Report.Status.DISMISSED if action == "dismiss" else Report.Status.ACTIONED
        reports = reports_of(field, target_id).filter(status=Report.Status.OPEN)
        subject_id = reports.values_list("subject_id", flat=True).first()
        closed = reports.update(status=status, resolved_at=now, resolved_by=staff_user)
        record_event(
            Action.REPORT_RESOLVED,
            actor=staff_user,
            target=target,
            kind=field,
            outcome=action,
            reason=reason,
            reports=closed,
        )
        if subject_id and action != "dismiss":
            verb = "hidden" if action == "hide" else "restored"
            Notification.objects.create(
                user_id=subject_id,
                kind=Notification.Kind.FORUM,
                title=f"Our moderators {verb} your {field.replace('_', ' ')}: {reason}"[:200],
                url="/community/",
            )
    return closed
