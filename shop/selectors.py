"""Reads the shop's pages show, scoped to the visitor asking, with their queries fixed once (a
cart or an order costs the same few queries however many lines it has)."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from wagtail.images import get_image_model

from wallet.models import GiftCard

from . import services
from .errors import ShopError
from .models import CartLine, Order, OrderLine

THUMBNAIL = "fill-160x120"


@dataclass
class CartRow:
    """One line of the cart as the cart page shows it, with what stands in its way."""

    line: CartLine
    problem: str = ""

    @property
    def product(self):
        return self.line.product

    @property
    def quantity_choices(self):
        """1 up to what may be bought now, and the line's own quantity if that is more (the
        problem says why)."""
        return range(1, max(self.product.max_quantity, self.line.quantity) + 1)


@dataclass
class CartSummary:
    rows: list = field(default_factory=list)
    total_cents: int = 0
    count: int = 0
    needs_shipping: bool = False
    has_gift_cards: bool = False

    @property
    def can_check_out(self):
        return bool(self.rows) and not any(row.problem for row in self.rows)


def _problem(line, user):
    try:
        services.check_orderable(line.product, line.quantity, user)
    except ShopError as error:
        return str(error)
    return ""


def cart_summary(cart, user=None):
    """The lines of ``cart`` with their products and thumbnails (three queries at most), their
    problems (sold out, fewer left than wanted, no longer sold) and the total at today's
    prices."""
    if cart is None:
        return CartSummary()
    images = get_image_model().objects.prefetch_renditions(THUMBNAIL)
    lines = list(
        CartLine.objects.filter(cart=cart)
        .select_related("product", "product__stock_level")
        .prefetch_related(Prefetch("product__image", queryset=images))
        .order_by("added_at", "id")
    )
    rows = [CartRow(line, _problem(line, user)) for line in lines]
    return CartSummary(
        rows=rows,
        total_cents=sum(line.line_cents for line in lines),
        count=sum(line.quantity for line in lines),
        needs_shipping=services.needs_shipping(line.product for line in lines),
        has_gift_cards=services.has_gift_cards(line.product for line in lines),
    )


def orders_for(user):
    """``user``'s orders, newest first, with their lines (two queries whatever the number)."""
    return (
        Order.objects.filter(buyer=user)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("id")))
        .order_by("-created_at", "-id")
    )


@dataclass
class ReceiptLine:
    line: OrderLine
    download_url: str = ""
    downloads_left: int = 0


def order_for(user, public_id):
    """``user``'s order ``public_id`` (None for anyone else's) with its purchase and lines."""
    return (
        Order.objects.filter(buyer=user, public_id=public_id)
        .select_related("purchase")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id"))
        )
        .first()
    )


def receipt_lines(order, user):
    """The order's lines with, for downloads, a fresh link (while downloads are left)."""
    rows = []
    for line in order.lines.all():
        row = ReceiptLine(line)
        if line.is_digital:
            row.downloads_left = services.downloads_left(line)
            if services.can_download(line, user):
                row.download_url = services.download_url(line, user)
        rows.append(row)
    return rows


def gift_cards_of(order):
    """The gift cards ``order`` bought, each with the id of its order line (one query; the
    card's reference names its line: ``order:<id>:line:<line id>:<n>``)."""
    if not order.purchase_id:
        return []
    cards = list(GiftCard.objects.filter(purchase_id=order.purchase_id).order_by("pk"))
    for card in cards:
        card.order_line_id = int(card.reference.split(":line:")[1].split(":")[0])
    return cards
