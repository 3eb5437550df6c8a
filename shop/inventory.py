"""How many of each product are left to sell (``ProductStock``, never a page field): staff set a
count or add to it, audited with who did it; checkout takes from it.

Every change locks the product's page row first, the lock checkout holds from the moment it
checks the stock until it has taken it, so no count changes between a checkout's check and its
take. The count itself is read after that lock, in a statement of its own: a join in the locking
statement would give the value from before the wait.
"""

from django.db import transaction
from django.db.models import F

from home import page_cache
from home.audit import Action, record_event

from .errors import NotEnoughStock, StockRefused
from .models import LOW_STOCK, ProductPage, ProductStock

# More than anyone keeps of one item: a typing slip, not a count.
MAX_STOCK = 100_000


def _locked(product):
    return ProductPage.objects.select_for_update(of=("self",)).get(pk=product.pk)


def _check_count(quantity):
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise StockRefused("The stock is a whole number from 0 up.")
    if quantity > MAX_STOCK:
        raise StockRefused(f"The stock can be at most {MAX_STOCK:,}.")


def _recorded(product, by, before, after, change, **data):
    record_event(
        Action.PRODUCT_STOCK_CHANGED,
        actor=by,
        target=product,
        change=change,
        before=before,
        after=after,
        **data,
    )
    # The catalogue and stored product pages say "Sold out" from the count.
    transaction.on_commit(page_cache.bump)
    return after


def set_stock(product, quantity, *, by=None):
    """Set how many of ``product`` are left to ``quantity`` (0 or more; None: no limit), as
    counted by ``by`` (staff; None for set-up such as demo content). Refused (``StockRefused``)
    for a gift card, which never runs out. Audited with the count before and after. Returns the
    new count."""
    if quantity is not None:
        _check_count(quantity)
    with transaction.atomic():
        locked = _locked(product)
        if locked.is_gift_card and quantity is not None:
            raise StockRefused("Gift cards never run out: they have no stock to set.")
        before = locked.stock
        if quantity is None:
            ProductStock.objects.filter(product=locked).delete()
        else:
            ProductStock.objects.update_or_create(product=locked, defaults={"quantity": quantity})
        return _recorded(
            locked, by, before, quantity, "set" if quantity is not None else "no limit"
        )


def restock(product, added, *, by=None):
    """Add ``added`` (1 or more) to how many of ``product`` are left, as ``by`` received them,
    whatever was sold meanwhile. Refused for a product without a limit (there is nothing to add
    to: set a count instead) and for gift cards. Audited. Returns the new count."""
    if isinstance(added, bool) or not isinstance(added, int) or added < 1:
        raise StockRefused("Add at least one.")
    with transaction.atomic():
        locked = _locked(product)
        before = locked.stock
        if before is None:
            raise StockRefused(
                f"{locked.title} has no stock limit: set a count instead of adding to it."
            )
        if before + added > MAX_STOCK:
            raise StockRefused(f"The stock can be at most {MAX_STOCK:,}.")
        ProductStock.objects.filter(product=locked).update(quantity=F("quantity") + added)
        return _recorded(locked, by, before, before + added, "added", added=added)


def take(product, quantity):
    """Checkout takes ``quantity`` of ``product`` (a product with a limit, whose page row the
    caller locked and whose count it checked). The database has the last word: the count never
    goes below zero (``NotEnoughStock`` instead, and the caller's transaction rolls back). When
    few are left after it, the stored pages that say how many are forgotten after commit."""
    taken = ProductStock.objects.filter(product_id=product.pk, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity
    )
    if not taken:
        raise NotEnoughStock(f"Not enough of {product.title} left.")
    if product.stock is not None and product.stock - quantity <= LOW_STOCK:
        transaction.on_commit(page_cache.bump)
