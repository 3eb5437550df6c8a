"""A product page sells what the shop can deliver: an "Add to cart" form with a quantity for an
item in stock, one for a download with its file, none when sold out, and no promise the shop
does not keep."""

import pytest

from accounts.tests.factories import UserFactory
from shop.tests.factories import digital, physical

pytestmark = pytest.mark.django_db

# Things the shop does not do: no shipping charge is worked out, nothing is ordered "soon".
FALSE_PROMISES = (
    "cart opens soon",
    "Shipping calculated at checkout",
    "can't be ordered on the site",
    "Sign up to buy",
)


@pytest.mark.parametrize("signed_in", [False, True])
def test_an_item_in_stock_has_an_add_to_cart_form_with_a_quantity(client, shop, signed_in):
    product = physical(shop, "Moon deck", price_cents=3400, stock=2)
    if signed_in:
        client.force_login(UserFactory())

    html = client.get(product.url).content.decode()

    assert "$34.00" in html
    assert 'data-testid="add-to-cart"' in html and ">Add to cart</button>" in html
    assert 'name="quantity"' in html and '<option value="2">' in html
    assert '<option value="3">' not in html  # never more than the stock left
    assert "Only 2 left." in html
    assert "no shipping charge is added at checkout" in html
    for promise in FALSE_PROMISES:
        assert promise not in html


def test_the_page_stored_for_visitors_carries_no_token_and_loads_the_live_box(client, shop):
    product = physical(shop, stock=5)

    response = client.get(product.url)

    html = response.content.decode()
    assert "csrfmiddlewaretoken" not in html and not response.cookies
    assert f'hx-get="/shop/products/{product.pk}/buy/"' in html
    assert f'<form method="get" action="/shop/cart/add/{product.pk}/"' in html

    live = client.get(f"/shop/products/{product.pk}/buy/").content.decode()
    assert "csrfmiddlewaretoken" in live and 'hx-post="/shop/cart/add/' in live


def test_a_signed_in_visitor_gets_the_form_that_posts(client, shop):
    product = physical(shop)
    client.force_login(UserFactory())

    html = client.get(product.url).content.decode()

    assert "csrfmiddlewaretoken" in html
    assert f'hx-post="/shop/cart/add/{product.pk}/"' in html
    assert 'hx-trigger="load"' not in html


def test_a_sold_out_item_says_so_and_has_no_button(client, shop):
    product = physical(shop, stock=0)

    html = client.get(product.url).content.decode()
    live = client.get(f"/shop/products/{product.pk}/buy/").content.decode()

    for page in (html, live):
        assert ">Sold out</p>" in page
        assert "add-to-cart" not in page


def test_a_download_is_bought_once_without_a_quantity(client, shop):
    product = digital(shop, price_cents=900)

    html = client.get(f"/shop/products/{product.pk}/buy/").content.decode()

    assert 'data-testid="add-to-cart"' in html
    assert '<input type="hidden" name="quantity" value="1">' in html
    assert "<select" not in html
    assert "up to 5 times" in html


def test_a_download_without_its_file_cannot_be_bought(client, shop):
    product = digital(shop, content=None)

    html = client.get(product.url).content.decode()

    assert "This download isn't available to buy yet." in html
    assert "add-to-cart" not in html


def test_the_shop_index_still_serves_under_its_own_pages(client, shop):
    physical(shop, "Moon deck")

    assert "Moon deck" in client.get("/shop/").content.decode()
    assert client.get("/shop/cart/").status_code == 200


def test_without_javascript_the_stored_form_opens_a_page_that_adds_with_a_token(client, shop):
    product = physical(shop, "Moon deck", stock=5)

    page = client.get(f"/shop/cart/add/{product.pk}/", {"quantity": "3"})

    html = page.content.decode()
    assert page.status_code == 200 and "csrfmiddlewaretoken" in html
    assert '<option value="3" selected>' in html
    assert client.post(f"/shop/cart/add/{product.pk}/", {"quantity": "3"}).status_code == 302


def test_a_refused_add_with_htmx_says_why_in_the_box(client, shop):
    product = physical(shop, "Moon deck", stock=2)

    response = client.post(
        f"/shop/cart/add/{product.pk}/", {"quantity": "3"}, headers={"HX-Request": "true"}
    )

    assert 'data-testid="buy-box-error">Only 2 of Moon deck left.<' in response.content.decode()


def test_a_product_page_is_stored_for_visitors_and_a_sale_of_the_last_one_forgets_it(
    client, settings, shop
):
    import uuid

    from home import page_cache
    from shop import services
    from shop.tests.factories import ADDRESS, cart_of
    from wallet.tests.factories import fund_wallet

    product = physical(shop, "Moon deck", stock=1)
    client.get(product.url)  # the site's settings are made on first use (which forgets pages)
    settings.PAGE_CACHE_SECONDS = 600
    page_cache.bump()
    assert client.get(product.url)["X-Page-Cache"] == "miss"
    assert client.get(product.url)["X-Page-Cache"] == "hit"
    buy_box = client.get(f"/shop/products/{product.pk}/buy/")
    assert "private" in buy_box["Cache-Control"] and "X-Page-Cache" not in buy_box

    buyer = UserFactory()
    fund_wallet(buyer, 5_000)
    services.add_to_cart(cart_of(buyer), product, 1)
    services.checkout_with_wallet(buyer, shipping=ADDRESS, idempotency_key=uuid.uuid4().hex)

    again = client.get(product.url)
    assert again["X-Page-Cache"] == "miss" and ">Sold out</p>" in again.content.decode()
