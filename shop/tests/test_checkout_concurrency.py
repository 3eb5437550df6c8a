"""Checkouts at the same moment, each on its own database connection: the last item goes to
one buyer only, one form submitted twice at once pays once, and a delivery staff add while the
last item sells keeps both."""

import pytest
from django.contrib.contenttypes.models import ContentType

from accounts.tests.factories import UserFactory
from shop import inventory, services
from shop.errors import SoldOut
from shop.models import Order, ProductPage
from shop.tests.factories import ADDRESS, cart_of, physical, shop_site
from wallet.models import Transfer
from wallet.selectors import wallet_summary
from wallet.tests.factories import fund_wallet
from wallet.tests.test_concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    ContentType.objects.clear_cache()  # ids change when a transactional test restores them
    return shop_site()


def test_two_buyers_racing_for_the_last_item_one_pays_and_the_other_is_told_it_sold_out(shop):
    deck = physical(shop, "Moon deck", price_cents=3400, stock=1)
    buyers = [UserFactory(), UserFactory()]
    for buyer in buyers:
        fund_wallet(buyer, 5_000)
        services.add_to_cart(cart_of(buyer), deck, 1)

    results, errors = run_in_threads(
        2,
        lambda i: services.checkout_with_wallet(
            buyers[i], shipping=ADDRESS, idempotency_key=f"race-{i}"
        ),
    )

    paid = [result for result in results if result is not None]
    assert len(paid) == 1 and paid[0].state == Order.State.PAID
    refused = [error for error in errors if error is not None]
    assert len(refused) == 1 and isinstance(refused[0], SoldOut)
    assert "Moon deck is sold out" in str(refused[0])
    assert ProductPage.objects.get(pk=deck.pk).stock == 0
    winner = paid[0].buyer_id
    for buyer in buyers:
        assert wallet_summary(buyer).balance == (1_600 if buyer.pk == winner else 5_000)
    assert Order.objects.count() == 1


def test_one_checkout_form_sent_twice_at_once_makes_one_order_and_one_charge(shop):
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    services.add_to_cart(cart_of(buyer), physical(shop, price_cents=3400, stock=10), 2)

    results, errors = run_in_threads(
        2,
        lambda i: services.checkout_with_wallet(
            buyer, shipping=ADDRESS, idempotency_key="same-form"
        ),
    )

    assert errors == [None, None]
    assert results[0].pk == results[1].pk
    assert Order.objects.count() == 1
    assert Transfer.objects.filter(purchase__reference__startswith="order:").count() == 1
    assert wallet_summary(buyer).balance == 3_200


def test_a_delivery_added_while_the_last_item_sells_counts_both(shop):
    deck = physical(shop, "Moon deck", price_cents=3400, stock=1)
    buyer, staff = UserFactory(), UserFactory(staff=True)
    fund_wallet(buyer, 5_000)
    services.add_to_cart(cart_of(buyer), deck, 1)

    results, errors = run_in_threads(
        2,
        lambda i: (
            services.checkout_with_wallet(buyer, shipping=ADDRESS, idempotency_key="last-one")
            if i == 0
            else inventory.restock(deck, 5, by=staff)
        ),
    )

    assert errors == [None, None]
    assert results[0].state == Order.State.PAID
    assert ProductPage.objects.get(pk=deck.pk).stock == 5
