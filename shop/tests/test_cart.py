"""The cart: quantities are checked before anything changes, a visitor's cart lives in their
session and comes with them when they log in, and the header counts what is in it."""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shop import services
from shop.errors import InvalidQuantity, NotAvailable, NotEnoughStock, SoldOut
from shop.models import Cart, CartLine
from shop.tests.factories import cart_of, digital, physical

pytestmark = pytest.mark.django_db


def lines(cart):
    return sorted(CartLine.objects.filter(cart=cart).values_list("product__title", "quantity"))


@pytest.mark.parametrize("quantity", ["-1", "0", "11", "99999999999999999999", "two", "1.5", ""])
def test_a_quantity_outside_one_to_ten_is_refused_and_nothing_changes(shop, quantity):
    deck = physical(shop, "Moon deck")
    cart = cart_of(UserFactory())
    services.add_to_cart(cart, deck, 2)

    with pytest.raises(InvalidQuantity, match="Choose a quantity from 1 to 10"):
        services.add_to_cart(cart, deck, quantity)
    with pytest.raises(InvalidQuantity, match="Choose a quantity from 1 to 10"):
        services.set_quantity(cart, deck, quantity)

    assert lines(cart) == [("Moon deck", 2)]


def test_adding_again_adds_up_but_never_past_ten_of_one_item(shop):
    deck = physical(shop, "Moon deck")
    cart = cart_of(UserFactory())
    services.add_to_cart(cart, deck, 6)
    services.add_to_cart(cart, deck, 4)

    with pytest.raises(InvalidQuantity, match="at most 10"):
        services.add_to_cart(cart, deck, 1)

    assert lines(cart) == [("Moon deck", 10)]


def test_sold_out_and_not_enough_stock_are_refused(shop):
    gone = physical(shop, "Amethyst", stock=0)
    last_two = physical(shop, "Candles", stock=2)
    cart = cart_of(UserFactory())

    with pytest.raises(SoldOut, match="Amethyst is sold out"):
        services.add_to_cart(cart, gone, 1)
    with pytest.raises(NotEnoughStock, match="Only 2 of Candles left"):
        services.add_to_cart(cart, last_two, 3)
    services.add_to_cart(cart, last_two, 2)
    with pytest.raises(NotEnoughStock):
        services.add_to_cart(cart, last_two, 1)

    assert lines(cart) == [("Candles", 2)]


def test_a_download_is_in_a_cart_once(shop):
    meditation = digital(shop, "Meditation")
    cart = cart_of(UserFactory())
    services.add_to_cart(cart, meditation)

    with pytest.raises(InvalidQuantity, match="already in your cart"):
        services.add_to_cart(cart, meditation)
    with pytest.raises(InvalidQuantity, match="one copy is all you need"):
        services.set_quantity(cart, meditation, 2)

    assert lines(cart) == [("Meditation", 1)]


def test_a_reader_cannot_buy_their_own_product(shop):
    reader = UserFactory(reader=True)
    deck = physical(shop, seller=reader)

    with pytest.raises(NotAvailable, match="your own product"):
        services.add_to_cart(cart_of(reader), deck, 1)


def test_an_unpublished_product_cannot_be_added(shop):
    deck = physical(shop)
    deck.unpublish()

    with pytest.raises(NotAvailable):
        services.add_to_cart(cart_of(UserFactory()), deck, 1)


def test_a_visitor_adds_to_a_cart_kept_by_their_session_and_the_header_counts_it(client, shop):
    deck = physical(shop, "Moon deck")

    response = client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "3"})

    assert response.status_code == 302 and response["Location"] == "/shop/cart/"
    cart = Cart.objects.get(pk=client.session[services.SESSION_CART])
    assert cart.user_id is None and lines(cart) == [("Moon deck", 3)]
    html = client.get("/shop/cart/").content.decode()
    assert 'data-testid="cart-count" aria-hidden="true">3</span>' in html
    assert 'aria-label="Cart: 3 items"' in html


