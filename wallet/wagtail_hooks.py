"""Staff back-office for the ledger in Wagtail admin: read-only listings (search, filters,
inspect) of accounts, transfers, entries and holds, and the satisfaction-credit action.

Nothing here writes the ledger directly: add/change/delete are refused for everyone (even
superusers; the database would refuse most of it anyway) and the one action calls
``services.grant_satisfaction_credit``.
"""

from django.db.models import Q, Sum
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register
from wagtail_modeladmin.views import InspectView

from home.admin import ReadOnlyPermissionHelper
from home.templatetags.soulseer_tags import cents

from . import admin_views
from .models import Entry, Hold, LedgerAccount, Purchase, TopUp, Transfer


def _signed_cents(value):
    return format_html('<span style="font-variant-numeric: tabular-nums">{}</span>', cents(value))


class ReadOnlyLedgerAdmin(ModelAdmin):
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    add_to_settings_menu = False
    list_per_page = 50


class LedgerAccountAdmin(ReadOnlyLedgerAdmin):
    model = LedgerAccount
    menu_label = "Accounts"
    menu_icon = "user"
    list_display = ("__str__", "kind", "owner", "currency", "balance_display", "may_go_negative")
    list_filter = ("kind", "currency", "may_go_negative")
    search_fields = ("owner__username", "owner__email", "owner__display_name")
    list_select_related = ("owner",)
    inspect_view_fields = (
        "public_id",
        "kind",
        "owner",
        "currency",
        "balance",
        "may_go_negative",
        "created_at",
    )

    @staticmethod
    def balance_display(obj):
        return _signed_cents(obj.balance)

    balance_display.short_description = "Balance"
    balance_display.admin_order_field = "balance"


class TransferInspectView(InspectView):
    """Adds the legs (entries) and the satisfaction-credit button for readings."""

    def get_context_data(self, **kwargs):
        transfer = self.instance
        entries = list(transfer.entries.select_related("account__owner").order_by("amount", "id"))
        for entry in entries:
            entry.account_url = reverse(
                "wallet_ledgeraccount_modeladmin_inspect", args=[entry.account_id]
            )
        can_credit = transfer.kind == Transfer.Kind.READING and self.request.user.has_perm(
            "wallet.grant_satisfaction_credit"
        )
        return super().get_context_data(
            entries=entries,
            credit_url=(
                reverse("wallet_satisfaction_credit", args=[transfer.pk]) if can_credit else None
            ),
            credits=Transfer.objects.filter(
                kind=Transfer.Kind.CREDIT, metadata__satisfaction_for=str(transfer.public_id)
            ).order_by("created_at"),
            **kwargs,
        )


class TransferAdmin(ReadOnlyLedgerAdmin):
    model = Transfer
    menu_label = "Transfers"
    menu_icon = "arrows-up-down"
    inspect_view_class = TransferInspectView
    inspect_template_name = "modeladmin/wallet/transfer/inspect.html"
    list_display = ("created_at", "kind", "description", "volume_display", "initiated_by")
    list_filter = ("kind", "created_at")
    search_fields = ("idempotency_key", "description", "initiated_by__username")
    list_select_related = ("initiated_by",)
    inspect_view_fields = (
        "public_id",
        "kind",
        "description",
        "idempotency_key",
        "metadata",
        "initiated_by",
        "reverses",
        "created_at",
    )

    def get_queryset(self, request):
        # The amount moved, in the same query as the listing (no query per row).
        return (
            super()
            .get_queryset(request)
            .annotate(volume=Sum("entries__amount", filter=Q(entries__amount__gt=0)))
        )

    @staticmethod
    def volume_display(obj):
        return _signed_cents(getattr(obj, "volume", None))

    volume_display.short_description = "Amount"
    volume_display.admin_order_field = "volume"


class EntryAdmin(ReadOnlyLedgerAdmin):
    model = Entry
    menu_label = "Entries"
    menu_icon = "list-ul"
    list_display = ("created_at", "transfer", "account", "amount_display")
    list_filter = ("account__kind", "transfer__kind", "created_at")
    search_fields = (
        "account__owner__username",
        "account__owner__email",
        "transfer__idempotency_key",
        "transfer__description",
    )
    list_select_related = ("transfer", "account__owner")
    inspect_view_fields = ("transfer", "account", "amount", "created_at")

    @staticmethod
    def amount_display(obj):
        return _signed_cents(obj.amount)

    amount_display.short_description = "Amount"
    amount_display.admin_order_field = "amount"


class HoldAdmin(ReadOnlyLedgerAdmin):
    model = Hold
    menu_label = "Holds"
    menu_icon = "lock"
    list_display = (
        "created_at",
        "client",
        "description",
        "amount_display",
        "posted_display",
        "status",
        "expires_at",
    )
    list_filter = ("status", "created_at", "expires_at")
    search_fields = ("description", "wallet__owner__username", "wallet__owner__email")
    list_select_related = ("wallet__owner",)
    inspect_view_fields = (
        "public_id",
        "wallet",
        "escrow",
        "description",
        "amount",
        "posted_amount",
        "status",
        "hold_transfer",
        "resolve_transfer",
        "created_at",
        "resolved_at",
        "expires_at",
    )

    @staticmethod
    def client(obj):
        return obj.wallet.owner

    @staticmethod
    def amount_display(obj):
        return _signed_cents(obj.amount)

    amount_display.short_description = "Reserved"

    @staticmethod
    def posted_display(obj):
        return _signed_cents(obj.posted_amount)

    posted_display.short_description = "Charged"


class TopUpAdmin(ReadOnlyLedgerAdmin):
    """Card top-ups; "Needs review" lists those whose PaymentIntent disagreed with the top-up
    or its webhook (the wallet got at most what Stripe received)."""

    model = TopUp
    menu_label = "Top-ups"
    menu_icon = "plus"
    list_display = (
        "created_at",
        "user",
        "amount_display",
        "status",
        "needs_review",
        "review_reason",
    )
    list_filter = ("needs_review", "status", "source", "created_at")
    search_fields = ("payment_intent_id", "user__username", "user__email")
    list_select_related = ("user",)
    inspect_view_fields = (
        "public_id",
        "user",
        "amount",
        "currency",
        "source",
        "status",
        "payment_intent_id",
        "credit_transfer",
        "refunded_amount",
        "needs_review",
        "review_reason",
        "failure_message",
        "created_at",
    )

    @staticmethod
    def amount_display(obj):
        return _signed_cents(obj.amount)

    amount_display.short_description = "Asked"


class PurchaseAdmin(ReadOnlyLedgerAdmin):
    """What clients bought (one row per reading, booking, ...); its transfers are listed under
    Transfers, searchable by the purchase's reference."""

    model = Purchase
    menu_label = "Purchases"
    menu_icon = "tag"
    list_display = ("created_at", "kind", "description", "client", "seller", "summary")
    list_filter = ("kind", "created_at")
    search_fields = ("reference", "description", "client__username", "seller__username")
    inspect_view_enabled = True


@modeladmin_register
class LedgerGroup(ModelAdminGroup):
    menu_label = "Ledger"
    menu_icon = "table"
    menu_order = 700
    items = (
        LedgerAccountAdmin,
        PurchaseAdmin,
        TransferAdmin,
        EntryAdmin,
        HoldAdmin,
        TopUpAdmin,
    )


@hooks.register("register_admin_urls")
def register_wallet_admin_urls():
    return [
        path(
            "wallet/satisfaction-credit/<int:transfer_id>/",
            admin_views.satisfaction_credit,
            name="wallet_satisfaction_credit",
        ),
    ]
