"""Refunds reverse the sale exactly, in whole or per item, once, and never take back what a
reader was already paid out."""

import pytest

from accounts.tests.factories import UserFactory
from shop import services
from shop.errors import RefundRefused
from shop.models import Order
from shop.tests.factories import ADDRESS, cart_of, digital, gift_card, order, physical
from shop.tests.test_checkout import balances
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def sale(shop):
    luna, aurora = UserFactory(reader=True), UserFactory(reader=True)
    deck = physical(shop, "Moon deck", price_cents=1999, seller=luna, stock=5)
    meditation = digital(shop, "Meditation", price_cents=999, seller=aurora)
    candles = physical(shop, "Candles", price_cents=1500)
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    before = balances(buyer, luna, aurora)
    paid = order(buyer, (deck, 2), meditation, candles, shipping=ADDRESS)
    return paid, buyer, luna, aurora, before


def test_a_whole_refund_puts_every_account_back_exactly(sale):
    paid, buyer, luna, aurora, before = sale
    staff = UserFactory(staff=True)
    services.refund(paid, staff, reason="Parcel lost")
    assert balances(buyer, luna, aurora) == before
    assert Order.objects.get(pk=paid.pk).state == Order.State.REFUNDED


def test_refunding_one_item_gives_back_its_part_only_and_keeps_the_order_paid(sale):
    paid, buyer, luna, aurora, before = sale
    staff = UserFactory(staff=True)
    deck_line = paid.lines.get(title="Moon deck")
    after_sale = balances(buyer, luna, aurora)
    services.refund(paid, staff, line_ids=[deck_line.pk], reason="Damaged deck")
    now = balances(buyer, luna, aurora)
    # The deck line: 3,998 back to the buyer, Luna's 2,798 back, the platform's 1,200 back.
    assert [a - b for a, b in zip(now, after_sale, strict=True)] == [3_998, -2_798, 0, -1_200]
    assert Order.objects.get(pk=paid.pk).state == Order.State.PAID
    with pytest.raises(RefundRefused, match="refunded already"):
        services.refund(paid, staff, line_ids=[deck_line.pk], reason="again")
    assert balances(buyer, luna, aurora) == now


def test_a_refunded_download_can_no_longer_be_downloaded(sale):
    paid, buyer, *_ = sale
    line = paid.lines.get(title="Meditation")
    assert services.can_download(line, buyer)
    services.refund(paid, UserFactory(staff=True), line_ids=[line.pk], reason="Wrong file")
    line.refresh_from_db()
    assert not services.can_download(line, buyer)


def test_a_refund_is_refused_when_the_reader_was_paid_out(sale):
    from wallet import services as ledger
    from wallet.models import LedgerAccount, Transfer

    paid, buyer, luna, aurora, _before = sale
    earnings = ledger.earnings_of(luna)
    ledger.transfer(  # Luna's earnings leave for her bank
        [
            ledger.Leg(earnings, -earnings.balance),
            ledger.Leg(
                ledger.platform_account(LedgerAccount.Kind.STRIPE_CLEARING), earnings.balance
            ),
        ],
        idempotency_key="payout:test",
        kind=Transfer.Kind.PAYOUT,
    )
    before = balances(buyer, luna, aurora)
    deck_line = paid.lines.get(title="Moon deck")
    with pytest.raises(RefundRefused, match="paid out"):
        services.refund(paid, UserFactory(staff=True), line_ids=[deck_line.pk], reason="Late")
    assert balances(buyer, luna, aurora) == before
    deck_line.refresh_from_db()
    assert deck_line.refunded_at is None


def test_a_refund_needs_a_reason_and_gift_cards_are_not_refunded(shop):
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    services.add_to_cart(cart_of(buyer), gift_card(shop), 1)
    import uuid

    paid = services.checkout_with_wallet(buyer, idempotency_key=uuid.uuid4().hex)
    staff = UserFactory(staff=True)
    with pytest.raises(RefundRefused, match="Say why"):
        services.refund(paid, staff, reason=" ")
    with pytest.raises(RefundRefused, match="Gift cards"):
        services.refund(paid, staff, reason="Changed mind")


def test_staff_refund_chosen_items_from_the_admin(client, sale):
    from shop.tests.test_fulfilment import _staff

    paid, buyer, luna, aurora, _before = sale
    client.force_login(_staff("view_order", "change_order"))
    url = f"/admin/shop/orders/{paid.public_id}/refund/"
    assert "Refund the chosen items" in client.get(url).content.decode()
    candles = paid.lines.get(title="Candles")
    response = client.post(url, {"lines": [str(candles.pk)], "reason": "Broken"})
    assert response.status_code == 302
    candles.refresh_from_db()
    assert candles.refunded_at is not None
    refused = client.post(url, {"lines": [str(candles.pk)], "reason": "Broken"})
    assert refused.status_code == 400 and "refunded already" in refused.content.decode()
