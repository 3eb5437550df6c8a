"""Publishing a product page syncs its Stripe Product and Price through localstripe: Wagtail's
publish and unpublish as editors use them, the Celery task run eagerly after commit, dj-stripe's
mirror checked in the database."""

import pytest
import stripe
from django.db import transaction
from djstripe.models import Price as MirroredPrice
from djstripe.models import Product as MirroredProduct
from wagtail.models import Revision

from home.models import AuditEvent
from shop import stripe_sync, tasks
from shop.models import ProductPage
from shop.tests.factories import shop_site
from soulseer.celery import app as celery_app
from wallet.tests.conftest import (  # noqa: F401 - fixtures
    NOWHERE,
    local_stripe,
    localstripe_server,
    stripe_settings,
    wait_until,
)
from wallet.tests.test_concurrency import run_in_threads

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, connections fail at once


@pytest.fixture
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def shop(local_stripe, eager_celery):  # noqa: F811 - the fixture imported above
    return shop_site()


def draft(shop, title="Moon deck", *, price_cents=3400, summary="Seventy-eight cards."):
    """A product page as an editor first saves it: not live, no revision published yet."""
    return shop.add_child(
        instance=ProductPage(
            title=title,
            slug=title.lower().replace(" ", "-"),
            kind=ProductPage.Kind.PHYSICAL,
            price_cents=price_cents,
            summary=summary,
            live=False,
        )
    )


def publish(page, **changes):
    """What the editor's Publish button does: a new revision with ``changes``, published."""
    page = ProductPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    for field, value in changes.items():
        setattr(page, field, value)
    page.save_revision().publish()
    return ProductPage.objects.get(pk=page.pk)


def stripe_products_of(page):
    return [
        product
        for product in stripe.Product.list(limit=100).auto_paging_iter()
        if product.metadata.get(stripe_sync.PAGE_ID_KEY) == str(page.pk)
    ]


def stripe_prices_of(product_id, **filters):
    return list(stripe.Price.list(product=product_id, limit=100, **filters).auto_paging_iter())


def test_the_first_publish_creates_one_stripe_product_and_price_and_mirrors_them(shop):
    page = publish(draft(shop))

    (product,) = stripe_products_of(page)
    (price,) = stripe_prices_of(product.id)
    assert (page.stripe_product_id, page.stripe_price_id) == (product.id, price.id)
    assert product.name == "Moon deck" and product.description == "Seventy-eight cards."
    assert product.active is True
    assert (price.unit_amount, price.currency, price.active) == (3400, "usd", True)
    assert price.metadata[stripe_sync.PAGE_ID_KEY] == str(page.pk)
    mirrored = MirroredProduct.objects.get(id=product.id)
    assert mirrored.name == "Moon deck" and mirrored.active is True
    assert mirrored.metadata[stripe_sync.PAGE_ID_KEY] == str(page.pk)
    mirrored_price = MirroredPrice.objects.get(id=price.id)
    assert mirrored_price.product_id == product.id and mirrored_price.unit_amount == 3400
    assert AuditEvent.objects.filter(action="product.stripe_synced", target_id=page.pk).count() == 1


def test_republishing_an_unchanged_product_makes_nothing_new_in_stripe(shop):
    first = publish(draft(shop))

    again = publish(first)

    assert (again.stripe_product_id, again.stripe_price_id) == (
        first.stripe_product_id,
        first.stripe_price_id,
    )
    assert len(stripe_products_of(again)) == 1
    assert len(stripe_prices_of(again.stripe_product_id)) == 1
    assert MirroredProduct.objects.count() == 1 and MirroredPrice.objects.count() == 1
    assert AuditEvent.objects.filter(action="product.stripe_synced").count() == 1


def test_a_new_price_makes_a_new_stripe_price_and_archives_the_old_one(shop):
    first = publish(draft(shop, price_cents=3400))

    repriced = publish(first, price_cents=2900)

    assert repriced.stripe_product_id == first.stripe_product_id
    assert repriced.stripe_price_id != first.stripe_price_id
    new = stripe.Price.retrieve(repriced.stripe_price_id)
    old = stripe.Price.retrieve(first.stripe_price_id)
    assert (new.unit_amount, new.active) == (2900, True)
    assert (old.unit_amount, old.active) == (3400, False)
    assert [p.id for p in stripe_prices_of(first.stripe_product_id, active=True)] == [new.id]
    assert MirroredPrice.objects.get(id=old.id).active is False
    assert MirroredPrice.objects.get(id=new.id).active is True


