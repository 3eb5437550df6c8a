"""Staff back-office: a read-only listing of reading sessions (filters, search, inspect).

Sessions change only through ``readings.services``; nobody creates, edits or deletes them here.
"""

from wagtail_modeladmin.options import ModelAdmin, modeladmin_register

from home.admin import ReadOnlyPermissionHelper

from .models import ReadingSession


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
