"""The sales API's rules: the split, and whether a client can pay."""

import pytest

from accounts.tests.factories import UserFactory
from wallet import sales, services
from wallet.errors import InsufficientFunds, SpendingLimitReached
from wallet.tests.factories import fund_wallet, spend


@pytest.mark.parametrize(
    ("gross", "share", "reader", "platform"),
    [(399, 70, 279, 120), (1, 70, 0, 1), (999, 100, 999, 0), (250, 0, 0, 250), (0, 70, 0, 0)],
)
def test_the_reader_share_is_rounded_down_and_the_platform_gets_the_remainder(
    gross, share, reader, platform
):
    assert sales.split(gross, share) == (reader, platform)


def test_a_split_always_adds_up_to_the_gross():
    for gross in range(0, 2_000, 7):
        for share in (0, 33, 50, 67, 70, 99, 100):
            reader, platform = sales.split(gross, share)
            assert reader + platform == gross and 0 <= reader <= gross


@pytest.mark.parametrize(("gross", "share"), [(-1, 70), (100, 101), (100, -1)])
def test_an_impossible_split_is_refused(gross, share):
    with pytest.raises(ValueError):
        sales.split(gross, share)


@pytest.mark.django_db
def test_the_reader_share_comes_from_the_site_settings():
    from wagtail.models import Site

    from home.models import MarketplaceSettings

    settings = MarketplaceSettings.for_site(Site.objects.get(is_default_site=True))
    settings.reader_share_percent = 65
    settings.save()
    assert sales.reader_share_percent(sales.SaleKind.READING) == 65
    with pytest.raises(ValueError):
        sales.reader_share_percent("raffle")


@pytest.mark.django_db
def test_a_client_can_pay_what_the_wallet_holds_and_not_a_cent_more():
    client = UserFactory()
    fund_wallet(client, 1_000)
    assert sales.can_pay(client, 1_000)
    with pytest.raises(InsufficientFunds) as refused:
        sales.check_can_pay(client, 1_001)
    assert (refused.value.needed, refused.value.balance) == (1_001, 1_000)


@pytest.mark.django_db
def test_a_client_without_a_wallet_can_pay_nothing():
    assert not sales.can_pay(UserFactory(), 1)
    assert sales.affordable_units(UserFactory(), 100) == 0


@pytest.mark.django_db
def test_the_spending_limit_caps_what_a_client_can_pay_whatever_the_balance():
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=1_000)
    spend(client, 400)
    with pytest.raises(SpendingLimitReached) as refused:
        sales.check_can_pay(client, 601)
    assert (refused.value.period, refused.value.remaining) == ("daily", 600)
    assert sales.can_pay(client, 600)
    assert sales.can_pay(client, 601, within_limits=False)


@pytest.mark.django_db
def test_affordable_minutes_count_the_balance_and_the_tightest_limit():
    client = UserFactory()
    fund_wallet(client, 1_000)
    assert sales.affordable_units(client, 399) == 2
    services.set_spending_limits(client, daily=500)
    assert sales.affordable_units(client, 200) == 2
    with pytest.raises(ValueError):
        sales.affordable_units(client, 0)


# The sale path: purchases, charges, reservations and the batch ----------------------------------


def _purchase(client, seller, *, kind=sales.SaleKind.MESSAGE, share=70, reference=None):
    return sales.open_purchase(
        client=client,
        seller=seller,
        kind=kind,
        reference=reference or f"test:{client.pk}:{seller.pk if seller else 'platform'}:{kind}",
        description="Message reading with Aurora",
        share_percent=share,
    )


def _balances(*users):
    from wallet.models import LedgerAccount

    platform = services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    return (
        *(
            services.wallet_of(user).balance if i == 0 else services.earnings_of(user).balance
            for i, user in enumerate(users)
        ),
        LedgerAccount.objects.get(pk=platform.pk).balance,
    )


@pytest.mark.django_db
def test_opening_a_purchase_twice_returns_the_first_and_makes_its_accounts():
    client, reader = UserFactory(), UserFactory()
    first = _purchase(client, reader)
    again = sales.open_purchase(
        client=client,
        seller=reader,
        kind=sales.SaleKind.MESSAGE,
        reference=first.reference,
        description="something else",
        share_percent=10,
    )
    assert again.pk == first.pk and again.reader_share_percent == 70
    assert services.wallet_of(client).pk and services.earnings_of(reader).pk


@pytest.mark.django_db
def test_a_platform_sale_pays_the_reader_nothing():
    client = UserFactory()
    purchase = _purchase(client, None, kind=sales.SaleKind.ORDER, share=90)
    assert purchase.reader_share_percent == 0


@pytest.mark.django_db
def test_a_charge_splits_once_attaches_to_its_purchase_and_is_audited():
    from home.models import AuditEvent

    client, reader = UserFactory(), UserFactory()
    fund_wallet(client, 1_000)
    purchase = _purchase(client, reader)
    before = _balances(client, reader)
    transfer = sales.charge(purchase, 399, idempotency_key="message:1")
    assert transfer.purchase_id == purchase.pk and transfer.kind == "message"
    after = _balances(client, reader)
    assert [a - b for a, b in zip(after, before, strict=True)] == [-399, 279, 120]
    again = sales.charge(purchase, 399, idempotency_key="message:1")
    assert again.replayed and _balances(client, reader) == after
    assert AuditEvent.objects.filter(action="wallet.sale_charged").count() == 1


