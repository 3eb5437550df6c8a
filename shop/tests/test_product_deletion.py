"""Orders point at what was bought: Wagtail's delete, of one page or in bulk, refuses a product
someone ordered (and a page above one) with a message that says to unpublish it, and deletes
nothing."""

import pytest
from django.contrib.messages import get_messages

from accounts.tests.factories import UserFactory
from shop.models import ProductPage
from shop.tests.factories import order, physical
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _ordered(shop, title="Moon deck"):
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    product = physical(shop, title)
    order(buyer, product)
    return product


def _messages(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def _bulk_delete(client, shop, *pages):
    ids = "&".join(f"id={page.pk}" for page in pages)
    listing = f"/admin/pages/{shop.pk}/"
    return client.post(f"/admin/bulk/wagtailcore/page/delete/?next={listing}&{ids}")


def test_deleting_an_ordered_product_says_to_unpublish_it_and_deletes_nothing(client, shop, staff):
    deck = _ordered(shop)

    for method in (client.get, client.post):  # the confirmation page, and the delete
        response = method(f"/admin/pages/{deck.pk}/delete/")
        assert response.status_code == 302
        assert response["Location"] == f"/admin/pages/{deck.pk}/edit/"
        assert _messages(response)[-1] == (
            "“Moon deck” has orders: unpublish it instead. Nothing was deleted; its buyers keep "
            "their orders and downloads."
        )

    assert ProductPage.objects.filter(pk=deck.pk).exists()


def test_deleting_the_shop_above_an_ordered_product_is_refused_too(client, shop, staff):
    deck = _ordered(shop)

    response = client.post(f"/admin/pages/{shop.pk}/delete/")

    assert response.status_code == 302
    assert (
        "“Shop” has products with orders under it: unpublish it instead" in _messages(response)[0]
    )
    assert ProductPage.objects.filter(pk=deck.pk).exists()


def test_a_bulk_delete_with_an_ordered_product_says_which_and_deletes_none_of_them(
    client, shop, staff
):
    deck, unsold = _ordered(shop), physical(shop, "Candles")
    candles = _ordered(shop, "Sage bundle")

    response = _bulk_delete(client, shop, deck, unsold, candles)

    assert response.status_code == 302 and response["Location"] == f"/admin/pages/{shop.pk}/"
    assert _messages(response) == [
        "“Moon deck” has orders: unpublish it instead. Nothing was deleted; its buyers keep "
        "their orders and downloads.",
        "“Sage bundle” has orders: unpublish it instead. Nothing was deleted; its buyers keep "
        "their orders and downloads.",
    ]
    assert ProductPage.objects.filter(pk__in=[deck.pk, unsold.pk, candles.pk]).count() == 3


def test_a_bulk_delete_of_products_nobody_ordered_deletes_them(client, shop, staff):
    _ordered(shop)
    unsold, other = physical(shop, "Candles"), physical(shop, "Incense")

    response = _bulk_delete(client, shop, unsold, other)

    assert response.status_code == 302
    assert not ProductPage.objects.filter(pk__in=[unsold.pk, other.pk]).exists()
    assert ProductPage.objects.count() == 1
