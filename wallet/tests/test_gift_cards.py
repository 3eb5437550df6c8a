"""Gift cards: paid with an order into the gift cards account, redeemed once into a wallet."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from wallet import gift_cards, sales, services
from wallet.errors import GiftCardAlreadyRedeemed, GiftCardInvalid
from wallet.models import GiftCard, LedgerAccount
from wallet.tests.factories import fund_wallet
from wallet.tests.test_concurrency import run_in_threads


def _buy_card(buyer, amount, reference="order:gift:1"):
    """What the shop does: one charge with the card's price in the gift cards account, then
    the card."""
    purchase = sales.open_purchase(
        client=buyer,
        seller=None,
        kind=sales.SaleKind.ORDER,
        reference=reference,
        description="Gift card",
    )
    sales.charge(purchase, amount, idempotency_key=f"{reference}:pay", gift_cards=amount)
    return gift_cards.issue(purchase, amount, reference=f"{reference}:card:1")


def _outstanding():
    return services.platform_account(LedgerAccount.Kind.GIFT_CARDS).balance


@pytest.mark.django_db
def test_a_bought_gift_card_waits_in_the_gift_cards_account_until_it_is_redeemed():
    buyer, friend = UserFactory(), UserFactory()
    fund_wallet(buyer, 10_000)
    card, code = _buy_card(buyer, 5_000)
    assert services.wallet_of(buyer).balance == 5_000
    assert _outstanding() == 5_000
    assert len(code) == 19 and code[-4:] == card.code_last4
    gift_cards.redeem(friend, code.lower().replace("-", " "))
    assert services.wallet_of(friend).balance == 5_000
    assert _outstanding() == 0
    assert GiftCard.objects.get(pk=card.pk).redeemed_by == friend


@pytest.mark.django_db
def test_a_code_works_once_and_a_wrong_code_opens_nothing():
    buyer, friend, other = UserFactory(), UserFactory(), UserFactory()
    fund_wallet(buyer, 10_000)
    _card, code = _buy_card(buyer, 2_500)
    gift_cards.redeem(friend, code)
    with pytest.raises(GiftCardAlreadyRedeemed):
        gift_cards.redeem(other, code)
    with pytest.raises(GiftCardInvalid):
        gift_cards.redeem(other, "ABCD-EFGH-JKMN-PQRS")
    with pytest.raises(GiftCardInvalid):
        gift_cards.redeem(other, "short")
    assert services.wallet_of(other).balance == 0
    assert services.wallet_of(friend).balance == 2_500


@pytest.mark.django_db
def test_issuing_the_same_card_twice_returns_the_first_and_no_code():
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    card, code = _buy_card(buyer, 1_000)
    again, again_code = gift_cards.issue(card.purchase, 1_000, reference=card.reference)
    assert again.pk == card.pk and again_code is None and code


@pytest.mark.django_db(transaction=True)
def test_a_gift_card_redeemed_by_many_at_once_credits_exactly_one_wallet_once():
    buyer = UserFactory()
    fund_wallet(buyer, 10_000)
    _card, code = _buy_card(buyer, 4_000, reference="order:gift:race")
    people = [UserFactory() for _ in range(6)]
    results, errors = run_in_threads(6, lambda i: gift_cards.redeem(people[i], code).pk)
    assert sum(1 for r in results if r is not None) == 1
    assert all(isinstance(e, GiftCardAlreadyRedeemed) for e in errors if e is not None)
    assert sorted(services.wallet_of(p).balance for p in people) == [0] * 5 + [4_000]
    assert _outstanding() == 0


@pytest.mark.django_db
def test_the_redeem_page_credits_the_wallet_and_says_how_much(client):
    buyer, friend = UserFactory(), UserFactory()
    fund_wallet(buyer, 10_000)
    _card, code = _buy_card(buyer, 3_000)
    client.force_login(friend)
    assert client.get(reverse("wallet:redeem")).status_code == 200
    response = client.post(reverse("wallet:redeem"), {"code": code}, follow=True)
    assert "$30.00 was added to your wallet." in response.content.decode()
    assert services.wallet_of(friend).balance == 3_000
    again = client.post(reverse("wallet:redeem"), {"code": code})
    assert again.status_code == 400
    assert "redeemed already" in again.content.decode()
    history = client.get(reverse("wallet:overview")).content.decode()
    assert "Gift card redeemed" in history


@pytest.mark.django_db
def test_guessing_codes_is_limited_to_ten_tries_an_hour(client):
    client.force_login(UserFactory())
    for _ in range(10):
        assert (
            client.post(reverse("wallet:redeem"), {"code": "ABCD-EFGH-JKMN-PQRS"}).status_code
            == 400
        )
    limited = client.post(reverse("wallet:redeem"), {"code": "ABCD-EFGH-JKMN-PQRS"}, follow=True)
    assert "Too many gift card codes tried" in limited.content.decode()


@pytest.mark.django_db
def test_the_redeem_page_needs_a_signed_in_person(client):
    response = client.post(reverse("wallet:redeem"), {"code": "ABCD-EFGH-JKMN-PQRS"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
