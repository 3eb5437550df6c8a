"""Django admin: the ledger is read-only here too (the Wagtail admin "Ledger" menu is the main
back-office; see wagtail_hooks.py). Money moves only through wallet.services."""

from django.contrib import admin

from .models import Entry, Hold, LedgerAccount, SpendingLimit, Transfer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ("account", "amount", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "owner", "currency", "balance", "may_go_negative")
    list_filter = ("kind", "currency")
    search_fields = ("owner__username", "owner__email")
    list_select_related = ("owner",)


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "description", "idempotency_key", "initiated_by")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "description")
    list_select_related = ("initiated_by",)
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "transfer", "account", "amount")
    list_filter = ("account__kind",)
    search_fields = ("account__owner__username", "transfer__idempotency_key")
    list_select_related = ("transfer", "account__owner")


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "wallet", "description", "amount", "posted_amount", "status")
    list_filter = ("status",)
    search_fields = ("description", "wallet__owner__username")
    list_select_related = ("wallet__owner",)


@admin.register(SpendingLimit)
class SpendingLimitAdmin(ReadOnlyAdmin):
    list_display = ("user", "daily", "weekly", "monthly", "pending_effective_at")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
