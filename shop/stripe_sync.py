"""Stripe's copy of the shop: every published product page has a Stripe Product and one active
Price that say what the page says.

``sync_product`` brings Stripe in line with one page. It runs as a Celery task
(``shop.tasks.sync_stripe_product``) queued after the commit of each publish (scheduled and
workflow publishing too: Wagtail's ``page_published`` signal), unpublish (``page_unpublished``,
also sent when a page expires) and delete of a product page. ``check_product`` and
``check_price`` run from the ``product.updated`` / ``price.updated`` webhooks (``shop.webhooks``)
and flag a page whose Stripe copy says something else (``ProductStripeFlag``, listed for staff in
Wagtail admin).

Rules these functions keep:
- Only the page's id reaches the task; what Stripe is told is read from the database then.
- One Product per page. The page's row is locked for the whole sync, so two syncs of a page run
  one after the other and the second finds the first one's Product. The Product is created with
  an idempotency key and parameters made from the page id alone (its name and state are set by
  an update right after), so a retry after an answer that never arrived gets the same Product
  back from Stripe, whatever the page says by then.
- A Stripe Price never changes: a new price is a new Price (its idempotency key names the
  product, the amount and the active prices it replaces) and every other active Price of the
  product is archived. Prices are in the ledger's currency.
- Nothing is written before Stripe has answered every call. When Stripe cannot be reached the
  page is left as it was and the task retries with backoff; the retry finds in Stripe what a
  failed attempt made and finishes the job. The page's Stripe ids are stored with a queryset
  update (``page.save()`` would write the page's other fields from whatever revision it was
  loaded with), then dj-stripe's mirror (``djstripe.models.Product``/``Price``) is updated.
- The webhooks read the object back from Stripe (an event's body only names it) and look only at
  objects that are a page's current Product or Price; anything else is not ours and is ignored.
"""

import hashlib
import logging

import stripe
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from djstripe.models import Price as MirroredPrice
from djstripe.models import Product as MirroredProduct
from djstripe.settings import djstripe_settings

from home.audit import Action, record_event

from .models import ProductPage, ProductStripeFlag

logger = logging.getLogger(__name__)

# The metadata key on our Stripe Products and Prices that names the page they belong to.
PAGE_ID_KEY = "soulseer_page_id"
SYNC_TASK = "shop.tasks.sync_stripe_product"
# Stripe unreachable, overloaded or failing: worth running the whole sync again later.
STRIPE_UNAVAILABLE = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def _api_key():
    return djstripe_settings.STRIPE_SECRET_KEY


def price_currency():
    """Stripe Prices are in the ledger's currency, the one every sale is paid in."""
    return str(getattr(settings, "WALLET_CURRENCY", "usd")).lower()


# Scheduling -------------------------------------------------------------------------------------


def schedule_sync(page_id):
    """Queue ``sync_product(page_id)`` for after the current transaction commits (at once outside
    one). Without a Stripe key there is no Stripe to sync with."""
    if not _api_key():
        return
    transaction.on_commit(lambda: current_app.tasks[SYNC_TASK].delay(page_id))


def page_published(sender, instance, **kwargs):
    # An alias shows another page's product; it has no Stripe copy of its own.
    if not kwargs.get("alias") and instance.alias_of_id is None:
        schedule_sync(instance.pk)


def page_unpublished(sender, instance, **kwargs):
    if instance.alias_of_id is None:
        schedule_sync(instance.pk)


def page_deleted(sender, instance, **kwargs):
    schedule_sync(instance.pk)


# The sync ---------------------------------------------------------------------------------------


def sync_product(page_id):
    """Make Stripe's Product and Price for product page ``page_id`` say what the page says now.

    Returns ``{"product": id, "price": id}`` (``None`` for a page that was never live, or is
    gone). Stripe errors propagate; the task retries on ``STRIPE_UNAVAILABLE``."""
    api_key = _api_key()
    with transaction.atomic():
        page = ProductPage.objects.select_for_update(of=("self",)).filter(pk=page_id).first()
        if page is None:
            products, prices, result = _retire_products_of(page_id, api_key), [], None
        else:
            product = _product_of(page, api_key)
            if product is None:
                return None
            product, product_changes = _update_product(page, product, api_key)
            price, prices = _settle_price(page, product, api_key)
            products = [product]
            result = {"product": product["id"], "price": price["id"]}
            stored = {"product": page.stripe_product_id, "price": page.stripe_price_id}
            if stored != result or product_changes or len(prices) > 1:
                ProductPage.objects.filter(pk=page.pk).update(
                    stripe_product_id=product["id"], stripe_price_id=price["id"]
                )
                record_event(
                    Action.PRODUCT_STRIPE_SYNCED,
                    target=page,
                    product=product["id"],
                    price=price["id"],
                    changed=sorted(product_changes),
                    archived=[p["id"] for p in prices if p["id"] != price["id"]],
                )
    _mirror(products, prices, api_key)
    return result


