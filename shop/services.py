"""Every change a shopper makes: the cart (a visitor's, kept by their session, or a signed-in
user's; merged at login), checkout with the wallet, and downloads of what they paid for.

Each function owns its transaction. A refusal raises a ``ShopError`` whose message is shown as
it is, and changes nothing. Prices, stock and shares are always read from the database: nothing
a form sends but a quantity, a product id and an address is believed.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from home import page_cache
from home.audit import Action, record_event
from wallet import card_sales, gift_cards, sales
from wallet.errors import InsufficientFunds, InvalidAmount, SpendingLimitReached
from wallet.money import format_cents

from . import inventory
from .errors import (
    CardPaymentFailed,
    CartEmpty,
    DownloadExpired,
    DownloadLimitReached,
    DownloadRefused,
    InsufficientBalance,
    InvalidQuantity,
    NotAvailable,
    NotEnoughStock,
    OrderNotSendable,
    RefundRefused,
    ShippingRequired,
    ShopError,
    SoldOut,
    SpendingLimitWouldBlock,
)
from .models import MAX_QUANTITY, Cart, CartLine, Order, OrderLine, ProductPage
from .storage import serves_files_itself

# Session keys: the anonymous visitor's cart, and how many items the header says it holds.
SESSION_CART = "shop_cart"
SESSION_CART_COUNT = "shop_cart_count"
# How long a shared cart count is kept; after that the header falls back to the session's.
CART_COUNT_SECONDS = 30 * 24 * 3600
DOWNLOAD_SALT = "shop.download"
SHIPPING_FIELDS = ("name", "line1", "line2", "city", "postcode", "country")
REQUIRED_SHIPPING_FIELDS = ("name", "line1", "city", "postcode", "country")
_DIGITS = re.compile(r"[0-9]{1,6}")


# Quantities and what can be bought ----------------------------------------------------------------


def parse_quantity(raw):
    """A quantity a person typed, as an int from 1 to ``MAX_QUANTITY``; anything else
    (negative, zero, huge, a fraction, text) raises ``InvalidQuantity``."""
    text = "" if raw is None or isinstance(raw, bool) else str(raw).strip()
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= MAX_QUANTITY:
        raise InvalidQuantity(f"Choose a quantity from 1 to {MAX_QUANTITY}.")
    return int(text)


def check_orderable(product, quantity, buyer=None):
    """Raise unless ``buyer`` (None: a visitor) may have ``quantity`` of ``product`` now."""
    if not product.is_orderable:
        raise NotAvailable(f"{product.title} can't be ordered right now.")
    if buyer is not None and buyer.is_authenticated and product.seller_id == buyer.pk:
        raise NotAvailable("This is your own product: you can't buy it.")
    if product.sold_out:
        raise SoldOut(f"Sorry, {product.title} is sold out.")
    if product.is_digital and quantity > 1:
        raise InvalidQuantity(f"{product.title} is a download: one copy is all you need.")
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(f"You can order at most {MAX_QUANTITY} of one item.")
    if product.stock is not None and quantity > product.stock:
        raise NotEnoughStock(f"Only {product.stock} of {product.title} left.")


# The cart -----------------------------------------------------------------------------------------


def cart_for(request, *, create=False):
    """The visitor's cart: the signed-in user's, or the one this session opened. ``None`` when
    there is none yet, unless ``create``."""
    user = request.user
    if user.is_authenticated:
        if create:
            return Cart.objects.get_or_create(user=user)[0]
        return Cart.objects.filter(user=user).first()
    cart_id = request.session.get(SESSION_CART)
    cart = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if cart is None and create:
        cart = Cart.objects.create()
        request.session[SESSION_CART] = cart.pk
    return cart


def _locked(cart):
    """The cart's row, locked: one change at a time per cart."""
    return Cart.objects.select_for_update(of=("self",)).select_related("user").get(pk=cart.pk)


def _fresh(product):
    return ProductPage.objects.get(pk=product.pk)


def _touch(cart):
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())