def test_going_back_to_an_earlier_price_makes_a_third_price(shop):
    first = publish(draft(shop, price_cents=3400))
    second = publish(first, price_cents=2900)

    third = publish(second, price_cents=3400)

    assert third.stripe_price_id not in (first.stripe_price_id, second.stripe_price_id)
    active = stripe_prices_of(third.stripe_product_id, active=True)
    assert [(p.id, p.unit_amount) for p in active] == [(third.stripe_price_id, 3400)]


def test_a_new_title_and_summary_update_the_stripe_product(shop):
    first = publish(draft(shop))

    renamed = publish(first, title="Sun deck", summary="")

    product = stripe.Product.retrieve(renamed.stripe_product_id)
    assert (product.name, product.description) == ("Sun deck", None)
    assert MirroredProduct.objects.get(id=product.id).name == "Sun deck"
    assert len(stripe_products_of(renamed)) == 1


def test_unpublishing_archives_the_stripe_product(shop):
    page = publish(draft(shop))

    ProductPage.objects.get(pk=page.pk).unpublish()

    product = stripe.Product.retrieve(page.stripe_product_id)
    assert product.active is False
    assert MirroredProduct.objects.get(id=product.id).active is False
    page.refresh_from_db()
    assert page.stripe_product_id == product.id  # the next publish puts the same one on sale
    assert publish(page).stripe_product_id == product.id
    assert stripe.Product.retrieve(product.id).active is True


def test_a_page_that_was_never_published_makes_nothing_in_stripe(shop):
    page = draft(shop)

    assert tasks.sync_stripe_product.apply(args=[page.pk]).get() is None

    assert stripe_products_of(page) == []
    assert MirroredProduct.objects.count() == 0


def test_deleting_a_product_page_archives_its_stripe_product(shop):
    page = publish(draft(shop))

    ProductPage.objects.get(pk=page.pk).delete()

    assert stripe.Product.retrieve(page.stripe_product_id).active is False
    assert MirroredProduct.objects.get(id=page.stripe_product_id).active is False


def test_publishing_an_older_revision_keeps_the_stripe_ids(shop, monkeypatch):
    page = draft(shop)
    older = page.save_revision()
    older.publish()
    synced = ProductPage.objects.get(pk=page.pk)
    assert synced.stripe_product_id  # the revision was saved before the sync stored the ids
    monkeypatch.setattr(stripe_sync, "schedule_sync", lambda page_id: None)

    Revision.objects.get(pk=older.pk).publish()  # as "Publish this version" loads it

    again = ProductPage.objects.get(pk=page.pk)
    assert (again.stripe_product_id, again.stripe_price_id) == (
        synced.stripe_product_id,
        synced.stripe_price_id,
    )
    assert len(stripe_products_of(page)) == 1


def test_a_copied_product_gets_a_stripe_product_of_its_own(shop):
    original = publish(draft(shop))

    copy = ProductPage.objects.get(pk=original.pk).copy(
        update_attrs={"title": "Moon deck (copy)", "slug": "moon-deck-copy"}, keep_live=False
    )
    assert (copy.stripe_product_id, copy.stripe_price_id) == ("", "")
    copy = publish(copy)

    assert copy.stripe_product_id and copy.stripe_product_id != original.stripe_product_id
    assert stripe.Product.retrieve(original.stripe_product_id).name == "Moon deck"
    assert stripe.Product.retrieve(copy.stripe_product_id).name == "Moon deck (copy)"


def test_a_lost_stripe_id_finds_the_pages_product_again(shop):
    """A publish that loaded the page before a sync stored its ids writes the empty ids back."""
    page = publish(draft(shop))
    ProductPage.objects.filter(pk=page.pk).update(stripe_product_id="", stripe_price_id="")

    again = publish(page)

    assert (again.stripe_product_id, again.stripe_price_id) == (
        page.stripe_product_id,
        page.stripe_price_id,
    )
    assert len(stripe_products_of(page)) == 1


