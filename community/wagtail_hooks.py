"""The forum in Wagtail admin: its boards (Forum boards: staff add, order, describe and hide
them) and the moderation queue (Moderation, for those with ``community.change_report``)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_views
from .models import ForumCategory


class ForumBoardViewSet(SnippetViewSet):
    model = ForumCategory
    icon = "group"
    menu_label = "Forum boards"
    menu_order = 400
    add_to_admin_menu = True
    list_display = ["name", "slug", "position", "is_hidden"]
    list_filter = ["is_hidden"]
    search_fields = ["name", "description"]
    ordering = ["position", "name"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("position"),
        FieldPanel("is_hidden"),
    ]


register_snippet(ForumBoardViewSet)


@hooks.register("register_admin_urls")
def register_moderation_urls():
    return [
        path("moderation/", admin_views.queue, name="community_moderation"),
        path(
            "moderation/<str:field>/<int:target_id>/",
            admin_views.item,
            name="community_moderation_item",
        ),
    ]


class ModerationMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("community.change_report")


@hooks.register("register_admin_menu_item")
def register_moderation_menu_item():
    return ModerationMenuItem(
        "Moderation", reverse("community_moderation"), icon_name="warning", order=390
    )