def add_to_cart(cart, product, quantity=1):
    """Put ``quantity`` more of ``product`` in ``cart`` (one line per product). Refused when the
    product cannot be ordered, is sold out, or the line would hold more than the stock left, more
    than ``MAX_QUANTITY``, or a second copy of a download. Returns the ``CartLine``."""
    quantity = parse_quantity(quantity)
    with transaction.atomic():
        cart = _locked(cart)
        product = _fresh(product)
        line = CartLine.objects.filter(cart=cart, product=product).first()
        if line is not None and product.is_digital:
            raise InvalidQuantity(f"{product.title} is already in your cart.")
        total = quantity + (line.quantity if line else 0)
        check_orderable(product, total, cart.user)
        if line is None:
            line = CartLine.objects.create(cart=cart, product=product, quantity=total)
        else:
            line.quantity = total
            line.save(update_fields=["quantity"])
        _touch(cart)
    return line


def set_quantity(cart, product, quantity):
    """Change how many of ``product`` the cart holds (same limits as ``add_to_cart``)."""
    quantity = parse_quantity(quantity)
    with transaction.atomic():
        cart = _locked(cart)
        line = CartLine.objects.filter(cart=cart, product_id=product.pk).first()
        if line is None:
            raise NotAvailable("That item isn't in your cart any more.")
        check_orderable(_fresh(product), quantity, cart.user)
        line.quantity = quantity
        line.save(update_fields=["quantity"])
        _touch(cart)
    return line


def remove(cart, product):
    """Take ``product`` out of the cart (nothing happens when it is not there)."""
    with transaction.atomic():
        cart = _locked(cart)
        CartLine.objects.filter(cart=cart, product_id=product.pk).delete()
        _touch(cart)


def cart_count(cart):
    """How many items ``cart`` holds (one query; 0 for no cart)."""
    if cart is None:
        return 0
    return CartLine.objects.filter(cart=cart).aggregate(n=Sum("quantity"))["n"] or 0


def remember_cart_count(request, count):
    """Keep the header's count in the session, so no page pays a query for it. Written only
    when it changes: a visitor without a session does not get one for a count of 0. A
    signed-in user's count is also shared with their other sessions (``shared_cart_count``)."""
    if request.session.get(SESSION_CART_COUNT, 0) != count:
        request.session[SESSION_CART_COUNT] = count
    if request.user.is_authenticated:
        share_cart_count(request.user.pk, count)


def _count_key(user_id):
    return f"shop:cart-count:{user_id}"


def share_cart_count(user_id, count):
    """After commit, tell every session of the user (their phone, another browser) how many
    items their cart holds: the header reads it from the cache, without a query."""
    transaction.on_commit(lambda: cache.set(_count_key(user_id), count, timeout=CART_COUNT_SECONDS))


def shared_cart_count(user_id):
    """The count ``share_cart_count`` last shared for the user, or None (then the session's)."""
    return cache.get(_count_key(user_id))


def merge_session_cart(request, user):
    """At login: move the lines of the cart this session opened as a visitor into ``user``'s
    cart (quantities added up, at most ``MAX_QUANTITY``, one copy of a download; the user's own
    products left out), then forget the visitor's cart. Stock is checked at checkout, where the
    cart page says what ran out. Sets the header's count."""
    cart_id = request.session.pop(SESSION_CART, None)
    if cart_id:
        with transaction.atomic():
            visitor = Cart.objects.select_for_update().filter(pk=cart_id, user__isnull=True)
            visitor = visitor.first()
            if visitor is not None:
                _merge_lines(visitor, _locked(Cart.objects.get_or_create(user=user)[0]), user)
    count = CartLine.objects.filter(cart__user=user).aggregate(n=Sum("quantity"))["n"] or 0
    request.session[SESSION_CART_COUNT] = count
    share_cart_count(user.pk, count)


def _merge_lines(visitor, cart, user):
    existing = {line.product_id: line for line in cart.lines.all()}
    for line in visitor.lines.select_related("product"):
        product = line.product
        if product.seller_id == user.pk:
            continue
        cap = 1 if product.is_digital else MAX_QUANTITY
        mine = existing.get(product.pk)
        if mine is None:
            CartLine.objects.create(cart=cart, product=product, quantity=min(line.quantity, cap))
        else:
            mine.quantity = min(mine.quantity + line.quantity, cap)
            mine.save(update_fields=["quantity"])
    visitor.delete()
    _touch(cart)


# Checkout -----------------------------------------------------------------------------------------


def needs_shipping(products):
    return any(product.kind == ProductPage.Kind.PHYSICAL for product in products)