def test_a_refused_add_leaves_no_cart_behind(client, shop):
    deck = physical(shop, stock=1)

    response = client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "-4"})

    assert response.status_code == 302
    assert not Cart.objects.exists()
    assert "Choose a quantity from 1 to 10." in client.get(deck.url).content.decode()


def test_adding_with_htmx_answers_with_the_box_and_the_headers_new_count(client, shop):
    deck = physical(shop)

    response = client.post(
        f"/shop/cart/add/{deck.pk}/", {"quantity": "2"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="added-to-cart"' in html and "View cart (2)" in html
    assert 'id="cart-link-desktop" hx-swap-oob="true"' in html
    assert 'id="cart-link-mobile" hx-swap-oob="true"' in html


def test_the_cart_page_changes_quantities_and_removes_lines(client, shop):
    deck, candles = physical(shop, "Moon deck"), physical(shop, "Candles", price_cents=1000)
    user = UserFactory()
    client.force_login(user)
    client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "1"})
    client.post(f"/shop/cart/add/{candles.pk}/", {"quantity": "1"})

    response = client.post(
        f"/shop/cart/{candles.pk}/quantity/", {"quantity": "4"}, headers={"HX-Request": "true"}
    )
    assert 'data-testid="cart-total">$74.00<' in response.content.decode()
    client.post(f"/shop/cart/{deck.pk}/remove/")

    assert lines(Cart.objects.get(user=user)) == [("Candles", 4)]
    assert client.session[services.SESSION_CART_COUNT] == 4


def test_a_visitors_cart_comes_with_them_when_they_log_in(client, shop):
    deck, meditation = physical(shop, "Moon deck"), digital(shop, "Meditation")
    user = UserFactory()
    services.add_to_cart(cart_of(user), deck, 2)  # from another device, earlier
    services.add_to_cart(cart_of(user), meditation)
    client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "9"})
    client.post(f"/shop/cart/add/{meditation.pk}/")
    visitor_cart = client.session[services.SESSION_CART]

    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": DEFAULT_PASSWORD, "next": "/shop/cart/"},
    )

    assert response.status_code == 302
    assert lines(Cart.objects.get(user=user)) == [("Meditation", 1), ("Moon deck", 10)]
    assert not Cart.objects.filter(pk=visitor_cart).exists()
    assert services.SESSION_CART not in client.session
    assert client.session[services.SESSION_CART_COUNT] == 11


def test_a_cart_change_names_a_product_but_only_ever_touches_the_visitors_own_cart(client, shop):
    deck = physical(shop)
    someone = UserFactory()
    services.add_to_cart(cart_of(someone), deck, 3)
    client.force_login(UserFactory())

    client.post(f"/shop/cart/{deck.pk}/remove/")
    client.post(f"/shop/cart/{deck.pk}/quantity/", {"quantity": "1"})

    assert lines(Cart.objects.get(user=someone)) == [("Moon deck", 3)]


def test_a_visitor_who_signs_up_keeps_their_cart(client, shop):
    from accounts.tests.test_views import signup_data

    deck = physical(shop, "Moon deck")
    client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "2"})

    response = client.post("/accounts/signup/", signup_data(next="/shop/checkout/"))

    assert response.status_code == 302 and response["Location"] == "/shop/checkout/"
    assert lines(Cart.objects.get(user__username="moonchild")) == [("Moon deck", 2)]
    assert Cart.objects.count() == 1


def test_a_signed_in_users_header_counts_what_their_other_device_put_in_the_cart(
    shop, django_capture_on_commit_callbacks
):
    from django.test import Client

    deck = physical(shop, "Moon deck")
    user = UserFactory()
    laptop, phone = Client(), Client()
    laptop.force_login(user)
    phone.force_login(user)
    assert 'data-testid="cart-count"' not in phone.get("/shop/cart/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):  # the count is shared after commit
        laptop.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "3"})

    header = phone.get("/").content.decode()
    assert 'data-testid="cart-count" aria-hidden="true">3<' in header
    with django_capture_on_commit_callbacks(execute=True):
        laptop.post(f"/shop/cart/{deck.pk}/remove/")
    assert 'data-testid="cart-count"' not in phone.get("/").content.decode()
