"""The shop's own pages beside the Wagtail catalogue: the cart, checkout with the wallet, My
orders, an order's receipt with its downloads, and the download links.

Views are thin: what may be bought, prices, stock and payment are decided by ``shop.services``;
a refused action shows the service's message and changes nothing. An order is looked up by its
``public_id`` scoped to the signed-in buyer (anyone else gets 404); a cart is always the
visitor's own (``services.cart_for``), whatever product id a form names.

Product pages are Wagtail pages stored whole for anonymous visitors (``home.page_cache``), so
they carry no CSRF token: their "Add to cart" box is replaced after load by ``buy_box`` (a
private fragment with the token and the stock left now); without JavaScript its form opens
``cart_add``'s page, which asks once more with a token.
"""

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.ratelimit import client_ip, rate_limit
from wallet import card_sales
from wallet.money import format_cents
from wallet.selectors import wallet_summary

from . import selectors, services
from .errors import CardPaymentFailed, DownloadRefused, ShopError
from .forms import CheckoutForm, new_checkout_key
from .models import ProductPage

CART_POSTS_PER_MINUTE = 60
CHECKOUT_POSTS_PER_MINUTE = 10
ORDERS_PAGE_SIZE = 20


def _visitor_key(prefix):
    def key(request):
        if request.user.is_authenticated:
            return f"{prefix}:user:{request.user.pk}"
        return f"{prefix}:ip:{client_ip(request)}"

    return key


def _private(response):
    """Per-visitor HTML (a cart, a token): never kept by a shared cache."""
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ["Cookie"])
    return response


def _too_many(request):
    messages.error(request, "Too many attempts. Please wait a minute and try again.")
    return redirect("shop:cart")


# The product page's "Add to cart" ----------------------------------------------------------------


def _buy_box(request, product, **extra):
    context = {"product": product, "live": True, **extra}
    return _private(render(request, "shop/_buy_box.html", context))


@require_GET
def buy_box(request, product_id):
    """The live "Add to cart" box of a product page (HTMX fragment, swapped in after load)."""
    products = ProductPage.objects.live().select_related("stock_level")
    return _buy_box(request, get_object_or_404(products, pk=product_id))


