"""Staff back-office: a read-only listing of shop orders (filters, search, inspect), so paid
physical orders can be found and sent; a product's "Stock" action; and the rule that an ordered
product is never deleted. Orders and stock change only through ``shop.services`` and
``shop.inventory``."""

from functools import reduce
from operator import or_

from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.models import Page
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import IndexView

from home.admin import ReadOnlyPermissionHelper
from home.csv import text_cell
from wallet.money import decimal_string

from . import admin_views, inventory, stripe_sync
from .models import Order, OrderLine, ProductPage, ProductStripeFlag


def _ordered(pages):
    """Of ``pages``, those that were ordered or have an ordered product under them (one query),
    each with whether it was ordered itself."""
    pages = [page for page in pages if isinstance(page, Page)]
    if not pages:
        return []
    under = reduce(or_, (Q(product__path__startswith=page.path) for page in pages))
    paths = set(OrderLine.objects.filter(under).values_list("product__path", flat=True))
    return [
        (page, page.path in paths)
        for page in pages
        if any(path.startswith(page.path) for path in paths)
    ]


def _refusal(page, itself):
    title = page.get_admin_display_title()
    if itself:
        return (
            f"“{title}” has orders: unpublish it instead. Nothing was deleted; its buyers keep "
            "their orders and downloads."
        )
    return (
        f"“{title}” has products with orders under it: unpublish it instead. Nothing was "
        "deleted; their buyers keep their orders and downloads."
    )


@hooks.register("before_delete_page")
def keep_ordered_products(request, page):
    """Orders point at what was bought (``OrderLine.product`` protects it): a product someone
    ordered, or a page above one, is not deleted. Unpublishing takes it out of the shop and
    keeps its buyers' downloads."""
    for ordered, itself in _ordered([page]):
        messages.error(request, _refusal(ordered, itself))
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_bulk_action")
def keep_ordered_products_in_bulk(request, action_type, objects, action_class_instance):
    """The same rule for the page listing's bulk delete: when any chosen page has orders
    (itself or under it), nothing is deleted."""
    if action_type != "delete":
        return None
    refused = _ordered(objects)
    for page, itself in refused:
        messages.error(request, _refusal(page, itself))
    return redirect(action_class_instance.next_url) if refused else None


def _stock_button(page, user, priority):
    specific = page.specific_class
    if specific is None or not issubclass(specific, ProductPage):
        return
    if isinstance(page, ProductPage) and page.is_gift_card:
        return
    if page.permissions_for_user(user).can_edit():
        yield Button(
            "Stock",
            reverse("shop_product_stock", args=[page.pk]),
            icon_name="tasks",
            priority=priority,
        )


@hooks.register("register_page_listing_more_buttons")
def stock_listing_button(page, user, next_url=None):
    """A product's "Stock" in the page listing's "More" menu (the page's editors only)."""
    yield from _stock_button(page, user, priority=25)


@hooks.register("register_page_header_buttons")
def stock_header_button(page, user, view_name, next_url=None):
    """The same in the header's menu of the product's own admin pages (edit, history…)."""
    yield from _stock_button(page, user, priority=25)


@hooks.register("after_copy_page")
def copies_start_without_stock(request, page, new_page):
    """A copy of an item with a stock count starts at 0, not without a limit: copying a page
    never invents items that aren't on the shelf. Staff set its stock once they have some."""
    if isinstance(page.specific, ProductPage) and page.specific.stock is not None:
        inventory.set_stock(new_page, 0, by=request.user)


class OrderIndexView(IndexView):
    # Headings as written (the listing title-cases the others, "USD" would read "Usd").
    export_headings = {"total_usd": "Total (USD)"}