def _product_of(page, api_key):
    """The page's Stripe Product (as a dict), created when a live page has none."""
    known = page.stripe_product_id or _mirrored_product_id(page.pk)
    if known:
        product = _retrieve(stripe.Product, known, api_key)
        if product is not None and product["metadata"].get(PAGE_ID_KEY) == str(page.pk):
            return product
        logger.warning(
            "Stripe Product %s is gone or not page %s's; the page gets a Product of its own",
            known,
            page.pk,
        )
    if not page.live:
        return None
    key = f"shop-product-{page.pk}" + (f"-replacing-{known}" if known else "")
    return stripe.Product.create(
        name=f"SoulSeer product {page.pk}",
        active=False,
        metadata={PAGE_ID_KEY: str(page.pk)},
        idempotency_key=key,
        api_key=api_key,
    ).to_dict(for_json=True)


def _mirrored_product_id(page_id):
    """A Product dj-stripe mirrored for the page: found again if the page's stored id was lost
    (a publish that loaded the page before a sync stored it writes the old, empty id back)."""
    return (
        MirroredProduct.objects.filter(**{f"metadata__{PAGE_ID_KEY}": str(page_id)})
        .order_by("created", "djstripe_id")
        .values_list("id", flat=True)
        .first()
    )


def _update_product(page, product, api_key):
    """Name, description and whether it is for sale, as the page says (one update, only when
    something differs). Returns the product and the names of the fields changed."""
    wanted = {"name": page.title, "description": page.summary or None, "active": page.live}
    changes = {field: value for field, value in wanted.items() if product.get(field) != value}
    if not changes:
        return product, ()
    if changes.get("description", "") is None:
        changes["description"] = ""  # Stripe unsets a field given an empty string
    updated = stripe.Product.modify(product["id"], **changes, api_key=api_key).to_dict(
        for_json=True
    )
    return updated, tuple(changes)


def _settle_price(page, product, api_key):
    """The product's one active Price for the page's price: kept when it is already there, else
    created; every other active Price is archived. Returns that price and every price touched
    (it first)."""
    amount, currency = page.price_cents, price_currency()
    active = [
        price.to_dict(for_json=True)
        for price in stripe.Price.list(
            product=product["id"], active=True, limit=100, api_key=api_key
        ).auto_paging_iter()
    ]

    def fits(price):
        return (
            price["unit_amount"] == amount
            and price["currency"] == currency
            and price.get("type", "one_time") == "one_time"
        )

    current = next((p for p in active if p["id"] == page.stripe_price_id and fits(p)), None)
    current = current or next((p for p in active if fits(p)), None)
    if current is None:
        replaces = ",".join(sorted(p["id"] for p in active)) or "none"
        digest = hashlib.sha256(replaces.encode()).hexdigest()[:16]
        current = stripe.Price.create(
            product=product["id"],
            unit_amount=amount,
            currency=currency,
            metadata={PAGE_ID_KEY: str(page.pk)},
            idempotency_key=f"shop-price-{product['id']}-{currency}{amount}-{digest}",
            api_key=api_key,
        ).to_dict(for_json=True)
    archived = [
        stripe.Price.modify(price["id"], active=False, api_key=api_key).to_dict(for_json=True)
        for price in active
        if price["id"] != current["id"]
    ]
    return current, [current, *archived]


def _retire_products_of(page_id, api_key):
    """A deleted page's Products stop being for sale (found through dj-stripe's mirror: the page
    row that named them is gone)."""
    retired = []
    for product_id in MirroredProduct.objects.filter(
        **{f"metadata__{PAGE_ID_KEY}": str(page_id)}
    ).values_list("id", flat=True):
        product = _retrieve(stripe.Product, product_id, api_key)
        if product is None or product["metadata"].get(PAGE_ID_KEY) != str(page_id):
            continue
        if product["active"]:
            product = stripe.Product.modify(product_id, active=False, api_key=api_key).to_dict(
                for_json=True
            )
        retired.append(product)
    return retired