@pytest.mark.django_db
def test_a_charge_the_wallet_cannot_pay_is_refused_and_writes_nothing():
    client, reader = UserFactory(), UserFactory()
    fund_wallet(client, 100)
    purchase = _purchase(client, reader)
    with pytest.raises(InsufficientFunds):
        sales.charge(purchase, 101, idempotency_key="message:2")
    assert not purchase.transfers.exists()
    services.set_spending_limits(client, daily=50)
    with pytest.raises(SpendingLimitReached):
        sales.charge(purchase, 60, idempotency_key="message:3")
    assert not purchase.transfers.exists()


@pytest.mark.django_db
def test_a_reservation_is_captured_in_part_and_the_rest_goes_back():
    from wallet.errors import HoldAlreadyResolved

    client, reader = UserFactory(), UserFactory()
    fund_wallet(client, 1_000)
    purchase = _purchase(client, reader, kind=sales.SaleKind.BOOKING)
    held = sales.reserve(purchase, 600, idempotency_key="booking:1:hold")
    assert services.wallet_of(client).balance == 400
    before = _balances(client, reader)
    assert sales.capture(purchase, held, 250) == 175
    after = _balances(client, reader)
    assert [a - b for a, b in zip(after, before, strict=True)] == [350, 175, 75]
    assert purchase.transfers.count() == 2  # the hold and its resolution
    with pytest.raises(HoldAlreadyResolved):
        sales.capture(purchase, held, 100)
    with pytest.raises(HoldAlreadyResolved):
        sales.release(purchase, held)


@pytest.mark.django_db
def test_a_released_reservation_gives_everything_back():
    client, reader = UserFactory(), UserFactory()
    fund_wallet(client, 1_000)
    purchase = _purchase(client, reader, kind=sales.SaleKind.BOOKING)
    held = sales.reserve(purchase, 600, idempotency_key="booking:2:hold")
    sales.release(purchase, held)
    assert services.wallet_of(client).balance == 1_000
    assert services.earnings_of(reader).balance == 0


@pytest.mark.django_db
def test_a_capture_cannot_take_more_than_was_reserved_nor_another_purchases_hold():
    from wallet.errors import InvalidAmount

    client, reader = UserFactory(), UserFactory()
    fund_wallet(client, 1_000)
    purchase = _purchase(client, reader, kind=sales.SaleKind.BOOKING)
    other = _purchase(client, reader, kind=sales.SaleKind.TICKET)
    held = sales.reserve(purchase, 300, idempotency_key="booking:3:hold")
    with pytest.raises(InvalidAmount):
        sales.capture(purchase, held, 301)
    with pytest.raises(ValueError):
        sales.capture(other, held, 100)
    assert services.wallet_of(client).balance == 700


@pytest.mark.django_db
def test_a_batch_pays_each_purchase_in_order_until_its_wallet_runs_out():
    from django.db import transaction

    rich, poor, limited, reader = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    fund_wallet(rich, 1_000)
    fund_wallet(poor, 250)
    fund_wallet(limited, 1_000)
    services.set_spending_limits(limited, daily=200)
    purchases = {
        user: _purchase(user, reader, kind=sales.SaleKind.READING) for user in (rich, poor, limited)
    }
    charges = [
        sales.Charge(purchase_id=purchases[user].pk, gross=100, idempotency_key=f"{user.pk}:{n}")
        for n in range(3)
        for user in (rich, poor, limited)
    ]
    with transaction.atomic():
        result = sales.charge_batch(charges)
    assert result.refused == {
        purchases[poor].pk: "insufficient_funds",
        purchases[limited].pk: "spending_limit",
    }
    assert [purchases[u].transfers.count() for u in (rich, poor, limited)] == [3, 2, 2]
    assert result.balances == {rich.pk: 700, poor.pk: 50, limited.pk: 800}
    assert services.earnings_of(reader).balance == 7 * 70
    with transaction.atomic():
        again = sales.charge_batch(charges[:3])
    assert again.transfers == {
        c.idempotency_key: result.transfers[c.idempotency_key] for c in charges[:3]
    }
    assert services.wallet_of(rich).balance == 700


@pytest.mark.django_db(transaction=True)
def test_a_batch_needs_the_callers_transaction():
    client, reader = UserFactory(), UserFactory()
    purchase = _purchase(client, reader, kind=sales.SaleKind.READING)
    with pytest.raises(RuntimeError):
        sales.charge_batch([sales.Charge(purchase_id=purchase.pk, gross=1, idempotency_key="k")])


@pytest.mark.django_db
def test_a_sale_of_several_readers_things_pays_each_their_share_and_the_platform_the_rest():
    client, luna, aurora = UserFactory(), UserFactory(), UserFactory()
    fund_wallet(client, 10_000)
    order = _purchase(client, None, kind=sales.SaleKind.ORDER)
    before = _balances(client, luna, aurora)
    sales.charge(
        order,
        5_000,
        idempotency_key="order:1",
        parts=[sales.Part(luna, 1_999, 70), sales.Part(aurora, 1_000, 50)],
    )
    after = _balances(client, luna, aurora)
    # Luna 1,999 * 70% = 1,399 (rounded down), Aurora 500, the platform the remaining 3,101.
    assert [a - b for a, b in zip(after, before, strict=True)] == [-5_000, 1_399, 500, 3_101]


@pytest.mark.django_db
def test_parts_worth_more_than_the_sale_are_refused():
    from wallet.errors import InvalidAmount

    client, luna = UserFactory(), UserFactory()
    fund_wallet(client, 10_000)
    order = _purchase(client, None, kind=sales.SaleKind.ORDER)
    with pytest.raises(InvalidAmount):
        sales.charge(order, 100, idempotency_key="order:2", parts=[sales.Part(luna, 101, 70)])
    assert services.wallet_of(client).balance == 10_000