def test_the_sync_run_twice_makes_one_stripe_product(shop):
    page = draft(shop)
    ProductPage.objects.filter(pk=page.pk).update(live=True)

    first = tasks.sync_stripe_product.apply(args=[page.pk]).get()
    second = tasks.sync_stripe_product.apply(args=[page.pk]).get()

    assert first == second
    assert len(stripe_products_of(page)) == 1
    assert len(stripe_prices_of(first["product"])) == 1


def test_two_syncs_at_once_make_one_stripe_product(shop):
    page = draft(shop)
    ProductPage.objects.filter(pk=page.pk).update(live=True)

    results, errors = run_in_threads(2, lambda i: stripe_sync.sync_product(page.pk))

    assert errors == [None, None]
    assert results[0] == results[1]
    assert len(stripe_products_of(page)) == 1
    assert len(stripe_prices_of(results[0]["product"])) == 1
    page.refresh_from_db()
    assert page.stripe_product_id == results[0]["product"]


def test_while_stripe_is_unreachable_the_sync_retries_and_writes_nothing(shop, monkeypatch):
    page = draft(shop)
    ProductPage.objects.filter(pk=page.pk).update(live=True)
    reachable = stripe.api_base
    monkeypatch.setattr(stripe, "api_base", UNREACHABLE)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    task = tasks.sync_stripe_product
    retry = task.retry
    retries = []

    def stripe_back_after_the_first_retry(*args, **kwargs):
        # What the failed try left behind, before Stripe answers again.
        page.refresh_from_db()
        retries.append(
            {
                "countdown": kwargs.get("countdown"),
                "exc": type(kwargs.get("exc")),
                "ids": (page.stripe_product_id, page.stripe_price_id),
                "mirrored": MirroredProduct.objects.count() + MirroredPrice.objects.count(),
                "audited": AuditEvent.objects.filter(action="product.stripe_synced").count(),
            }
        )
        stripe.api_base = reachable
        return retry(*args, **kwargs)

    monkeypatch.setattr(task, "retry", stripe_back_after_the_first_retry)

    result = task.apply(args=[page.pk])

    assert retries == [
        {
            "countdown": retries[0]["countdown"],
            "exc": stripe.APIConnectionError,
            "ids": ("", ""),
            "mirrored": 0,
            "audited": 0,
        }
    ]
    assert 0 <= retries[0]["countdown"] <= 5
    assert result.successful()
    page.refresh_from_db()
    assert page.stripe_product_id and page.stripe_price_id
    assert len(stripe_products_of(page)) == 1


def test_a_sync_that_never_reaches_stripe_gives_up_with_nothing_written(shop, monkeypatch):
    page = draft(shop)
    ProductPage.objects.filter(pk=page.pk).update(live=True)
    monkeypatch.setattr(stripe, "api_base", UNREACHABLE)
    monkeypatch.setattr(stripe, "max_network_retries", 0)

    result = tasks.sync_stripe_product.apply(args=[page.pk])

    assert result.failed() and isinstance(result.result, stripe.APIConnectionError)
    page.refresh_from_db()
    assert (page.stripe_product_id, page.stripe_price_id) == ("", "")
    assert MirroredProduct.objects.count() == 0
    assert not AuditEvent.objects.filter(action="product.stripe_synced").exists()


def test_a_sync_cut_off_after_creating_the_product_finishes_with_that_product(shop, monkeypatch):
    """Stripe made the Product, then the connection dropped: the retry, with the same
    idempotency key, gets that Product back instead of making a second one."""
    page = draft(shop)
    ProductPage.objects.filter(pk=page.pk).update(live=True)
    create_price = stripe.Price.create
    calls = []

    def dropped_once(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise stripe.APIConnectionError("connection reset")
        return create_price(*args, **kwargs)

    monkeypatch.setattr(stripe.Price, "create", dropped_once)

    result = tasks.sync_stripe_product.apply(args=[page.pk])

    assert result.successful() and len(calls) == 2
    (product,) = stripe_products_of(page)
    assert result.result == {"product": product.id, "price": stripe_prices_of(product.id)[0].id}
    assert product.name == "Moon deck" and product.active is True


def test_publishing_queues_the_sync_only_after_the_commit(shop, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.sync_stripe_product, "delay", lambda page_id: queued.append(page_id))
    page = draft(shop)

    with transaction.atomic():
        publish(page)
        assert queued == []

    assert queued == [page.pk]
