"""Gift cards in the shop: bought from the wallet, the price kept for the card until it is
redeemed, the code emailed to the recipient and redeemed once into their wallet."""

import re
import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from shop import inventory, services
from shop.errors import StockRefused
from shop.models import Order, ProductPage
from shop.tests.factories import cart_of, gift_card, physical
from wallet import gift_cards
from wallet.errors import GiftCardAlreadyRedeemed
from wallet.models import GiftCard, LedgerAccount
from wallet.selectors import wallet_summary
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db

CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


def _outstanding():
    account = LedgerAccount.objects.filter(kind=LedgerAccount.Kind.GIFT_CARDS).first()
    return account.balance if account else 0


def _revenue():
    account = LedgerAccount.objects.filter(kind=LedgerAccount.Kind.PLATFORM_REVENUE).first()
    return account.balance if account else 0


def test_a_gift_card_bought_from_the_wallet_is_emailed_and_redeemed_once(
    shop, django_capture_on_commit_callbacks
):
    buyer = UserFactory(display_name="Ann")
    friend, other = UserFactory(), UserFactory()
    fund_wallet(buyer, 10_000)
    card_page = gift_card(shop, price_cents=2_500)
    services.add_to_cart(cart_of(buyer), card_page, 2)
    revenue_before = _revenue()
    with django_capture_on_commit_callbacks(execute=True):
        order = services.checkout_with_wallet(
            buyer,
            idempotency_key=uuid.uuid4().hex,
            gift_recipient={"email": "friend@example.com", "message": "Happy birthday"},
        )
    assert order.state == Order.State.FULFILLED
    assert wallet_summary(buyer).balance == 5_000
    assert _outstanding() == 5_000 and _revenue() == revenue_before  # not revenue until used
    assert GiftCard.objects.filter(purchase=order.purchase).count() == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["friend@example.com"]
    codes = CODE.findall(mail.outbox[0].body)
    assert len(codes) == 2 and "Happy birthday" in mail.outbox[0].body
    gift_cards.redeem(friend, codes[0])
    with pytest.raises(GiftCardAlreadyRedeemed):
        gift_cards.redeem(other, codes[0])
    assert wallet_summary(friend).balance == 2_500 and _outstanding() == 2_500


def test_without_a_recipient_the_buyer_gets_the_code(shop, django_capture_on_commit_callbacks):
    buyer = UserFactory(email="ann@example.com")
    fund_wallet(buyer, 10_000)
    services.add_to_cart(cart_of(buyer), gift_card(shop), 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.checkout_with_wallet(buyer, idempotency_key=uuid.uuid4().hex)
    assert mail.outbox[0].to == ["ann@example.com"] and CODE.search(mail.outbox[0].body)


def test_the_checkout_page_asks_who_the_gift_card_is_for_and_the_receipt_lists_it(client, shop):
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    client.force_login(buyer)
    page = gift_card(shop)
    client.post(f"/shop/cart/add/{page.pk}/", {"quantity": "1"})
    assert "Send the gift card to" in client.get("/shop/checkout/").content.decode()
    response = client.post(
        "/shop/checkout/",
        {"idempotency_key": uuid.uuid4().hex, "gift_email": "friend@example.com"},
        follow=True,
    )
    html = response.content.decode()
    card = GiftCard.objects.get()
    assert f"Card …{card.code_last4}" in html and "friend@example.com" in html
    assert "not redeemed yet" in html


def test_a_gift_card_product_has_no_seller_stock_or_download(shop):
    reader = UserFactory(reader=True)
    page = ProductPage(
        title="Card",
        slug="card-x",
        kind=ProductPage.Kind.GIFT_CARD,
        price_cents=2_500,
        seller=reader,
    )
    with pytest.raises(ValidationError) as refused:
        page.clean()
    assert set(refused.value.message_dict) >= {"seller"}

    card = gift_card(shop)
    with pytest.raises(StockRefused, match="never run out"):
        inventory.set_stock(card, 3)
    assert ProductPage.objects.get(pk=card.pk).stock is None


def test_an_item_with_a_stock_count_cannot_become_a_gift_card(shop):
    deck = physical(shop, stock=3)
    deck.kind = ProductPage.Kind.GIFT_CARD

    with pytest.raises(ValidationError) as refused:
        deck.clean()

    assert "stock" in refused.value.message_dict["kind"][0]
