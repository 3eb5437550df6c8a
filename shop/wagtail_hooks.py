"""Staff back-office: a read-only listing of shop orders (filters, search, inspect), so paid
physical orders can be found and sent, and the rule that an ordered product is never deleted.
Orders change only through ``shop.services``."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register

from home.admin import ReadOnlyPermissionHelper

from . import admin_views
from .models import Order, OrderLine


@hooks.register("before_delete_page")
def keep_ordered_products(request, page):
    """Orders point at what was bought: a product someone ordered (or a page above one) is not
    deleted. Unpublishing it takes it out of the shop and keeps its buyers' downloads."""
    if OrderLine.objects.filter(product__path__startswith=page.path).exists():
        messages.error(
            request,
            f"“{page.get_admin_display_title()}” can't be deleted: it has been ordered (or a "
            "product under it has). Unpublish it instead; buyers keep their orders and downloads.",
        )
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


class OrderAdmin(ModelAdmin):
    model = Order
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    menu_label = "Orders"
    menu_icon = "list-ul"
    menu_order = 320
    add_to_settings_menu = False
    list_per_page = 50
    list_display = (
        "public_id",
        "buyer",
        "state",
        "total_cents",
        "items",
        "paid_at",
        "send",
        "refund",
    )
    list_filter = ("state",)
    search_fields = ("public_id", "buyer__username", "buyer__email", "shipping_name")
    list_select_related = ("buyer",)
    ordering = ("-created_at",)
    inspect_view_fields = (
        "public_id",
        "buyer",
        "state",
        "total_cents",
        "items",
        "created_at",
        "paid_at",
        "shipping_name",
        "shipping_line1",
        "shipping_line2",
        "shipping_city",
        "shipping_postcode",
        "shipping_country",
        "purchase",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    @staticmethod
    def send(obj):
        if obj.state != Order.State.PAID:
            return ""
        url = reverse("shop_order_fulfil", args=[obj.public_id])
        return format_html('<a class="button button-small" href="{}">Mark as sent</a>', url)

    send.short_description = "Send"

    @staticmethod
    def refund(obj):
        if obj.state not in Order.PAID_STATES:
            return ""
        url = reverse("shop_order_refund", args=[obj.public_id])
        return format_html(
            '<a class="button button-small button-secondary" href="{}">Refund</a>', url
        )

    refund.short_description = "Refund"


@hooks.register("register_admin_urls")
def register_shop_admin_urls():
    return [
        path("shop/orders/<uuid:public_id>/fulfil/", admin_views.fulfil, name="shop_order_fulfil"),
        path("shop/orders/<uuid:public_id>/refund/", admin_views.refund, name="shop_order_refund"),
    ]


modeladmin_register(OrderAdmin)
