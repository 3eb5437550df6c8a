"""Stripe's ``product.updated`` / ``price.updated`` webhooks, from localstripe through dj-stripe's
webhook view: a change in Stripe that disagrees with the product's page flags it for staff, who
see it in Wagtail admin and clear it."""

import time

import pytest
import stripe
from django.contrib.auth.models import Permission
from django.urls import reverse
from djstripe.models import Event, WebhookEventTrigger

from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from shop import stripe_sync
from shop.models import ProductStripeFlag
from shop.tests.factories import shop_site
from shop.tests.test_stripe_sync import draft, eager_celery, publish  # noqa: F401 - fixture
from wallet.tests.conftest import (  # noqa: F401 - fixtures
    local_stripe,
    localstripe_server,
    stripe_settings,
    wait_until,
)
from wallet.tests.test_webhooks import post_event

EVENT_TYPES = ("product.created", "product.updated", "price.created", "price.updated")


@pytest.fixture
def product(local_stripe, eager_celery):  # noqa: F811 - the fixtures imported above
    """A published product, synced, with every event its sync caused already handled."""
    page = publish(draft(shop_site()))
    assert page.stripe_product_id and page.stripe_price_id
    assert handled(local_stripe)
    return page


def handled(local_stripe):  # noqa: F811
    """Wait until dj-stripe has stored every product/price event localstripe has sent so far
    (a handler that failed would roll its event back: this would time out)."""

    def all_stored():
        sent = {event["id"] for kind in EVENT_TYPES for event in local_stripe.events(kind)}
        return bool(sent) and Event.objects.filter(id__in=sent).count() == len(sent)

    return wait_until(all_stored)


def sent_since(local_stripe, before, kind):  # noqa: F811
    """Events of ``kind`` localstripe sent since the ids in ``before``."""
    return [event for event in local_stripe.events(kind) if event["id"] not in before]


def sent_ids(local_stripe):  # noqa: F811
    return {event["id"] for kind in EVENT_TYPES for event in local_stripe.events(kind)}


def open_flags():
    return list(ProductStripeFlag.objects.filter(cleared_at__isnull=True))


def test_a_product_renamed_in_stripe_flags_its_page(local_stripe, product):  # noqa: F811
    stripe.Product.modify(product.stripe_product_id, name="Moon deck (sale)")

    assert wait_until(lambda: ProductStripeFlag.objects.exists())
    (flag,) = open_flags()
    assert flag.product_id == product.pk and flag.stripe_object_id == product.stripe_product_id
    assert "“Moon deck (sale)”" in flag.reason and "“Moon deck”" in flag.reason
    assert AuditEvent.objects.filter(action="product.stripe_flagged", target_id=product.pk).exists()


def test_a_product_archived_in_stripe_flags_its_published_page(local_stripe, product):  # noqa: F811
    stripe.Product.modify(product.stripe_product_id, active=False)

    assert wait_until(lambda: ProductStripeFlag.objects.exists())
    (flag,) = open_flags()
    assert "archived, but the page is published" in flag.reason


def test_the_current_price_archived_in_stripe_flags_its_page(local_stripe, product):  # noqa: F811
    stripe.Price.modify(product.stripe_price_id, active=False)

    assert wait_until(lambda: ProductStripeFlag.objects.exists())
    (flag,) = open_flags()
    assert flag.stripe_object_id == product.stripe_price_id
    assert "current price archived" in flag.reason


def test_a_price_that_no_longer_matches_the_page_flags_it(local_stripe, product, monkeypatch):  # noqa: F811
    # The page's new price is published but its sync has not run yet (Stripe unreachable, say).
    monkeypatch.setattr(stripe_sync, "schedule_sync", lambda page_id: None)
    publish(product, price_cents=2900)

    stripe.Price.modify(product.stripe_price_id, metadata={"checked": "yes"})

    assert wait_until(lambda: ProductStripeFlag.objects.exists())
    (flag,) = open_flags()
    assert "3400 USD" in flag.reason and "2900 USD" in flag.reason


def test_changes_in_stripe_that_agree_with_the_page_raise_no_flag(local_stripe, product):  # noqa: F811
    before = sent_ids(local_stripe)

    stripe.Product.modify(product.stripe_product_id, metadata={"checked": "yes"})
    stripe.Price.modify(product.stripe_price_id, metadata={"checked": "yes"})

    assert wait_until(lambda: len(sent_since(local_stripe, before, "price.updated")) == 1)
    assert len(sent_since(local_stripe, before, "product.updated")) == 1
    assert handled(local_stripe)
    assert open_flags() == []


def test_the_syncs_own_updates_raise_no_flag(local_stripe, product):  # noqa: F811
    before = sent_ids(local_stripe)

    publish(product, title="Sun deck", price_cents=2900)

    # The rename (product.updated) and the old price archived (price.updated) come back.
    assert wait_until(lambda: len(sent_since(local_stripe, before, "price.updated")) == 1)
    assert len(sent_since(local_stripe, before, "product.updated")) == 1
    assert handled(local_stripe)
    assert open_flags() == []


