"""The forum's boards in Wagtail admin (Forum boards): staff add, order, describe and hide them."""

from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

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
