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