def test_events_about_objects_that_are_not_ours_are_ignored(local_stripe, product):  # noqa: F811
    before = sent_ids(local_stripe)
    foreign = stripe.Product.create(name="Someone else's deck")
    # Claims our page in its metadata, but is not the page's Product.
    impostor = stripe.Product.create(
        name="Impostor", metadata={stripe_sync.PAGE_ID_KEY: str(product.pk)}
    )
    foreign_price = stripe.Price.create(product=foreign.id, unit_amount=100, currency="usd")
    stripe.Product.modify(foreign.id, name="Renamed elsewhere", active=False)
    stripe.Product.modify(impostor.id, name="Still an impostor", active=False)
    stripe.Price.modify(foreign_price.id, active=False)

    assert wait_until(lambda: len(sent_since(local_stripe, before, "product.updated")) == 2)
    assert wait_until(lambda: len(sent_since(local_stripe, before, "price.updated")) == 1)
    assert handled(local_stripe)
    assert open_flags() == []
    assert not WebhookEventTrigger.objects.filter(exception__gt="").exists()


def test_an_events_body_is_not_believed(local_stripe, product):  # noqa: F811
    """A signed event that says the product was renamed, while Stripe says it was not."""
    body = stripe.Product.retrieve(product.stripe_product_id).to_dict(for_json=True)
    event = {
        "id": "evt_forged_rename",
        "object": "event",
        "type": "product.updated",
        "livemode": False,
        "api_version": "2020-08-27",
        "created": int(time.time()),
        "data": {"object": {**body, "name": "Forged", "active": False}},
    }

    assert post_event(local_stripe, event).status_code == 200

    assert Event.objects.filter(id="evt_forged_rename").exists()
    assert open_flags() == []


def test_another_disagreement_rewrites_the_open_flag(local_stripe, product):  # noqa: F811
    stripe.Product.modify(product.stripe_product_id, name="First rename")
    assert wait_until(lambda: ProductStripeFlag.objects.exists())

    stripe.Product.modify(product.stripe_product_id, name="Second rename")

    assert wait_until(lambda: "Second rename" in ProductStripeFlag.objects.get().reason)
    assert len(open_flags()) == 1


def test_staff_see_a_flag_and_clear_it(local_stripe, product, admin_client, admin_user):  # noqa: F811
    stripe.Product.modify(product.stripe_product_id, name="Moon deck (sale)")
    assert wait_until(lambda: ProductStripeFlag.objects.exists())
    flag = ProductStripeFlag.objects.get()

    listing = admin_client.get(reverse("shop_productstripeflag_modeladmin_index"))
    edit_page = admin_client.get(reverse("wagtailadmin_pages:edit", args=[product.pk]))
    confirm = admin_client.get(reverse("shop_stripe_flag_clear", args=[flag.pk]))
    cleared = admin_client.post(reverse("shop_stripe_flag_clear", args=[flag.pk]))

    assert listing.status_code == 200 and "Moon deck (sale)" in listing.content.decode()
    assert "Stripe disagrees with this product" in edit_page.content.decode()
    assert confirm.status_code == 200 and "Clear the flag" in confirm.content.decode()
    assert cleared.status_code == 302
    flag.refresh_from_db()
    assert flag.cleared_at is not None and flag.cleared_by == admin_user
    assert AuditEvent.objects.filter(
        action="product.stripe_flag_cleared", actor=admin_user, target_id=product.pk
    ).exists()
    after = admin_client.get(reverse("wagtailadmin_pages:edit", args=[product.pk]))
    assert "Stripe disagrees with this product" not in after.content.decode()


def test_a_later_disagreement_flags_a_cleared_product_again(local_stripe, product, admin_user):  # noqa: F811
    stripe.Product.modify(product.stripe_product_id, name="Moon deck (sale)")
    assert wait_until(lambda: ProductStripeFlag.objects.exists())
    assert stripe_sync.clear_flag(ProductStripeFlag.objects.get().pk, admin_user)
    assert not stripe_sync.clear_flag(ProductStripeFlag.objects.get().pk, admin_user)

    stripe.Product.modify(product.stripe_product_id, active=False)

    assert wait_until(lambda: len(open_flags()) == 1)
    assert ProductStripeFlag.objects.count() == 2


def test_only_staff_who_may_change_flags_clear_them(local_stripe, product, client):  # noqa: F811
    stripe.Product.modify(product.stripe_product_id, name="Moon deck (sale)")
    assert wait_until(lambda: ProductStripeFlag.objects.exists())
    flag = ProductStripeFlag.objects.get()
    editor = UserFactory(is_staff=True)
    editor.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    client.force_login(editor)

    response = client.post(reverse("shop_stripe_flag_clear", args=[flag.pk]))

    # Wagtail admin answers a refused permission with its dashboard and a message.
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    flag.refresh_from_db()
    assert flag.is_open
