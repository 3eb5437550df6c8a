"""Staff back-office: a read-only listing of reading sessions (filters, search, inspect), and
the queue of messages held for review with its Clear and Remove actions.

Sessions change only through ``readings.services``, messages only through
``readings.messaging``; nobody creates, edits or deletes them here.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timezone import localtime
from wagtail import hooks
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import IndexView

from home.admin import ReadOnlyPermissionHelper

from . import messaging
from .contact import find_contact_details
from .errors import MessagingError
from .message_selectors import forget_unread
from .models import Message, ReadingSession


class ReadingSessionAdmin(ModelAdmin):
    model = ReadingSession
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    menu_label = "Readings"
    menu_icon = "time"
    menu_order = 310
    add_to_settings_menu = False
    list_per_page = 50
    list_display = (
        "public_id",
        "client",
        "reader",
        "channel",
        "state",
        "rate_cents",
        "billed_minutes",
        "paid_minutes",
        "total_cents",
        "end_reason",
        "created_at",
    )
    list_filter = ("state", "channel", "end_reason")
    search_fields = ("public_id", "client__username", "client__email", "reader__username")
    list_select_related = ("client", "reader")
    ordering = ("-created_at",)
    inspect_view_fields = (
        "public_id",
        "client",
        "reader",
        "channel",
        "state",
        "rate_cents",
        "reader_share_percent",
        "free_minutes",
        "created_at",
        "accepted_at",
        "started_at",
        "paused_total",
        "ended_at",
        "end_reason",
        "billed_minutes",
        "paid_minutes",
        "total_cents",
        "reader_earned_cents",
    )


modeladmin_register(ReadingSessionAdmin)


# Held messages: messages that share contact details wait here for staff ----------------------

MODERATE_MESSAGES = "readings.change_message"


class HeldMessagePermissionHelper(ReadOnlyPermissionHelper):
    """Only message moderators (``readings.change_message``) see the queue; its two actions
    go through ``readings.messaging`` (which checks the permission again and audits)."""

    def user_can_list(self, user):
        return user.has_perm(MODERATE_MESSAGES)


class HeldMessageIndexView(IndexView):
    page_title = "Held messages"


class HeldMessageAdmin(ModelAdmin):
    model = Message
    index_view_class = HeldMessageIndexView
    permission_helper_class = HeldMessagePermissionHelper
    menu_label = "Held messages"
    menu_icon = "warning"
    menu_order = 315
    add_to_settings_menu = False
    list_per_page = 50
    list_display = ("held_since", "sender", "conversation", "text", "reason", "review_actions")
    search_fields = ("body", "sender__username", "sender__display_name")
    list_select_related = ("sender", "thread__client", "thread__reader")
    # Oldest first: the one waiting longest is checked first.
    ordering = ("created_at", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(review=Message.Review.HELD)

    def held_since(self, obj):
        return date_format(localtime(obj.created_at), "M j, Y H:i")

    held_since.short_description = "Held since"

    def conversation(self, obj):
        thread = obj.thread
        other = thread.reader if obj.sender_id == thread.client_id else thread.client
        return f"{obj.get_kind_display()} to {other.public_name} ({other.username})"

    conversation.short_description = "Thread"

    def text(self, obj):
        return Truncator(obj.body).chars(160)

    text.short_description = "Text"

    def reason(self, obj):
        return held_reason(obj)

    reason.short_description = "Why it is held"

    def review_actions(self, obj):
        clear = reverse("readings_held_message_clear", args=[obj.pk])
        remove = reverse("readings_held_message_remove", args=[obj.pk])
        return format_html(
            '<a class="button button-small" href="{}">Clear</a> '
            '<a class="button button-small button-secondary no" href="{}">Remove</a>',
            clear,
            remove,
        )

    review_actions.short_description = "Review"


modeladmin_register(HeldMessageAdmin)


def held_reason(message):
    found = find_contact_details(message.body)
    if not found:
        return "Contact details (none found in the text now)"
    return "Shares: " + ", ".join(found[:5])


def _review_held(request, message_id, *, remove):
    """GET: the held message, who wrote it to whom, what it shares, and the action's form.
    POST: clear it (``messaging.clear_held``: delivered, a question's deadline starts, a reply
    is paid) or remove it with a reason (``messaging.remove_held``: its sender is told, a
    question's money released). Both audited by the services."""
    if not request.user.has_perm(MODERATE_MESSAGES):
        raise PermissionDenied
    message = get_object_or_404(
        Message.objects.select_related("sender", "thread__client", "thread__reader", "request"),
        pk=message_id,
    )
    back = reverse("readings_message_modeladmin_index")
    error = ""
    if request.method == "POST":
        try:
            if remove:
                messaging.remove_held(request.user, message, request.POST.get("reason", ""))
            else:
                messaging.clear_held(request.user, message)
        except MessagingError as refused:
            error = str(refused)
        else:
            thread = message.thread
            forget_unread(thread.client_id, thread.reader_id)
            done = "removed; its sender is told why" if remove else "cleared and delivered"
            messages.success(request, f"The message from {message.sender.public_name} is {done}.")
            return redirect(back)
    thread = message.thread
    return TemplateResponse(
        request,
        "readings/admin/held_message.html",
        {
            "message": message,
            "recipient": thread.reader if message.sender_id == thread.client_id else thread.client,
            "reason": held_reason(message),
            "attachments": list(message.attachments.all()),
            "remove": remove,
            "back": back,
            "error": error,
            "is_held": message.review == Message.Review.HELD,
        },
        status=400 if error else 200,
    )


def clear_held_message(request, message_id):
    return _review_held(request, message_id, remove=False)


def remove_held_message(request, message_id):
    return _review_held(request, message_id, remove=True)


@hooks.register("register_admin_urls")
def register_held_message_urls():
    return [
        path(
            "readings/held-messages/<int:message_id>/clear/",
            clear_held_message,
            name="readings_held_message_clear",
        ),
        path(
            "readings/held-messages/<int:message_id>/remove/",
            remove_held_message,
            name="readings_held_message_remove",
        ),
    ]
