"""A product page promises nothing the shop cannot do: there is no cart or checkout."""

import pytest
from wagtail.models import Collection, Locale, Page, Site

from accounts.tests.factories import UserFactory
from home.models import HomePage
from shop.models import ProductPage, ShopIndexPage

pytestmark = pytest.mark.django_db

PROMISES = (
    "cart opens soon",
    "Shipping calculated at checkout",
    "after purchase",
    "Sign up to buy",
)


@pytest.fixture
def product():
    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Home", slug="home-test", hero_title="Clarity"))
    Site.objects.all().delete()
    Site.objects.create(hostname="testserver", port=80, root_page=home, is_default_site=True)
    shop = home.add_child(instance=ShopIndexPage(title="Shop", slug="shop"))
    return shop.add_child(
        instance=ProductPage(title="Moon deck", slug="moon-deck", price_cents=3400, stock=2)
    )


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_product_page_makes_no_promise_of_a_cart_or_checkout(client, product, signed_in):
    if signed_in:
        client.force_login(UserFactory())

    html = client.get(product.url).content.decode()

    assert "$34.00" in html
    for promise in PROMISES:
        assert promise not in html
    assert "can't be ordered on the site" in html
