"""Readers in Wagtail admin: the application review queue, review moderation, and the
``before_delete_page`` guard from notes/wagtail-reader-permissions.md."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register

from readers import admin_views
from readers.models import ReaderApplication, Review
from readers.services import is_reader_editor


@hooks.register("before_delete_page")
def readers_may_not_delete_pages(request, page):
    """Readers have ``change`` on their own page only, but Wagtail lets an editor delete an
    unpublished page they can edit. Only staff delete pages."""
    if is_reader_editor(request.user):
        messages.error(request, "Only SoulSeer staff can delete pages. Contact us if needed.")
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


class DecideOnlyPermissionHelper(PermissionHelper):
    """List and inspect; changes happen through the decision views (services), never a form."""

    def user_can_list(self, user):
        return user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    user_can_inspect_obj = lambda self, user, obj: self.user_can_list(user)  # noqa: E731

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class ApplicationButtonHelper(ButtonHelper):
    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if obj.status == ReaderApplication.Status.PENDING:
            buttons.append(
                {
                    "url": reverse("readers_application_decide", args=[obj.pk]),
                    "label": "Review",
                    "classname": "button button-small",
                    "title": f"Approve or reject {obj.display_name}",
                }
            )
        return buttons


class ReaderApplicationAdmin(ModelAdmin):
    model = ReaderApplication
    menu_label = "Applications"
    menu_icon = "user"
    permission_helper_class = DecideOnlyPermissionHelper
    button_helper_class = ApplicationButtonHelper
    inspect_view_enabled = True
    list_display = ("display_name", "user", "years_experience", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("display_name", "user__email", "user__username")
    list_select_related = ("user",)
    ordering = ("status", "created_at")
    inspect_view_fields = (
        "display_name",
        "user",
        "years_experience",
        "languages",
        "specialties",
        "experience",
        "sample_reading",
        "id_check_consent",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
        "decision_note",
        "reader_page",
    )


class ReviewButtonHelper(ButtonHelper):
    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        buttons.append(
            {
                "url": reverse("readers_review_visibility", args=[obj.pk]),
                "label": "Show again" if obj.is_hidden else "Hide",
                "classname": "button button-small button-secondary",
                "title": "Change whether clients see this review",
            }
        )
        return buttons


class ReviewAdmin(ModelAdmin):
    model = Review
    menu_label = "Reviews"
    menu_icon = "pick"
    permission_helper_class = DecideOnlyPermissionHelper
    button_helper_class = ReviewButtonHelper
    inspect_view_enabled = True
    list_display = ("reader_page", "client", "stars", "excerpt", "is_hidden", "created_at")
    list_filter = ("is_hidden", "rating")
    search_fields = ("text", "reader_page__title", "client__email")
    list_select_related = ("reader_page", "client")
    inspect_view_fields = (
        "reader_page",
        "client",
        "reading",
        "rating",
        "text",
        "reply",
        "is_hidden",
        "hidden_reason",
        "created_at",
    )

    @staticmethod
    def stars(obj):
        return format_html("{}", "★" * obj.rating)

    @staticmethod
    def excerpt(obj):
        return obj.text[:80]


@modeladmin_register
class ReadersAdminGroup(ModelAdminGroup):
    menu_label = "Readers"
    menu_icon = "group"
    menu_order = 250
    items = (ReaderApplicationAdmin, ReviewAdmin)


@hooks.register("register_admin_urls")
def register_readers_admin_urls():
    return [
        path(
            "readers/applications/<int:pk>/decide/",
            admin_views.decide_application,
            name="readers_application_decide",
        ),
        path(
            "readers/reviews/<int:pk>/visibility/",
            admin_views.review_visibility,
            name="readers_review_visibility",
        ),
    ]