def _mirror(products, prices, api_key):
    with transaction.atomic():
        for product in products:
            MirroredProduct.sync_from_stripe_data(product, api_key=api_key)
        for price in prices:
            MirroredPrice.sync_from_stripe_data(price, api_key=api_key)


def _retrieve(resource, object_id, api_key):
    """The object as Stripe has it now (a dict), or ``None`` when Stripe does not know it."""
    try:
        return resource.retrieve(object_id, api_key=api_key).to_dict(for_json=True)
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:
            raise
        return None


# Checks from webhooks ---------------------------------------------------------------------------


def check_product(product_id):
    """A Stripe Product changed: flag its page if Stripe's name or state now differs from the
    page's. Returns the flag, or ``None`` (agrees, or not a page's current Product)."""
    if not isinstance(product_id, str) or not product_id:
        return None
    api_key = _api_key()
    with transaction.atomic():
        # Locking waits for a sync of this page still running; Stripe is read after it.
        page = _locked_page(stripe_product_id=product_id)
        if page is None:
            return None
        product = _retrieve(stripe.Product, product_id, api_key)
        if product is None or product["metadata"].get(PAGE_ID_KEY) != str(page.pk):
            return None
        problems = []
        if product["name"] != page.title:
            problems.append(f"Stripe names it “{product['name']}”; the page says “{page.title}”.")
        if product["active"] and not page.live:
            problems.append("Stripe has it for sale, but the page is not published.")
        elif not product["active"] and page.live:
            problems.append("Stripe has it archived, but the page is published.")
        return _flag(page, product_id, problems)


def check_price(price_id):
    """A Stripe Price changed: flag its page if it is the page's current Price and Stripe's
    amount, currency or state now differs from the page's price. Returns the flag, or ``None``."""
    if not isinstance(price_id, str) or not price_id:
        return None
    api_key = _api_key()
    with transaction.atomic():
        page = _locked_page(stripe_price_id=price_id)
        if page is None:
            return None
        price = _retrieve(stripe.Price, price_id, api_key)
        if price is None or price["product"] != page.stripe_product_id:
            return None
        problems = []
        if price["unit_amount"] != page.price_cents or price["currency"] != price_currency():
            problems.append(
                f"Stripe's price is {price['unit_amount']} {price['currency'].upper()} (minor "
                f"units); the page's is {page.price_cents} {price_currency().upper()}."
            )
        if not price["active"]:
            problems.append("Stripe has the page's current price archived.")
        return _flag(page, price_id, problems)


def _locked_page(**stripe_id):
    return ProductPage.objects.select_for_update(of=("self",)).filter(**stripe_id).first()


def _flag(page, stripe_object_id, problems):
    if not problems:
        return None
    reason = " ".join(problems)[:300]
    flag = ProductStripeFlag.objects.filter(product=page, cleared_at__isnull=True).first()
    if flag is None:
        flag = ProductStripeFlag(product=page)
    flag.reason = reason
    flag.stripe_object_id = stripe_object_id
    flag.raised_at = timezone.now()
    flag.save()
    record_event(
        Action.PRODUCT_STRIPE_FLAGGED, target=page, reason=reason, stripe_object=stripe_object_id
    )
    logger.warning("Product page %s flagged: %s", page.pk, reason)
    return flag


# Staff ------------------------------------------------------------------------------------------


def open_flag(page):
    return ProductStripeFlag.objects.filter(product=page, cleared_at__isnull=True).first()


def clear_flag(flag_id, user):
    """Staff looked at a flag and clear it (once; audited). Returns whether this call did."""
    with transaction.atomic():
        flag = (
            ProductStripeFlag.objects.select_for_update()
            .filter(pk=flag_id, cleared_at__isnull=True)
            .first()
        )
        if flag is None:
            return False
        flag.cleared_at = timezone.now()
        flag.cleared_by = user
        flag.save(update_fields=["cleared_at", "cleared_by"])
        record_event(
            Action.PRODUCT_STRIPE_FLAG_CLEARED,
            actor=user,
            target=flag.product,
            reason=flag.reason,
            stripe_object=flag.stripe_object_id,
        )
    return True
