"""What soulseer.localstripe_ext adds to localstripe, through stripe-python as our code calls it:
Prices, Product updates with their events, and idempotency keys."""

import uuid

import pytest
import stripe

from wallet.tests.conftest import localstripe_server, stripe_settings  # noqa: F401 - fixtures


@pytest.fixture
def product(stripe_settings):  # noqa: F811 - the fixture imported above
    return stripe.Product.create(name=f"Moon deck {uuid.uuid4().hex[:8]}")


def events_about(object_id, type_):
    return [
        event.to_dict()["data"]
        for event in stripe.Event.list(type=type_, limit=100).data
        if event.data.object.id == object_id
    ]


def test_a_price_is_created_for_a_product_and_read_back_with_the_product_expanded(product):
    price = stripe.Price.create(
        product=product.id, unit_amount=3400, currency="usd", metadata={"page": "7"}
    )

    again = stripe.Price.retrieve(price.id, expand=["product"])
    assert price.id.startswith("price_")
    assert (again.unit_amount, again.currency, again.type) == (3400, "usd", "one_time")
    assert again.active is True and again.metadata.to_dict() == {"page": "7"}
    assert again.product.id == product.id
    assert events_about(price.id, "price.created")


def test_prices_are_listed_by_product_and_state(product):
    other = stripe.Product.create(name="Other")
    first = stripe.Price.create(product=product.id, unit_amount=900, currency="usd")
    second = stripe.Price.create(product=product.id, unit_amount=1200, currency="usd")
    stripe.Price.create(product=other.id, unit_amount=900, currency="usd")
    stripe.Price.modify(first.id, active=False)

    listed = stripe.Price.list(product=product.id).data
    active = stripe.Price.list(product=product.id, active=True).data

    assert {price.id for price in listed} == {first.id, second.id}
    assert [price.id for price in active] == [second.id]


def test_archiving_a_price_emits_price_updated_with_what_it_was(product):
    price = stripe.Price.create(product=product.id, unit_amount=900, currency="usd")

    archived = stripe.Price.modify(price.id, active=False)

    assert archived.active is False
    assert [data["previous_attributes"] for data in events_about(price.id, "price.updated")] == [
        {"active": True}
    ]


def test_a_prices_amount_never_changes(product):
    price = stripe.Price.create(product=product.id, unit_amount=900, currency="usd")

    with pytest.raises(stripe.InvalidRequestError, match="unit_amount"):
        stripe.Price.modify(price.id, unit_amount=100)

    assert stripe.Price.retrieve(price.id).unit_amount == 900


def test_a_price_for_an_unknown_product_is_refused(stripe_settings):  # noqa: F811
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Price.create(product="prod_unknown", unit_amount=900, currency="usd")


def test_a_product_update_stores_active_as_a_boolean_and_emits_product_updated(product):
    updated = stripe.Product.modify(product.id, active=False, name="Sun deck")

    assert updated.active is False and updated.name == "Sun deck"
    assert product.id in {p.id for p in stripe.Product.list(active=False, limit=100).data}
    (event,) = events_about(product.id, "product.updated")
    assert event["previous_attributes"] == {"active": True, "name": product.name}
    assert event["object"]["name"] == "Sun deck"


def test_a_product_update_that_changes_nothing_emits_no_event(product):
    stripe.Product.modify(product.id, name=product.name)

    assert events_about(product.id, "product.updated") == []


def test_an_idempotency_key_gives_back_the_first_answer(stripe_settings):  # noqa: F811
    key = f"test-{uuid.uuid4().hex}"

    first = stripe.Product.create(name="Once", idempotency_key=key)
    again = stripe.Product.create(name="Once", idempotency_key=key)

    assert again.id == first.id
    assert [p.id for p in stripe.Product.list(limit=100).data].count(first.id) == 1


def test_an_idempotency_key_reused_with_other_parameters_is_refused(stripe_settings):  # noqa: F811
    key = f"test-{uuid.uuid4().hex}"
    stripe.Product.create(name="Once", idempotency_key=key)

    with pytest.raises(stripe.IdempotencyError):
        stripe.Product.create(name="Twice", idempotency_key=key)


def test_dj_stripe_finds_no_product_features(product):
    assert stripe.Product.list_features(product.id).data == []