def has_gift_cards(products):
    return any(product.is_gift_card for product in products)


def _shipping_fields(shipping, required):
    shipping = {name: str((shipping or {}).get(name) or "").strip() for name in SHIPPING_FIELDS}
    if required and not all(shipping[name] for name in REQUIRED_SHIPPING_FIELDS):
        raise ShippingRequired("Physical items need an address: fill in where to send them.")
    if not required:
        return {}
    return {f"shipping_{name}": value for name, value in shipping.items()}


def _describe(titles):
    first = titles[0]
    if len(titles) == 1:
        return f"Shop order: {first}"
    return f"Shop order: {first} and {len(titles) - 1} more"


def checkout_with_wallet(user, *, shipping=None, idempotency_key, gift_recipient=None):
    """Pay for everything in ``user``'s cart from their wallet, in one transaction: the
    products' rows are locked in id order and read again (prices from the database, never from
    the request), stock is checked and taken, the order and its lines (prices, titles and
    reader shares copied) are written, and one purchase (``wallet.sales``) is charged once: each
    seller reader gets their share of their lines (rounded down), the platform the rest. Then
    the cart is emptied.

    ``idempotency_key`` comes from the checkout form: the same form submitted again returns the
    first order and pays nothing more. Physical items need ``shipping`` (``SHIPPING_FIELDS``).
    Gift cards: their price waits in the wallet's gift cards account (``wallet.gift_cards``);
    each card's code goes by email, after commit, to ``gift_recipient`` ({"email", "message"};
    the buyer when no email is given).
    Refusals (empty cart, sold out, not enough stock, no address, not enough money in the
    wallet, a spending limit) raise a ``ShopError`` and write nothing. Returns the ``Order``."""
    key = str(idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise ValueError("checkout_with_wallet() needs an idempotency key of at most 64 characters")
    try:
        with transaction.atomic():
            order, sold_out = _checkout(user, shipping, key, gift_recipient)
    except InsufficientFunds as error:
        raise InsufficientBalance(f"{error} Top up your wallet, then check out.") from error
    except SpendingLimitReached as error:
        raise SpendingLimitWouldBlock(str(error)) from error
    if sold_out:
        # The shop's pages say "Sold out" from the stock count: forget stored copies.
        page_cache.bump()
    return order


def _checkout(user, shipping, key, gift_recipient=None):
    cart, existing, lines, products, shipping_fields, total = _prepare(user, shipping, key)
    if existing is not None:
        return existing, False
    sales.check_can_pay(user, total)
    order = Order.objects.create(buyer=user, total_cents=total, checkout_key=key, **shipping_fields)
    order_lines = _write_lines(order, lines, products)
    sold_out = _pay(order, order_lines, products, gift_recipient or {})
    CartLine.objects.filter(cart=cart).delete()
    _touch(cart)
    return order, sold_out


def _prepare(user, shipping, key):
    """The locked cart, the order this checkout form made before (if any), and else the cart's
    lines and their products (locked, in id order, read again), checked orderable, with the
    address fields and the total at today's prices. Refusals raise a ``ShopError``."""
    cart = Cart.objects.select_for_update().filter(user=user).first()
    existing = Order.objects.filter(buyer=user, checkout_key=key).first()
    if existing is not None:
        return cart, existing, [], {}, {}, 0
    lines = list(cart.lines.order_by("product_id")) if cart is not None else []
    if not lines:
        raise CartEmpty("Your cart is empty: there is nothing to pay for.")
    products = _locked_products([line.product_id for line in lines])
    for line in lines:
        check_orderable(products[line.product_id], line.quantity, user)
    shipping_fields = _shipping_fields(shipping, needs_shipping(products.values()))
    total = sum(products[line.product_id].price_cents * line.quantity for line in lines)
    return cart, None, lines, products, shipping_fields, total


def _locked_products(ids):
    return {
        product.pk: product
        for product in ProductPage.objects.select_for_update(of=("self",))
        .select_related("seller")
        .filter(pk__in=ids)
        .order_by("pk")
    }


def _write_lines(order, lines, products):
    has_sellers = any(product.seller_id for product in products.values())
    share = sales.reader_share_percent(sales.SaleKind.ORDER) if has_sellers else 0
    return OrderLine.objects.bulk_create(
        [_order_line(order, products[line.product_id], line.quantity, share) for line in lines]
    )


def _pay(order, order_lines, products, gift_recipient):
    """Take the stock of ``order``'s lines and charge the order from the buyer's wallet: one
    purchase (``wallet.sales``), each seller reader their share of their lines (rounded down),
    the platform the rest; then issue its gift cards and mark it paid (and fulfilled when
    nothing ships). The products are locked by the caller. Returns whether something sold
    out."""
    user = order.buyer
    sold_out = False
    for line in order_lines:
        product = products[line.product_id]
        if product.stock is not None:
            inventory.take(product, line.quantity)
            sold_out = sold_out or product.stock == line.quantity
    purchase = sales.open_purchase(
        client=user,
        seller=None,
        kind=sales.SaleKind.ORDER,
        reference=reference_of(order),
        description=_describe([line.title for line in order_lines]),
        detail_url=order.get_absolute_url(),
        metadata={"order": str(order.public_id)},
    )
    paid = sales.charge(
        purchase,
        order.total_cents,
        idempotency_key=f"order:{order.public_id}:pay",
        metadata={"order": str(order.public_id)},
        parts=[
            sales.Part(line.seller, line.line_cents, line.reader_share_percent)
            for line in order_lines
            if line.seller_id
        ],
        gift_cards=sum(line.line_cents for line in order_lines if line.is_gift_card),
    )
    _issue_gift_cards(user, purchase, order_lines, gift_recipient)
    order.move(Order.State.PAID)
    order.purchase = purchase
    order.paid_at = timezone.now()
    record_event(
        Action.ORDER_PAID,
        actor=user,
        target=order,
        total_cents=order.total_cents,
        items=sum(line.quantity for line in order_lines),
        transfer=str(paid.public_id),
        by=order.payment_method,
    )
    if all(line.is_digital or line.is_gift_card for line in order_lines):
        # Nothing to send: the downloads are the delivery.
        order.move(Order.State.FULFILLED)
        record_event(Action.ORDER_FULFILLED, target=order, by="download")
    order.save(update_fields=["state", "purchase", "paid_at"])
    return sold_out


def reference_of(order):
    return f"order:{order.public_id}"


# Checkout by card ---------------------------------------------------------------------------------


def checkout_with_card(
    user, *, payment_method_id, shipping=None, idempotency_key, gift_recipient=None
):
    """Pay for ``user``'s cart with one of their saved cards. The order is written now, as it
    is at today's prices (pending, nothing taken yet, the cart kept), and the card is charged
    for its total (``wallet.card_sales``). The order is paid only when Stripe's verified
    webhook credits that payment: then, in the webhook's transaction, stock is taken and the
    order is charged from the wallet exactly as ``checkout_with_wallet`` does
    (``card_payment_cleared``). If by then it can't be (the last one sold to someone else, a
    limit), the order is cancelled and the card refunded in full.

    The same ``idempotency_key`` finds the first order and charges nothing more. Refusals
    before the charge (empty cart, sold out, no address, a spending limit) raise a
    ``ShopError`` and write nothing; a declined card raises ``CardPaymentFailed`` and leaves
    the order cancelled with the bank's message. Returns the ``Order``."""
    key = str(idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise ValueError("checkout_with_card() needs an idempotency key of at most 64 characters")
    recipient = gift_recipient or {}
    try:
        with transaction.atomic():
            _, existing, lines, products, shipping_fields, total = _prepare(user, shipping, key)
            if existing is not None:
                return existing
            sales.check_within_limits(user, total)
            if total < card_sales.CARD_SALE_MIN_CENTS:
                raise CardPaymentFailed(
                    f"Card payments start at {format_cents(card_sales.CARD_SALE_MIN_CENTS)}: "
                    "pay this order from your wallet."
                )
            order = Order.objects.create(
                buyer=user,
                total_cents=total,
                checkout_key=key,
                payment_method=Order.Method.CARD,
                gift_email=(recipient.get("email") or "").strip(),
                gift_message=(recipient.get("message") or "").strip()[:300],
                **shipping_fields,
            )
            order_lines = _write_lines(order, lines, products)
            record_event(Action.ORDER_PLACED, actor=user, target=order, total_cents=total)
    except SpendingLimitReached as error:
        raise SpendingLimitWouldBlock(str(error)) from error
    # The order is committed before Stripe is called: a webhook that lands before the call
    # returns finds it.
    try:
        card_sales.start(
            user,
            total,
            payment_method_id,
            reference=reference_of(order),
            description=_describe([line.title for line in order_lines]),
        )
    except card_sales.PaymentError as error:
        cancel_unpaid(order, str(error))
        raise CardPaymentFailed(str(error)) from error
    order.refresh_from_db()
    return order


def card_payment_cleared(reference, buyer):
    """The wallet's handler for a card payment that Stripe's verified webhook just credited to
    ``buyer``'s wallet (``wallet.sale_handlers``), called in the webhook's transaction: pay the
    pending order ``reference`` names from the wallet, as a wallet checkout does. Returns
    False (the order cancelled, saying why; the wallet then refunds the card) when it can't
    be paid any more."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .filter(public_id=reference.partition(":")[2], buyer=buyer)
        .first()
    )
    if order is None:
        return False
    if order.state != Order.State.PENDING:
        return order.is_paid
    try:
        with transaction.atomic():
            order_lines = list(order.lines.select_related("seller").order_by("product_id"))
            products = _locked_products([line.product_id for line in order_lines])
            for line in order_lines:
                check_orderable(products[line.product_id], line.quantity, buyer)
            sold_out = _pay(
                order,
                order_lines,
                products,
                {"email": order.gift_email, "message": order.gift_message},
            )
    except InsufficientFunds:
        # The credit went first to what the buyer owed (a refund or dispute after spending).
        reason = "The card payment went to settle an amount your wallet owed."
    except (ShopError, SpendingLimitReached) as error:
        reason = str(error)
    else:
        reason = None
    if reason is not None:
        order.refresh_from_db()
        cancel_unpaid(order, f"{reason} Your card payment is being refunded in full.")
        return False
    cart = Cart.objects.filter(user=buyer).first()
    if cart is not None:
        CartLine.objects.filter(
            cart=cart, product_id__in=[line.product_id for line in order_lines]
        ).delete()
        _touch(cart)
        share_cart_count(buyer.pk, cart_count(cart))
    if sold_out:
        transaction.on_commit(page_cache.bump)
    return True


def card_payment_failed(reference, message):
    """The wallet's handler for a failed card payment: the pending order is cancelled with
    the bank's message (the cart is untouched, so the buyer can try again)."""
    order = Order.objects.filter(public_id=reference.partition(":")[2]).first()
    if order is not None:
        cancel_unpaid(order, message)


def cancel_unpaid(order, reason):
    """pending -> cancelled, saying why; nothing happens to an order that moved on."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.state != Order.State.PENDING:
            return locked
        locked.move(Order.State.CANCELLED)
        locked.cancel_reason = str(reason)[:300]
        locked.save(update_fields=["state", "cancel_reason"])
        record_event(Action.ORDER_CANCELLED, target=locked, reason=locked.cancel_reason)
    order.refresh_from_db()
    return locked


def cancel_abandoned_card_orders(now=None):
    """Cancel card orders still pending ``SHOP_CARD_ORDER_HOURS`` after they were placed (the
    bank's check abandoned, the browser closed). Should their payment clear after all, the
    order is no longer pending and the wallet refunds the card. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.SHOP_CARD_ORDER_HOURS)
    stale = Order.objects.filter(
        state=Order.State.PENDING, payment_method=Order.Method.CARD, created_at__lt=cutoff
    ).order_by("pk")
    reason = f"It was not paid within {settings.SHOP_CARD_ORDER_HOURS} hours."
    cancelled = 0
    for order in stale.iterator():
        cancelled += cancel_unpaid(order, reason).state == Order.State.CANCELLED
    return cancelled


def card_payment_of(order):
    """The card payment of a card order (status, failure message), or None."""
    return card_sales.card_sale_payment(order.buyer, reference_of(order))


def _issue_gift_cards(user, purchase, order_lines, recipient):
    """One gift card per unit of each gift card line, its code emailed after commit (the code
    exists only here and in that email: the wallet keeps a digest)."""
    email = (recipient.get("email") or "").strip() or user.email
    message = (recipient.get("message") or "").strip()[:300]
    sent = []
    for line in order_lines:
        if not line.is_gift_card:
            continue
        for unit in range(line.quantity):
            card, code = gift_cards.issue(
                purchase,
                line.unit_cents,
                reference=f"{purchase.reference}:line:{line.pk}:{unit}",
                recipient_email=email,
                message=message,
            )
            if code:
                sent.append((card.amount, code))
    if sent and email:
        transaction.on_commit(lambda: _send_gift_cards(user, email, message, sent))


def _send_gift_cards(buyer, email, message, cards):
    name = buyer.display_name or buyer.username
    lines = [f"{name} sent you {'a gift card' if len(cards) == 1 else 'gift cards'} for SoulSeer."]
    if message:
        lines += ["", f"“{message}”"]
    lines.append("")
    for amount, code in cards:
        lines.append(f"{format_cents(amount)}: {code}")
    lines += [
        "",
        "Sign in (or sign up) and enter the code on your wallet page, under "
        f"“Redeem a gift card”: {settings.SITE_URL.rstrip('/')}{reverse('wallet:redeem')}",
        "Each code works once.",
    ]
    send_mail("Your SoulSeer gift card", "\n".join(lines), None, [email])


def _order_line(order, product, quantity, share):
    """The line of ``order`` for ``product`` as it is now: title, kind, price and the seller
    reader's share are copied, so later edits never change what was bought."""
    return OrderLine(
        order=order,
        product=product,
        title=product.title[:255],
        kind=product.kind,
        unit_cents=product.price_cents,
        quantity=quantity,
        seller=product.seller,
        reader_share_percent=share if product.seller_id else 0,
    )


# Downloads ----------------------------------------------------------------------------------------


def _signer():
    return signing.TimestampSigner(salt=DOWNLOAD_SALT)


def can_download(line, user):
    """Whether ``user`` may download the file of ``line`` now (their paid order, a download
    with its file, downloads left)."""
    return (
        line.order.buyer_id == user.pk
        and line.order.is_paid
        and line.refunded_at is None
        and line.is_digital
        and bool(line.product.download)
        and line.downloads < settings.SHOP_DOWNLOAD_LIMIT
    )


def downloads_left(line):
    return max(settings.SHOP_DOWNLOAD_LIMIT - line.downloads, 0)


def download_url(line, user):
    """A link to the file of ``line`` for ``user`` (the buyer of a paid order), signed, that
    works for ``SHOP_DOWNLOAD_LINK_SECONDS`` and only for them. Each use counts one of the
    ``SHOP_DOWNLOAD_LIMIT`` downloads (``open_download``)."""
    if not can_download(line, user):
        raise DownloadRefused()
    return reverse("shop:download", args=[_signer().sign(f"{line.pk}.{user.pk}")])


def _line_of(token, user):
    """The line a download token names, after checking its signature and its age."""
    try:
        value = _signer().unsign(token, max_age=settings.SHOP_DOWNLOAD_LINK_SECONDS)
        expired = False
    except signing.SignatureExpired:
        value, expired = _signer().unsign(token), True
    except signing.BadSignature as error:
        raise DownloadRefused() from error
    line_id, _, user_id = value.partition(".")
    if user_id != str(user.pk) or not line_id.isdigit():
        raise DownloadRefused()  # someone else's link: as if there were none
    line = (
        OrderLine.objects.select_related("order", "product")
        .filter(pk=int(line_id), order__buyer=user)
        .first()
    )
    if line is None:
        raise DownloadRefused()
    if expired:
        error = DownloadExpired()
        error.order = line.order
        raise error
    return line


def open_download(token, user):
    """Check a link from ``download_url`` for ``user`` and count one download, atomically
    (never past ``SHOP_DOWNLOAD_LIMIT``, however many requests race). Returns the
    ``OrderLine`` (with its product). Raises ``DownloadRefused`` (tampered, someone else's, an
    unpaid order, no file: shown as not found), ``DownloadExpired`` or
    ``DownloadLimitReached``."""
    line = _line_of(token, user)
    if (
        not line.order.is_paid
        or line.refunded_at is not None
        or not line.is_digital
        or not line.product.download
    ):
        raise DownloadRefused()
    with transaction.atomic():
        counted = OrderLine.objects.filter(
            pk=line.pk, downloads__lt=settings.SHOP_DOWNLOAD_LIMIT
        ).update(downloads=F("downloads") + 1)
        if not counted:
            error = DownloadLimitReached()
            error.order = line.order
            raise error
        line.refresh_from_db(fields=["downloads"])
        record_event(
            Action.ORDER_DOWNLOADED,
            actor=user,
            target=line.order,
            line=line.pk,
            downloads=line.downloads,
        )
    return line


def presigned_url(line):
    """Where to send the buyer for the file when the storage serves it (S3: a presigned GET
    that works for ``SHOP_DOWNLOAD_LINK_SECONDS``), or None when the view streams it."""
    file = line.product.download
    if serves_files_itself(file.storage):
        return None
    return file.storage.url(file.name, expire=settings.SHOP_DOWNLOAD_LINK_SECONDS)


# Staff ------------------------------------------------------------------------------------------


def fulfil(order, staff_user):
    """Staff sent a paid order's items: paid -> fulfilled, audited with who did it, and the
    buyer is told by email after commit. Refuses (``OrderNotSendable``) any other state."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().select_related("buyer").get(pk=order.pk)
        if not locked.can_move(Order.State.FULFILLED):
            raise OrderNotSendable(
                f"This order is {locked.get_state_display().lower()}: only a paid order can be "
                "marked as sent."
            )
        locked.move(Order.State.FULFILLED)
        locked.save(update_fields=["state"])
        record_event(Action.ORDER_FULFILLED, actor=staff_user, target=locked, by="staff")
        buyer = locked.buyer
        if buyer.email:
            url = f"{settings.SITE_URL.rstrip('/')}{locked.get_absolute_url()}"
            transaction.on_commit(
                lambda: send_mail(
                    "Your SoulSeer order is on its way",
                    f"Your order of {format_cents(locked.total_cents)} was sent to "
                    f"{locked.shipping_name}. The receipt: {url}",
                    None,
                    [buyer.email],
                )
            )
    return locked


def refund(order, staff_user, *, line_ids=None, reason):
    """Staff give back the price of ``order``'s lines (``line_ids``; all of them when None)
    through the sale path: the exact opposite of their part of the charge (each seller reader
    gives back their share of their lines, the platform the rest). Lines refunded before are
    refused, and so are gift cards (a code may already be in someone's hands). When every line
    is refunded the order is refunded. Stock is not put back (the item may not come back).
    Raises ``RefundRefused`` with nothing changed; returns the order."""
    reason = (reason or "").strip()
    if not reason:
        raise RefundRefused("Say why the order is refunded: the buyer and the reader may ask.")
    with transaction.atomic():
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("purchase")
            .get(pk=order.pk)
        )
        if not locked.is_paid or locked.purchase is None:
            raise RefundRefused(f"This order is {locked.get_state_display().lower()}.")
        lines = list(locked.lines.select_related("seller").order_by("pk"))
        chosen = [line for line in lines if line_ids is None or line.pk in set(line_ids)]
        if not chosen:
            raise RefundRefused("Choose the items to refund.")
        if any(line.refunded_at for line in chosen):
            raise RefundRefused("An item you chose was refunded already.")
        if any(line.is_gift_card for line in chosen):
            raise RefundRefused("Gift cards can't be refunded: their code may be in use.")
        gross = sum(line.line_cents for line in chosen)
        ids = ",".join(str(line.pk) for line in chosen)
        try:
            sales.refund(
                locked.purchase,
                gross,
                idempotency_key=f"{locked.purchase.reference}:refund:{ids}",
                parts=[
                    sales.Part(line.seller, line.line_cents, line.reader_share_percent)
                    for line in chosen
                    if line.seller_id
                ],
                initiated_by=staff_user,
                reason=reason,
            )
        except (InsufficientFunds, InvalidAmount) as error:
            raise RefundRefused(str(error)) from error
        now = timezone.now()
        OrderLine.objects.filter(pk__in=[line.pk for line in chosen]).update(refunded_at=now)
        if all(line.refunded_at or line in chosen for line in lines):
            locked.move(Order.State.REFUNDED)
            locked.save(update_fields=["state"])
        record_event(
            Action.ORDER_REFUNDED,
            actor=staff_user,
            target=locked,
            lines=[line.pk for line in chosen],
            gross=gross,
            reason=reason,
        )
    return locked
