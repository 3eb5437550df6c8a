"""Staff actions on orders in Wagtail admin (URLs registered in wagtail_hooks, behind admin
access and the ``shop.change_order`` permission)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from . import services
from .errors import ShopError
from .models import Order


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
