"""The shop in a real browser: a visitor adds a download and a deck to the cart, logs in at
checkout (the cart comes along), pays from the wallet, and downloads the file from the order."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from playwright.sync_api import expect

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from shop.models import Order, ProductPage
from shop.tests.factories import PDF, digital, image, physical, shop_site
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import log_in
from wallet.selectors import wallet_summary
from wallet.tests.factories import fund_wallet
from wallet.tests.test_topup_browser import fill_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def cart_count(page):
    return page.get_by_test_id("cart-link-desktop").get_by_test_id("cart-count")


@pytest.fixture
def shop(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ContentType.objects.clear_cache()  # ids change when a transactional test restores them
    return shop_site(hostname="localhost")


def test_add_to_cart_then_check_out_with_the_wallet_then_download(browser_page, live_server, shop):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    reader = UserFactory(reader=True, display_name="Aurora Vale")
    meditation = digital(shop, "Full Moon Meditation", price_cents=900, seller=reader)
    ProductPage.objects.filter(pk=meditation.pk).update(summary="A 25-minute guided meditation.")
    deck = physical(
        shop, "Midnight Tarot Deck", price_cents=3400, stock=3, image=image("Midnight deck")
    )
    buyer = UserFactory(display_name="Ann")
    fund_wallet(buyer, 5_000)

    # A visitor: the stored page's box is replaced by the live one, which adds with HTMX.
    page.goto(f"{live_server.url}{deck.url}")
    box = page.get_by_test_id("buy-box")
    expect(box).to_contain_text("Only 3 left.")
    expect(box.locator("form[method=post]")).to_have_count(1)  # the live box has loaded
    box.get_by_label("Quantity").select_option("2")
    page.screenshot(path="/tmp/shop-product.png", full_page=True)
    box.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("added-to-cart")).to_contain_text("Added to your cart (2).")
    expect(cart_count(page)).to_have_text("2")
    page.screenshot(path="/tmp/shop-added.png", full_page=True)

    page.goto(f"{live_server.url}{meditation.url}")
    expect(page.get_by_test_id("buy-box").locator("form[method=post]")).to_have_count(1)
    page.get_by_test_id("add-to-cart").click()
    expect(cart_count(page)).to_have_text("3")
    page.get_by_role("link", name="View cart (3)").click()

    expect(page).to_have_url(re.compile(r"/shop/cart/$"))
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(page.get_by_test_id("cart-total")).to_have_text("$77.00")
    page.get_by_test_id("line-quantity").select_option("1")  # HTMX, on change
    expect(page.get_by_test_id("cart-total")).to_have_text("$43.00")
    expect(cart_count(page)).to_have_text("2")
    page.screenshot(path="/tmp/shop-cart.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/shop-cart-mobile.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Checkout asks for an account; the cart comes along through the login.
    page.get_by_test_id("checkout-link").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Username").fill(buyer.username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/shop/checkout/$"))
    expect(page.get_by_test_id("checkout-line")).to_have_count(2)
    expect(page.get_by_test_id("checkout-balance")).to_have_text("$50.00")
    page.get_by_label("Full name").fill("Ann Client")
    page.get_by_label("Address", exact=True).fill("12 Orchard Lane")
    page.get_by_label("City").fill("Asheville")
    page.get_by_label("ZIP or postal code").fill("28801")
    page.get_by_label("Country").fill("United States")
    page.screenshot(path="/tmp/shop-checkout.png", full_page=True)
    page.get_by_test_id("pay").click()

    expect(page).to_have_url(re.compile(r"/shop/orders/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("order-total")).to_have_text("$43.00")
    expect(page.get_by_test_id("shipping-address")).to_contain_text("12 Orchard Lane")
    expect(page.get_by_test_id("cart-link-desktop")).not_to_contain_text("2")
    expect(page.get_by_test_id("downloads-left")).to_have_text("5 downloads left")
    page.screenshot(path="/tmp/shop-receipt.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/shop-receipt-mobile.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as file:
        assert file.read() == PDF

    order = Order.objects.get(buyer=buyer)
    assert order.lines.get(kind="digital").downloads == 1
    assert wallet_summary(buyer).balance == 700
    assert wallet_summary(reader).earnings == 630  # 70% of $9.00
    assert ProductPage.objects.get(pk=deck.pk).stock == 2

    # The wallet tells the same purchase, and leads back to the order.
    page.get_by_test_id("wallet-receipt-link").click()
    expect(page.get_by_test_id("purchase-total")).to_have_text("$43.00")
    page.get_by_role("link", name="The order and its downloads").click()
    expect(page).to_have_url(re.compile(rf"/shop/orders/{order.public_id}/$"))
    expect(page.get_by_test_id("downloads-left")).to_have_text("4 downloads left")

    page.get_by_role("link", name="← My orders").click()
    expect(page.get_by_test_id("order-row")).to_have_count(1)
    page.screenshot(path="/tmp/shop-orders.png", full_page=True)


def test_pay_for_a_deck_with_a_new_card_and_watch_the_order_get_paid(
    browser_page, local_stripe, live_server, shop
):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    deck = physical(shop, "Midnight Tarot Deck", price_cents=3400, stock=2)
    buyer = UserFactory(display_name="Ann")  # an empty wallet: the card pays
    log_in(page, live_server, buyer)

    page.goto(f"{live_server.url}{deck.url}")
    expect(page.get_by_test_id("buy-box").locator("form[method=post]")).to_have_count(1)
    page.get_by_test_id("add-to-cart").click()
    expect(cart_count(page)).to_have_text("1")
    page.goto(f"{live_server.url}/shop/checkout/")
    expect(page.get_by_test_id("balance-short")).to_contain_text("$34.00 short")
    expect(page.get_by_test_id("pay")).to_be_disabled()
    page.get_by_label("Full name").fill("Ann Client")
    page.get_by_label("Address", exact=True).fill("12 Orchard Lane")
    page.get_by_label("City").fill("Asheville")
    page.get_by_label("ZIP or postal code").fill("28801")
    page.get_by_label("Country").fill("United States")
    expect(page.get_by_label("Add a new card")).to_be_checked()
    fill_card(page)
    page.screenshot(path="/tmp/shop-checkout-card.png", full_page=True)
    page.get_by_role("button", name="Pay $34.00 by card").click()

    expect(page).to_have_url(re.compile(r"/shop/orders/[0-9a-f-]{36}/$"))
    # The webhook pays it; the polled panel reloads the page into the receipt.
    expect(page.get_by_test_id("order-state")).to_have_text("Paid · to be shipped", timeout=20_000)
    expect(page.get_by_text("Paid by card")).to_be_visible()
    expect(page.get_by_test_id("shipping-address")).to_contain_text("12 Orchard Lane")
    expect(cart_count(page)).to_have_count(0)
    page.screenshot(path="/tmp/shop-receipt-card.png", full_page=True)
    order = Order.objects.get(buyer=buyer)
    assert order.payment_method == Order.Method.CARD and order.is_paid
    assert wallet_summary(buyer).balance == 0
    assert ProductPage.objects.get(pk=deck.pk).stock == 1
