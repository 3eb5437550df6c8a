"""Checkout with the wallet: one purchase charged once, each seller reader paid their share of
what they sold (rounded down), the platform the rest; prices from the database whatever the
form says; refusals write nothing; the same form submitted twice pays once."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from shop import inventory, services
from shop.errors import (
    CartEmpty,
    InsufficientBalance,
    ShippingRequired,
    SoldOut,
    SpendingLimitWouldBlock,
)
from shop.models import CartLine, Order, ProductPage
from shop.tests.factories import ADDRESS, cart_of, digital, order, physical
from wallet.models import LedgerAccount, Purchase, Transfer
from wallet.selectors import wallet_summary
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


def platform_revenue():
    account = LedgerAccount.objects.filter(kind=Kind.PLATFORM_REVENUE).first()
    return account.balance if account else 0


def balances(buyer, *readers):
    return [
        wallet_summary(buyer).balance,
        *(wallet_summary(reader).earnings for reader in readers),
        platform_revenue(),
    ]


def test_an_order_pays_each_reader_their_share_rounded_down_and_the_platform_the_rest(shop):
    luna, aurora = UserFactory(reader=True), UserFactory(reader=True)
    deck = physical(shop, "Moon deck", price_cents=1999, seller=luna, stock=5)
    meditation = digital(shop, "Meditation", price_cents=999, seller=aurora)
    candles = physical(shop, "Candles", price_cents=1500)  # sold by SoulSeer
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    before = balances(buyer, luna, aurora)

    paid = order(buyer, (deck, 2), meditation, candles)

    after = balances(buyer, luna, aurora)
    # Luna 3,998 x 70% = 2,798.6 -> 2,798; Aurora 999 x 70% = 699.3 -> 699; the platform the
    # remaining 6,497 - 2,798 - 699 = 3,000.
    assert [a - b for a, b in zip(after, before, strict=True)] == [-6_497, 2_798, 699, 3_000]
    assert paid.state == Order.State.PAID and paid.total_cents == 6_497
    assert Transfer.objects.filter(purchase=paid.purchase).count() == 1
    purchase = Purchase.objects.get(pk=paid.purchase_id)
    assert purchase.kind == Purchase.Kind.ORDER and purchase.seller is None
    assert purchase.reference == f"order:{paid.public_id}"
    assert purchase.detail_url == f"/shop/orders/{paid.public_id}/"
    assert purchase.description == "Shop order: Moon deck and 2 more"
    lines = {line.title: line for line in paid.lines.all()}
    assert (lines["Moon deck"].seller, lines["Moon deck"].reader_share_percent) == (luna, 70)
    assert (lines["Candles"].seller, lines["Candles"].reader_share_percent) == (None, 0)
    assert ProductPage.objects.get(pk=deck.pk).stock == 3
    assert not CartLine.objects.filter(cart__user=buyer).exists()
    assert AuditEvent.objects.filter(action="order.paid", target_id=str(paid.pk)).exists()


def test_the_sites_share_at_checkout_is_paid_and_kept_when_it_changes_later(shop):
    from wagtail.models import Site

    from home.models import MarketplaceSettings

    market = MarketplaceSettings.for_site(Site.objects.get(is_default_site=True))
    market.reader_share_percent = 50
    market.save()
    luna = UserFactory(reader=True)
    buyer = UserFactory()
    fund_wallet(buyer, 5_000)

    paid = order(buyer, physical(shop, price_cents=1001, seller=luna))
    market.reader_share_percent = 80
    market.save()

    assert paid.lines.get().reader_share_percent == 50
    assert wallet_summary(luna).earnings == 500  # 1,001 x 50% rounded down


def test_an_order_of_downloads_only_is_complete_at_once_and_needs_no_address(shop):
    buyer = UserFactory()
    fund_wallet(buyer, 2_000)

    paid = order(buyer, digital(shop))

    assert paid.state == Order.State.FULFILLED and not paid.ships


def test_a_tampered_price_in_the_checkout_form_changes_nothing(client, shop):
    deck = physical(shop, price_cents=3400)
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    client.force_login(buyer)
    client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "2", "price_cents": "1"})

    response = client.post(
        "/shop/checkout/",
        {
            "idempotency_key": uuid.uuid4().hex,
            **ADDRESS,
            "total_cents": "1",
            "price_cents": "1",
            "unit_cents": "1",
            "amount": "0.01",
        },
    )

    paid = Order.objects.get(buyer=buyer)
    assert response.status_code == 302 and response["Location"] == f"/shop/orders/{paid.public_id}/"
    assert paid.total_cents == 6_800 and paid.lines.get().unit_cents == 3_400
    assert wallet_summary(buyer).balance == 3_200


def test_the_same_checkout_form_submitted_twice_pays_once(client, shop):
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    client.force_login(buyer)
    deck = physical(shop, price_cents=3400)
    client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "1"})
    form = {"idempotency_key": uuid.uuid4().hex, **ADDRESS}

    first = client.post("/shop/checkout/", form)
    client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "1"})  # a new cart meanwhile
    second = client.post("/shop/checkout/", form)

    assert first["Location"] == second["Location"]
    assert Order.objects.filter(buyer=buyer).count() == 1
    assert wallet_summary(buyer).balance == 6_600
    assert CartLine.objects.filter(cart__user=buyer).count() == 1  # the new cart is kept


def test_not_enough_in_the_wallet_writes_nothing_and_offers_a_top_up(client, shop):
    luna = UserFactory(reader=True)
    deck = physical(shop, price_cents=3400, stock=3, seller=luna)
    buyer = UserFactory()
    fund_wallet(buyer, 3_000)
    client.force_login(buyer)
    client.post(f"/shop/cart/add/{deck.pk}/", {"quantity": "1"})
    purchases, transfers = Purchase.objects.count(), Transfer.objects.count()

    response = client.post("/shop/checkout/", {"idempotency_key": uuid.uuid4().hex, **ADDRESS})

    html = response.content.decode()
    assert response.status_code == 409
    assert "This costs $34.00 and your wallet has $30.00." in html
    assert 'href="/wallet/topup/" data-testid="checkout-topup-link"' in html
    assert not Order.objects.exists()
    assert (Purchase.objects.count(), Transfer.objects.count()) == (purchases, transfers)
    assert ProductPage.objects.get(pk=deck.pk).stock == 3
    assert CartLine.objects.filter(cart__user=buyer).count() == 1
    assert wallet_summary(buyer).balance == 3_000 and wallet_summary(luna).earnings == 0


def test_a_spending_limit_refuses_the_order_and_writes_nothing(shop):
    from wallet import services as ledger  # test set-up only: limits are set from the wallet

    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    ledger.set_spending_limits(buyer, daily=2_000)
    cart = cart_of(buyer)
    services.add_to_cart(cart, physical(shop, price_cents=3400), 1)

    with pytest.raises(SpendingLimitWouldBlock, match="spending limit"):
        services.checkout_with_wallet(buyer, shipping=ADDRESS, idempotency_key="k1")

    assert not Order.objects.exists() and wallet_summary(buyer).balance == 10_000


def test_the_checkout_page_shows_the_balance_and_what_is_missing(client, shop):
    buyer = UserFactory()
    fund_wallet(buyer, 1_000)
    client.force_login(buyer)
    client.post(f"/shop/cart/add/{physical(shop, price_cents=3400).pk}/", {"quantity": "1"})

    html = client.get("/shop/checkout/").content.decode()

    assert 'data-testid="checkout-balance">$10.00<' in html
    assert "Your wallet is $24.00 short for this order: top up, or pay by card below." in html
    assert 'data-testid="pay">Pay $34.00 from wallet<' in html and "disabled" in html
    assert 'name="line1"' in html  # a physical item ships: the address is asked


def test_physical_items_need_an_address(shop):
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    services.add_to_cart(cart_of(buyer), physical(shop), 1)

    with pytest.raises(ShippingRequired):
        services.checkout_with_wallet(
            buyer, shipping={**ADDRESS, "line1": " "}, idempotency_key="k1"
        )

    assert not Order.objects.exists()


def test_an_item_sold_out_since_it_was_added_is_refused_at_checkout(shop):
    deck = physical(shop, "Moon deck", stock=1)
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    services.add_to_cart(cart_of(buyer), deck, 1)
    inventory.set_stock(deck, 0)  # the last one went elsewhere

    with pytest.raises(SoldOut, match="Moon deck is sold out"):
        services.checkout_with_wallet(buyer, shipping=ADDRESS, idempotency_key="k1")

    assert not Order.objects.exists() and wallet_summary(buyer).balance == 10_000


def test_an_empty_cart_cannot_be_paid(shop):
    buyer = UserFactory()
    fund_wallet(buyer, 1_000)

    with pytest.raises(CartEmpty):
        services.checkout_with_wallet(buyer, idempotency_key="k1")


def test_checkout_needs_an_account(client, shop):
    response = client.get("/shop/checkout/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/shop/checkout/")


def test_insufficient_balance_is_a_shop_error_with_a_top_up(shop):
    buyer = UserFactory()
    services.add_to_cart(cart_of(buyer), digital(shop, price_cents=900))

    with pytest.raises(InsufficientBalance) as refused:
        services.checkout_with_wallet(buyer, idempotency_key="k1")

    assert refused.value.needs_top_up


def test_my_orders_and_a_receipt_are_the_buyers_own(client, shop):
    buyer, someone = UserFactory(), UserFactory()
    fund_wallet(buyer, 5_000)
    fund_wallet(someone, 5_000)
    mine = order(buyer, physical(shop, "Moon deck"))
    theirs = order(someone, physical(shop, "Candles"))
    client.force_login(buyer)

    listing = client.get("/shop/orders/").content.decode()
    receipt = client.get(f"/shop/orders/{mine.public_id}/")

    assert "Moon deck" in listing and "Candles" not in listing
    assert receipt.status_code == 200 and "12 Orchard Lane" in receipt.content.decode()
    assert f'href="/wallet/purchases/{mine.purchase.public_id}/"' in receipt.content.decode()
    assert client.get(f"/shop/orders/{theirs.public_id}/").status_code == 404
    assert client.get(f"/shop/orders/{uuid.uuid4()}/").status_code == 404


def test_staff_find_a_paid_order_with_its_items_and_address_in_the_admin(client, shop):
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    paid = order(buyer, (physical(shop, "Moon deck"), 2))
    client.force_login(UserFactory(staff=True, is_superuser=True))

    listing = client.get("/admin/shop/order/").content.decode()
    inspect = client.get(f"/admin/shop/order/inspect/{paid.pk}/").content.decode()

    assert str(paid.public_id) in listing and "2 × Moon deck" in listing
    assert "12 Orchard Lane" in inspect and "2 × Moon deck" in inspect
    assert "/admin/shop/order/create/" not in listing
