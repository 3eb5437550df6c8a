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
from .errors import ForumError
from .models import Report

TRANSCRIPT_LINES = 200


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
    if request.method == "POST":
        try:
            closed = moderation.act(
                request.user,
                field,
                target_id,
                request.POST.get("action", ""),
                request.POST.get("reason", ""),
            )
        except ForumError as refused:
            error = str(refused)
        else:
            messages.success(request, f"Done: {closed} report{'s' if closed != 1 else ''} closed.")
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
        "error": error,
    }
    return TemplateResponse(request, "community/admin/item.html", context)