@require_http_methods(["GET", "POST"])
@rate_limit(
    key=_visitor_key("shop-cart"),
    limit=CART_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def cart_add(request, product_id):
    """POST: add to the visitor's cart. GET: the same question on a page of its own, for a
    browser without JavaScript coming from a stored product page."""
    product = get_object_or_404(ProductPage.objects.live(), pk=product_id)
    if request.method == "GET":
        context = {"product": product, "live": True, "quantity": request.GET.get("quantity")}
        return _private(render(request, "shop/add_to_cart.html", context))
    try:
        quantity = services.parse_quantity(request.POST.get("quantity", "1"))
        services.check_orderable(product, quantity, request.user)
        cart = services.cart_for(request, create=True)
        services.add_to_cart(cart, product, quantity)
    except ShopError as error:
        if request.htmx:
            return _buy_box(request, product, error=str(error))
        messages.error(request, str(error))
        return redirect(product.get_url(request))
    count = services.cart_count(cart)
    services.remember_cart_count(request, count)
    if request.htmx:
        return _buy_box(request, product, added=quantity, cart_count=count)
    messages.success(request, f"Added {product.title} to your cart.")
    return redirect("shop:cart")


# The cart ----------------------------------------------------------------------------------------


def _cart_page(request, *, error="", status=200):
    summary = selectors.cart_summary(services.cart_for(request), request.user)
    services.remember_cart_count(request, summary.count)
    template = "shop/_cart.html" if request.htmx else "shop/cart.html"
    context = {"summary": summary, "error": error, "oob": bool(request.htmx)}
    return _private(render(request, template, context, status=status))


@require_GET
def cart(request):
    return _cart_page(request)


def _change_cart(request, product_id, change):
    """Apply ``change(cart, product)`` to the visitor's own cart, then show the cart again
    (the cart fragment for HTMX, else the page after a redirect)."""
    product = get_object_or_404(ProductPage, pk=product_id)
    cart = services.cart_for(request)
    error = ""
    try:
        if cart is None:
            raise ShopError("Your cart is empty.")
        change(cart, product)
    except ShopError as refused:
        error = str(refused)
    if request.htmx:
        return _cart_page(request, error=error)
    if error:
        messages.error(request, error)
    else:
        services.remember_cart_count(request, services.cart_count(cart))
    return redirect("shop:cart")


@require_POST
@rate_limit(
    key=_visitor_key("shop-cart"),
    limit=CART_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def cart_quantity(request, product_id):
    quantity = request.POST.get("quantity")
    return _change_cart(
        request, product_id, lambda cart, product: services.set_quantity(cart, product, quantity)
    )


@require_POST
@rate_limit(
    key=_visitor_key("shop-cart"),
    limit=CART_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def cart_remove(request, product_id):
    return _change_cart(request, product_id, services.remove)


# Checkout ----------------------------------------------------------------------------------------


@login_required
@rate_limit(
    key=_visitor_key("shop-checkout"),
    limit=CHECKOUT_POSTS_PER_MINUTE,
    window_seconds=60,
    on_limited=_too_many,
)
def checkout(request):
    """GET: what is paid, the wallet's balance and, when something ships, the address. POST:
    pay from the wallet (``services.checkout_with_wallet``); the form's key makes a second
    submission find the first order."""
    summary = selectors.cart_summary(services.cart_for(request), request.user)
    error, needs_top_up, status = "", False, 200
    if request.method == "POST":
        form = CheckoutForm(
            request.POST,
            needs_shipping=summary.needs_shipping,
            has_gift_cards=summary.has_gift_cards,
        )
        if form.is_valid():
            try:
                order = _pay(request, form)
            except ShopError as refused:
                error, needs_top_up, status = str(refused), refused.needs_top_up, 409
                summary = selectors.cart_summary(services.cart_for(request), request.user)
                if isinstance(refused, CardPaymentFailed):
                    # That key's order is cancelled: trying again is a new order.
                    data = request.POST.copy()
                    data["idempotency_key"] = new_checkout_key()
                    form = CheckoutForm(
                        data,
                        needs_shipping=summary.needs_shipping,
                        has_gift_cards=summary.has_gift_cards,
                    )
                    form.is_valid()
            else:
                return redirect(order)
        else:
            status = 400
    else:
        if not summary.rows:
            messages.info(request, "Your cart is empty: add something first.")
            return redirect("shop:cart")
        form = CheckoutForm(
            initial={"idempotency_key": new_checkout_key()},
            needs_shipping=summary.needs_shipping,
            has_gift_cards=summary.has_gift_cards,
        )
    balance = wallet_summary(request.user, request).balance
    context = {
        "summary": summary,
        "form": form,
        "error": error or " ".join(form.non_field_errors()),
        "needs_top_up": needs_top_up,
        "balance": balance,
        "short_cents": max(summary.total_cents - balance, 0),
        "cards": card_sales.saved_card_summaries(request.user),
        "card_minimum": card_sales.CARD_SALE_MIN_CENTS,
        **card_sales.stripe_js_context(),
    }
    return _private(render(request, "shop/checkout.html", context, status=status))


def _pay(request, form):
    """Pay as the checkout form chose: from the wallet (paid now) or by card (paid when
    Stripe's webhook credits the payment; the order's page follows it)."""
    common = {
        "shipping": form.shipping(),
        "idempotency_key": form.cleaned_data["idempotency_key"],
        "gift_recipient": form.gift_recipient(),
    }
    if form.by_card:
        order = services.checkout_with_card(
            request.user, payment_method_id=form.cleaned_data["payment_method"], **common
        )
        return order
    order = services.checkout_with_wallet(request.user, **common)
    # Usually 0; a form sent again after new items went in finds the first order.
    services.remember_cart_count(request, services.cart_count(services.cart_for(request)))
    messages.success(
        request, f"Paid {format_cents(order.total_cents)} from your wallet. Thank you!"
    )
    return order


def _card_payment_context(order):
    """A pending card order's payment, and the client secret while the bank wants a check."""
    if order.state != order.State.PENDING or order.payment_method != order.Method.CARD:
        return {}
    payment = services.card_payment_of(order)
    client_secret = card_sales.client_secret_for(payment) if payment else None
    if client_secret is None:
        # Following the payment out of a bank check may have failed it, cancelling the order.
        order.refresh_from_db(fields=["state", "cancel_reason"])
    return {"payment": payment, "client_secret": client_secret, **card_sales.stripe_js_context()}


# Orders and downloads ----------------------------------------------------------------------------


@login_required
@require_GET
def orders(request):
    paginator = Paginator(selectors.orders_for(request.user), ORDERS_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(request, "shop/orders.html", {"page_obj": page_obj, "orders": page_obj})


@login_required
@require_GET
@never_cache
def order_detail(request, public_id):
    """An order's receipt; its download buttons carry links that work for a few minutes."""
    order = selectors.order_for(request.user, public_id)
    if order is None:
        raise Http404("No such order.")
    payment_context = _card_payment_context(order)
    if getattr(request, "htmx", False):
        if order.state != order.State.PENDING:
            # Paid or cancelled while the panel polled: the whole receipt changes.
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        context = {"order": order, **payment_context}
        return _private(render(request, "shop/_order_payment.html", context))
    if order.payment_method == order.Method.CARD and order.is_paid:
        # Paid by the webhook: the cart lost what was bought, which this session's count
        # does not know yet.
        services.remember_cart_count(request, services.cart_count(services.cart_for(request)))
    rows = selectors.receipt_lines(order, request.user)
    context = {
        **payment_context,
        "order": order,
        "rows": rows,
        "has_downloads": order.is_paid and any(row.line.is_digital for row in rows),
        "gift_cards": selectors.gift_cards_of(order),
        "wallet_receipt_url": (
            reverse("wallet:purchase_detail", args=[order.purchase.public_id])
            if order.purchase_id
            else ""
        ),
    }
    return render(request, "shop/order_detail.html", context)


@login_required
@require_GET
def download(request, token):
    """The file of a signed link from ``services.download_url``: checked (signature, age, the
    signed-in buyer, a paid order) and counted before anything is sent."""
    try:
        line = services.open_download(token, request.user)
    except DownloadRefused as refused:
        if refused.status == 404:
            raise Http404(str(refused)) from refused
        context = {"message": str(refused), "order": getattr(refused, "order", None)}
        return _private(
            render(request, "shop/download_refused.html", context, status=refused.status)
        )
    url = services.presigned_url(line)
    if url:
        # The presigned link opens the file for minutes without counting: no cache keeps it.
        response = redirect(url)
        patch_cache_control(response, private=True, no_store=True)
        return response
    file = line.product.download
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=os.path.basename(file.name)
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
