"""What moderators do with what was reported: hide it, restore it, or dismiss the reports.
Each action closes every open report of the thing, is audited with who did it and why, and
tells the person whose content it is (in-app). Moderators also warn, suspend (for N days) and
ban accounts."""

from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from home.audit import Action, record_event
from readers.models import Notification, ReaderPage
from readings import messaging, presence

from .errors import NotAllowed
from .models import Report, Thread

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
    """The reported thing a report's ``field`` names (None when it was deleted)."""
    model = Report._meta.get_field(field).related_model
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
            verb = "hid" if action == "hide" else "restored"
            Notification.objects.create(
                user_id=subject_id,
                kind=Notification.Kind.FORUM,
                title=f"Our moderators {verb} your {field.replace('_', ' ')}: {reason}"[:200],
                url="/community/",
            )
    return closed


# Accounts ---------------------------------------------------------------------------------------


def _tell(user, title, text):
    Notification.objects.create(
        user=user, kind=Notification.Kind.FORUM, title=title[:200], url="/community/"
    )
    if user.email:
        address = user.email
        transaction.on_commit(lambda: send_mail(f"SoulSeer: {title}"[:200], text, None, [address]))


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise NotAllowed("Say why: the person will be told.")
    return reason[:200]


def warn(staff_user, user, reason):
    """Tell ``user`` what they did wrong (in-app and by email), audited."""
    reason = _reason(reason)
    with transaction.atomic():
        record_event(Action.ACCOUNT_WARNED, actor=staff_user, target=user, reason=reason)
        _tell(
            user,
            "A warning from our moderators",
            f"Our moderators warned you: {reason}\n\nPlease keep to the community rules; "
            "repeated problems lead to a suspension.",
        )


def suspend(staff_user, user, days, reason):
    """Suspend ``user`` for ``days`` (1-365): until then they cannot post, message, book or
    take part in readings; a reader goes offline and cannot go online. What is reserved
    with them (questions, bookings, queue places, open or live readings) is released, each
    with its notice. Audited and told to them. Returns the end of the suspension."""
    reason = _reason(reason)
    if not isinstance(days, int) or not 1 <= days <= 365:
        raise NotAllowed("Suspend for 1 to 365 days.")
    if user.is_staff or user.pk == staff_user.pk:
        raise NotAllowed("Staff accounts are not suspended here.")
    until = timezone.now() + timedelta(days=days)
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(
            suspended_until=until, suspension_reason=reason
        )
        user.suspended_until, user.suspension_reason = until, reason
        if user.is_reader:
            presence.set_presence(user, ReaderPage.Presence.OFFLINE)
        released = messaging.release_everything_of(user, "The account was suspended")
        record_event(
            Action.ACCOUNT_SUSPENDED,
            actor=staff_user,
            target=user,
            days=days,
            until=until.isoformat(),
            reason=reason,
            released=released,
        )
        _tell(
            user,
            f"Your account is suspended until {until:%B %-d, %Y}",
            f"Our moderators suspended your account for {days} day{'s' if days != 1 else ''}: "
            f"{reason}\n\nUntil {until:%B %-d, %Y} you can read the site but not post, message, "
            "book or take part in readings.",
        )
    return until


def lift_suspension(staff_user, user, reason):
    reason = _reason(reason)
    with transaction.atomic():
        type(user).objects.filter(pk=user.pk).update(suspended_until=None, suspension_reason="")
        user.suspended_until, user.suspension_reason = None, ""
        record_event(Action.ACCOUNT_REINSTATED, actor=staff_user, target=user, reason=reason)
        _tell(user, "Your suspension was lifted", f"Our moderators lifted it: {reason}")


def ban(staff_user, user, reason):
    """Close ``user``'s account for good: they can no longer log in; what is reserved with
    them is released as for a suspension. Audited and told to them by email."""
    reason = _reason(reason)
    if user.is_staff or user.pk == staff_user.pk:
        raise NotAllowed("Staff accounts are not banned here.")
    with transaction.atomic():
        if user.is_reader:
            presence.set_presence(user, ReaderPage.Presence.OFFLINE)
        released = messaging.release_everything_of(user, "The account was closed")
        type(user).objects.filter(pk=user.pk).update(is_active=False, suspension_reason=reason)
        user.is_active = False
        record_event(
            Action.ACCOUNT_BANNED, actor=staff_user, target=user, reason=reason, released=released
        )
        _tell(
            user,
            "Your SoulSeer account was closed",
            f"Our moderators closed your account: {reason}\n\nYour wallet balance is yours: "
            "write to support to have it refunded.",
        )
