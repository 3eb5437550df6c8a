"""Staff actions on orders in Wagtail admin (URLs registered in wagtail_hooks, behind admin
access and the ``shop.change_order`` permission)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from wallet.money import format_cents

from . import services, stripe_sync
from .errors import ShopError
from .models import Order, ProductStripeFlag


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
