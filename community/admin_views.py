"""The moderation queue in Wagtail admin (Moderation), behind ``community.change_report``:
what was reported, grouped by the thing reported, oldest first, with its content, its author,
the reports and their reasons, and the moderator's actions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from readings.models import ChatMessage

from . import moderation
from .errors import ForumError, NotAllowed
from .models import Report

TRANSCRIPT_LINES = 200
ACCOUNT_ACTIONS = ("warn", "suspend", "lift", "ban")


def _check(request):
    if not request.user.has_perm("community.change_report"):
        raise PermissionDenied


def queue(request):
    _check(request)
    items = []
    for row in moderation.open_queue():
        field = next(name for name in Report.TARGETS if row[f"{name}_id"])
        target_id = row[f"{field}_id"]
        items.append(
            {
                "field": field,
                "target_id": target_id,
                "target": moderation.target_of(field, target_id),
                "reports": row["reports"],
                "reporters": row["reporters"],
                "first": row["first"],
                "url": reverse("community_moderation_item", args=[field, target_id]),
            }
        )
    return TemplateResponse(request, "community/admin/queue.html", {"items": items})


def item(request, field, target_id):
    """One reported thing: its content (a reading's transcript), every report of it, and the
    actions. POST: act (``moderation.act``)."""
    _check(request)
    if field not in Report.TARGETS:
        raise PermissionDenied
    target = moderation.target_of(field, target_id)
    error = ""
    subject = _subject(field, target_id)
    if request.method == "POST":
        action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
        try:
            if action in ACCOUNT_ACTIONS:
                done = _act_on_account(request, action, subject, reason)
            else:
                closed = moderation.act(request.user, field, target_id, action, reason)
                done = f"Done: {closed} report{'s' if closed != 1 else ''} closed."
        except ForumError as refused:
            error = str(refused)
        else:
            messages.success(request, done)
            if action in ACCOUNT_ACTIONS:
                return redirect("community_moderation_item", field=field, target_id=target_id)
            return redirect("community_moderation")
    transcript = []
    if field == "session" and target is not None:
        transcript = list(
            ChatMessage.objects.filter(session=target).select_related("sender")[:TRANSCRIPT_LINES]
        )
    context = {
        "field": field,
        "target": target,
        "reports": list(moderation.reports_of(field, target_id)),
        "transcript": transcript,
        "hideable": field in moderation.HIDEABLE,
        "subject": subject,
        "error": error,
    }
    return TemplateResponse(request, "community/admin/item.html", context)


def _subject(field, target_id):
    """Whose content was reported (the first report names them), or None."""
    report = moderation.reports_of(field, target_id).exclude(subject=None).first()
    return report.subject if report else None


def _act_on_account(request, action, subject, reason):
    if subject is None:
        raise NotAllowed("There is no account to act on.")
    if action == "warn":
        moderation.warn(request.user, subject, reason)
        return f"{subject} was warned."
    if action == "suspend":
        days = request.POST.get("days", "")
        days = int(days) if days.isdigit() else 0
        until = moderation.suspend(request.user, subject, days, reason)
        return f"{subject} is suspended until {until:%B %-d, %Y}."
    if action == "lift":
        moderation.lift_suspension(request.user, subject, reason)
        return f"{subject}'s suspension was lifted."
    moderation.ban(request.user, subject, reason)
    return f"{subject}'s account was closed."