class OrderAdmin(ModelAdmin):
    index_view_class = OrderIndexView
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
    list_filter = ("state", "paid_at")
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

    # "Download CSV" / "Download XLSX" on the listing, with its filters and search; each
    # column's heading is its short_description.
    list_export = (
        "order_ref",
        "created",
        "paid",
        "state_label",
        "total_usd",
        "item_count",
        "buyer_name",
        "ship_to",
    )
    export_filename = "soulseer-orders"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    # Export columns: amounts as decimal strings, text that people typed made safe for a
    # spreadsheet (home.csv: no cell runs as a formula).
    def order_ref(self, obj):
        return str(obj.public_id)

    def created(self, obj):
        return obj.created_at.isoformat()

    def paid(self, obj):
        return obj.paid_at.isoformat() if obj.paid_at else ""

    def state_label(self, obj):
        return obj.get_state_display()

    def total_usd(self, obj):
        return decimal_string(obj.total_cents)

    def item_count(self, obj):
        return sum(line.quantity for line in obj.lines.all())

    def buyer_name(self, obj):
        return text_cell(obj.buyer.username)

    def ship_to(self, obj):
        parts = (obj.shipping_name, obj.shipping_city, obj.shipping_country)
        return text_cell(", ".join(part for part in parts if part))

    order_ref.short_description = "Order"
    created.short_description = "Created"
    paid.short_description = "Paid"
    state_label.short_description = "State"
    total_usd.short_description = "Total (USD)"
    item_count.short_description = "Items"
    buyer_name.short_description = "Buyer"
    ship_to.short_description = "Ship to"

    def send(self, obj):
        if obj.state != Order.State.PAID:
            return ""
        url = reverse("shop_order_fulfil", args=[obj.public_id])
        return format_html('<a class="button button-small" href="{}">Mark as sent</a>', url)

    send.short_description = "Send"

    def refund(self, obj):
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
        path("shop/products/<int:page_id>/stock/", admin_views.stock, name="shop_product_stock"),
    ]


modeladmin_register(OrderAdmin)


class FlagStateFilter(SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "Open"), ("cleared", "Cleared"))

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(cleared_at__isnull=True)
        if self.value() == "cleared":
            return queryset.filter(cleared_at__isnull=False)
        return queryset


class StripeFlagAdmin(ModelAdmin):
    """What Stripe says about products that their pages do not (raised by the Stripe webhooks,
    ``shop.stripe_sync``): staff look in Stripe, then clear the flag."""

    model = ProductStripeFlag
    permission_helper_class = ReadOnlyPermissionHelper
    menu_label = "Stripe flags"
    menu_icon = "warning"
    menu_order = 330
    add_to_settings_menu = False
    list_per_page = 50
    list_display = ("product_link", "reason", "stripe_object_id", "raised_at", "state", "clear")
    list_filter = (FlagStateFilter,)
    search_fields = ("product__title", "reason", "stripe_object_id")
    list_select_related = ("product", "cleared_by")
    ordering = ("-raised_at",)

    def product_link(self, obj):
        url = reverse("wagtailadmin_pages:edit", args=[obj.product_id])
        return format_html('<a href="{}">{}</a>', url, obj.product.title)

    product_link.short_description = "Product"

    def state(self, obj):
        if obj.is_open:
            return "Open"
        by = f" by {obj.cleared_by}" if obj.cleared_by_id else ""
        return f"Cleared {date_format(localtime(obj.cleared_at), 'M j, Y')}{by}"

    state.short_description = "State"

    def clear(self, obj):
        if not obj.is_open:
            return ""
        url = reverse("shop_stripe_flag_clear", args=[obj.pk])
        return format_html('<a class="button button-small" href="{}">Clear</a>', url)

    clear.short_description = "Clear"


@hooks.register("register_admin_urls")
def register_stripe_flag_urls():
    return [
        path(
            "shop/stripe-flags/<int:flag_id>/clear/",
            admin_views.clear_stripe_flag,
            name="shop_stripe_flag_clear",
        )
    ]


@hooks.register("before_edit_page")
def warn_of_stripe_flag(request, page):
    """A product that Stripe disagrees with says so on its edit page until staff clear it."""
    if request.method != "GET" or not isinstance(page, ProductPage):
        return None
    flag = stripe_sync.open_flag(page)
    if flag is not None:
        messages.warning(
            request,
            f"Stripe disagrees with this product: {flag.reason} Publishing makes Stripe say "
            "what the page says; clear the flag under Stripe flags once you have checked.",
        )
    return None


modeladmin_register(StripeFlagAdmin)
