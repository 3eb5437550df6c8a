"""Staff actions in Wagtail admin (URLs registered in wagtail_hooks, behind admin access): on
orders with the ``shop.change_order`` permission, and on a product's stock with the permission
to edit its page."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from home.audit import Action
from home.models import AuditEvent
from wallet.money import format_cents

from . import inventory, services, stripe_sync
from .errors import ShopError
from .models import Order, ProductPage, ProductStripeFlag

STOCK_HISTORY = 10


def fulfil(request, public_id):
    """GET: what will be marked as sent, and where to. POST: mark it (``services.fulfil``)."""
    if not request.user.has_perm("shop.change_order"):
        raise PermissionDenied
    order = get_object_or_404(Order.objects.select_related("buyer"), public_id=public_id)
    back = reverse("shop_order_modeladmin_index")
    if request.method == "POST":
        try:
            services.fulfil(order, request.user)
        except ShopError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Order {order.public_id} is marked as sent.")
        return redirect(back)
    return TemplateResponse(
        request,
        "shop/admin/fulfil.html",
        {"order": order, "lines": list(order.lines.all()), "back": back},
    )


def refund(request, public_id):
    """GET: the order's lines to choose from, and a reason. POST: refund the chosen lines
    (``services.refund``), the exact opposite of their part of the sale."""
    if not request.user.has_perm("shop.change_order"):
        raise PermissionDenied
    order = get_object_or_404(Order.objects.select_related("buyer"), public_id=public_id)
    back = reverse("shop_order_modeladmin_index")
    lines = list(order.lines.order_by("pk"))
    error = ""
    if request.method == "POST":
        chosen = set(request.POST.getlist("lines"))
        line_ids = [line.pk for line in lines if str(line.pk) in chosen]
        try:
            services.refund(
                order, request.user, line_ids=line_ids, reason=request.POST.get("reason", "")
            )
        except ShopError as refused:
            error = str(refused)
        else:
            total = sum(line.line_cents for line in lines if line.pk in line_ids)
            messages.success(request, f"Refunded {format_cents(total)} to {order.buyer}'s wallet.")
            return redirect(back)
    return TemplateResponse(
        request,
        "shop/admin/refund.html",
        {"order": order, "lines": lines, "back": back, "error": error},
        status=400 if error else 200,
    )


class StockForm(forms.Form):
    """Set the count staff counted, add what arrived (whatever sold meanwhile), or lift the
    limit. Adding is offered only to a product that has a count."""

    SET, ADD, NO_LIMIT = "set", "add", "no_limit"

    change = forms.ChoiceField(widget=forms.RadioSelect, initial=SET)
    quantity = forms.IntegerField(
        required=False, min_value=0, max_value=inventory.MAX_STOCK, label="How many"
    )

    def __init__(self, data=None, *, has_limit):
        super().__init__(data)
        choices = [(self.SET, "Set the count to")]
        if has_limit:
            choices.append((self.ADD, "Add this many (a delivery arrived)"))
        choices.append((self.NO_LIMIT, "No limit: it never runs out"))
        self.fields["change"].choices = choices

    def clean(self):
        cleaned = super().clean()
        change, quantity = cleaned.get("change"), cleaned.get("quantity")
        if change in (self.SET, self.ADD) and quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", "Say how many.")
        if change == self.ADD and quantity == 0:
            self.add_error("quantity", "Add at least one.")
        return cleaned

    def save(self, product, staff_user):
        """Apply the change through ``shop.inventory``; returns the new count (None: no limit)."""
        change, quantity = self.cleaned_data["change"], self.cleaned_data["quantity"]
        if change == self.ADD:
            return inventory.restock(product, quantity, by=staff_user)
        if change == self.NO_LIMIT:
            return inventory.set_stock(product, None, by=staff_user)
        return inventory.set_stock(product, quantity, by=staff_user)


def _back(request, product):
    back = request.GET.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return reverse("wagtailadmin_explore", args=[product.get_parent().pk])


def stock(request, page_id):
    """GET: a product's stock now and its last changes (who, when). POST: set it, add to it or
    lift its limit (``shop.inventory``, audited). Needs the permission to edit the page; the
    page's own edit form never writes the stock."""
    product = get_object_or_404(ProductPage.objects.select_related("stock_level"), pk=page_id)
    if not product.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    back = _back(request, product)
    form = StockForm(request.POST or None, has_limit=product.stock is not None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            left = form.save(product, request.user)
        except ShopError as refused:
            error = str(refused)
        else:
            now = "no limit" if left is None else f"{left} left"
            messages.success(request, f"Stock of “{product.title}”: {now}.")
            return redirect(back)
    history = (
        AuditEvent.objects.filter(
            action=Action.PRODUCT_STOCK_CHANGED,
            target_type=product._meta.label_lower,
            target_id=str(product.pk),
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")[:STOCK_HISTORY]
    )
    return TemplateResponse(
        request,
        "shop/admin/stock.html",
        {
            "product": product,
            "form": form,
            "error": error,
            "back": back,
            "history": list(history),
        },
        status=400 if error or form.errors else 200,
    )


def clear_stripe_flag(request, flag_id):
    """GET: what Stripe said about a product that its page does not. POST: clear the flag
    (``stripe_sync.clear_flag``, audited). Needs ``shop.change_productstripeflag``."""
    if not request.user.has_perm("shop.change_productstripeflag"):
        raise PermissionDenied
    flag = get_object_or_404(
        ProductStripeFlag.objects.select_related("product", "cleared_by"), pk=flag_id
    )
    back = reverse("shop_productstripeflag_modeladmin_index")
    if request.method == "POST":
        if stripe_sync.clear_flag(flag.pk, request.user):
            messages.success(request, f"The Stripe flag on “{flag.product.title}” is cleared.")
        return redirect(back)
    return TemplateResponse(
        request, "shop/admin/clear_stripe_flag.html", {"flag": flag, "back": back}
    )
