import pytest

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.errors import (
    AlreadyReversed,
    HoldAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidAmount,
)
from wallet.models import Entry, Hold, LedgerAccount, Transfer
from wallet.tests.factories import fund_wallet, spend

pytestmark = pytest.mark.django_db

Kind = LedgerAccount.Kind


def balance(account):
    account.refresh_from_db()
    return account.balance


def test_top_up_credits_wallet_and_balances_clearing():
    client = UserFactory()
    fund_wallet(client, 2500)
    assert balance(services.wallet_of(client)) == 2500
    assert balance(services.platform_account(Kind.STRIPE_CLEARING)) == -2500


def test_repeating_a_key_returns_the_first_transfer_without_moving_money_again():
    client = UserFactory()
    fund_wallet(client, 1000)
    first = spend(client, 300, key="order:1")
    second = spend(client, 300, key="order:1")
    assert second.pk == first.pk
    assert second.replayed is True
    assert balance(services.wallet_of(client)) == 700
    assert Transfer.objects.filter(idempotency_key="order:1").count() == 1


def test_same_key_with_different_legs_is_refused():
    client = UserFactory()
    fund_wallet(client, 1000)
    spend(client, 300, key="order:2")
    with pytest.raises(IdempotencyConflict):
        spend(client, 400, key="order:2")
    assert balance(services.wallet_of(client)) == 700


def test_overdraft_is_refused_and_writes_nothing():
    client = UserFactory()
    fund_wallet(client, 500)
    before = Entry.objects.count(), Transfer.objects.count()
    with pytest.raises(InsufficientFunds):
        spend(client, 501)
    assert balance(services.wallet_of(client)) == 500
    assert (Entry.objects.count(), Transfer.objects.count()) == before


@pytest.mark.parametrize("amount", [0, -5, 2.5, "100", True, None, 10**13])
def test_bad_amounts_are_refused_with_a_clear_message(amount):
    client = UserFactory()
    with pytest.raises(InvalidAmount) as excinfo:
        services.hold(client, amount, idempotency_key="bad-amount")
    assert str(excinfo.value)
    assert Transfer.objects.count() == 0


def test_unbalanced_or_single_leg_transfers_are_refused():
    client = UserFactory()
    wallet = services.wallet_of(client)
    revenue = services.platform_account(Kind.PLATFORM_REVENUE)
    with pytest.raises(InvalidAmount):
        services.transfer(
            [services.Leg(wallet, 100), services.Leg(revenue, -99)],
            idempotency_key="unbalanced",
            kind=Transfer.Kind.ADJUSTMENT,
        )
    with pytest.raises(InvalidAmount):
        services.transfer(
            [services.Leg(wallet, 100), services.Leg(wallet, -100)],
            idempotency_key="self",
            kind=Transfer.Kind.ADJUSTMENT,
        )
    assert Transfer.objects.count() == 0


def test_transfer_across_currencies_is_refused():
    client = UserFactory()
    usd = services.wallet_of(client)
    eur = services.get_account(Kind.PLATFORM_REVENUE, currency="eur")
    with pytest.raises(InvalidAmount, match="currency"):
        services.transfer(
            [services.Leg(usd, 100), services.Leg(eur, -100)],
            idempotency_key="fx",
            kind=Transfer.Kind.ADJUSTMENT,
        )


def test_reverse_undoes_a_transfer_once():
    client = UserFactory()
    fund_wallet(client, 1000)
    purchase = spend(client, 400)
    reversal = services.reverse(purchase, reason="customer support")
    assert reversal.reverses_id == purchase.pk
    assert balance(services.wallet_of(client)) == 1000
    again = services.reverse(purchase)
    assert again.pk == reversal.pk
    assert balance(services.wallet_of(client)) == 1000
    with pytest.raises(AlreadyReversed):
        services.reverse(reversal)


def test_a_holds_transfers_are_never_reversed_so_the_hold_keeps_its_money():
    from wallet.errors import NotReversible
    from wallet.models import Hold

    client, reader = UserFactory(), UserFactory(reader=True)
    fund_wallet(client, 2000)
    held = services.hold(client, 1500, idempotency_key="booking:r", description="Booking")
    with pytest.raises(NotReversible):
        services.reverse(held.hold_transfer)
    assert balance(services.holds_of(client)) == 1500
    posted = services.post_hold(held, [services.Leg(services.earnings_of(reader), 1000)])
    with pytest.raises(NotReversible):
        services.reverse(posted.resolve_transfer)
    assert Hold.objects.get(pk=held.pk).status == Hold.Status.POSTED
    assert balance(services.holds_of(client)) == 0
    assert balance(services.wallet_of(client)) == 1000


def test_hold_reserves_then_post_pays_and_releases_the_rest():
    client, reader = UserFactory(), UserFactory(reader=True)
    fund_wallet(client, 2000)
    held = services.hold(client, 1500, idempotency_key="booking:1", description="Booking")
    assert balance(services.wallet_of(client)) == 500
    assert balance(services.holds_of(client)) == 1500

    posted = services.post_hold(
        held,
        [
            services.Leg(services.earnings_of(reader), 700),
            services.Leg(services.platform_account(Kind.PLATFORM_REVENUE), 300),
        ],
    )
    assert posted.status == Hold.Status.POSTED
    assert posted.posted_amount == 1000
    assert balance(services.holds_of(client)) == 0
    assert balance(services.wallet_of(client)) == 1000
    assert balance(services.earnings_of(reader)) == 700


def test_hold_resolves_at_most_once():
    client = UserFactory()
    fund_wallet(client, 1000)
    held = services.hold(client, 600, idempotency_key="msg:1")
    services.void_hold(held)
    with pytest.raises(HoldAlreadyResolved):
        services.void_hold(held)
    with pytest.raises(HoldAlreadyResolved):
        services.post_hold(
            held, [services.Leg(services.platform_account(Kind.PLATFORM_REVENUE), 100)]
        )
    assert balance(services.wallet_of(client)) == 1000
    assert balance(services.holds_of(client)) == 0


def test_hold_cannot_post_more_than_reserved():
    client = UserFactory()
    fund_wallet(client, 1000)
    held = services.hold(client, 600, idempotency_key="msg:2")
    with pytest.raises(InvalidAmount):
        services.post_hold(
            held, [services.Leg(services.platform_account(Kind.PLATFORM_REVENUE), 601)]
        )
    held.refresh_from_db()
    assert held.status == Hold.Status.PENDING


def test_hold_beyond_balance_is_refused():
    client = UserFactory()
    fund_wallet(client, 100)
    with pytest.raises(InsufficientFunds):
        services.hold(client, 101, idempotency_key="msg:3")
    assert Hold.objects.count() == 0


def test_repeated_hold_key_returns_the_same_hold():
    client = UserFactory()
    fund_wallet(client, 1000)
    first = services.hold(client, 300, idempotency_key="booking:9")
    second = services.hold(client, 300, idempotency_key="booking:9")
    assert first.pk == second.pk
    assert balance(services.holds_of(client)) == 300


def test_user_and_platform_accounts_are_distinct_per_kind():
    client = UserFactory()
    assert services.wallet_of(client).pk == services.wallet_of(client).pk
    assert services.wallet_of(client).pk != services.holds_of(client).pk
    with pytest.raises(ValueError):
        services.get_account(Kind.CLIENT_WALLET)
    with pytest.raises(ValueError):
        services.get_account(Kind.PLATFORM_REVENUE, owner=client)
