"""Client spending limits: enforced inside transfer(), lowered at once, raised after a delay."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from wallet import services
from wallet.errors import SpendingLimitReached
from wallet.models import LedgerAccount, Transfer
from wallet.tests.factories import fund_wallet, spend

pytestmark = pytest.mark.django_db


def balance_of(user):
    return LedgerAccount.objects.get(owner=user, kind=LedgerAccount.Kind.CLIENT_WALLET).balance


def test_spending_without_limits_is_not_restricted():
    client = UserFactory()
    fund_wallet(client, 10_000)
    spend(client, 9_000)
    assert balance_of(client) == 1_000


def test_a_daily_limit_refuses_the_payment_that_would_cross_it_and_writes_nothing():
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=1_000)
    spend(client, 600)
    transfers_before = Transfer.objects.count()
    with pytest.raises(SpendingLimitReached) as excinfo:
        spend(client, 500)
    message = str(excinfo.value)
    assert "daily spending limit of $10.00" in message
    assert "$4.00 left today" in message
    assert excinfo.value.period == "daily" and excinfo.value.remaining == 400
    assert balance_of(client) == 9_400
    assert Transfer.objects.count() == transfers_before
    spend(client, 400)  # exactly up to the limit is fine
    assert balance_of(client) == 9_000


def test_weekly_and_monthly_limits_are_checked_too():
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, weekly=3_000, monthly=2_000)
    spend(client, 1_500)
    with pytest.raises(SpendingLimitReached) as excinfo:
        spend(client, 600)
    assert excinfo.value.period == "monthly"


def test_holds_count_while_pending_and_stop_counting_when_voided():
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=1_000)
    reservation = services.hold(client, 800, idempotency_key="booking:1", description="Booking")
    with pytest.raises(SpendingLimitReached):
        spend(client, 300)
    services.void_hold(reservation)
    spend(client, 300)


def test_a_posted_hold_counts_only_what_was_charged():
    client, reader = UserFactory(), UserFactory(reader=True)
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=1_000)
    reservation = services.hold(client, 800, idempotency_key="booking:2", description="Booking")
    services.post_hold(reservation, [services.Leg(services.earnings_of(reader), 200)])
    spend(client, 800)
    with pytest.raises(SpendingLimitReached):
        spend(client, 1)


def test_top_ups_refunds_and_replays_are_never_refused():
    client = UserFactory()
    fund_wallet(client, 10_000)
    spend(client, 900, key="order:replayed")
    services.set_spending_limits(client, daily=1_000)
    # Money coming in is not spending.
    fund_wallet(client, 5_000)
    # Repeating an already-made payment returns it instead of refusing it.
    assert spend(client, 900, key="order:replayed").replayed is True
    with pytest.raises(SpendingLimitReached):
        spend(client, 200)


def test_spending_older_than_a_window_stops_counting_for_that_window(monkeypatch):
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=1_000, weekly=1_500)
    spend(client, 1_000)
    later = timezone.now() + timedelta(hours=25)
    monkeypatch.setattr(services.timezone, "now", lambda: later)
    spend(client, 500)  # yesterday's 1,000 no longer counts today...
    with pytest.raises(SpendingLimitReached) as excinfo:
        spend(client, 1)
    assert excinfo.value.period == "weekly"  # ...but still counts this week


def test_lowering_a_limit_applies_at_once_but_raising_it_waits_a_day(monkeypatch):
    client = UserFactory()
    fund_wallet(client, 10_000)
    limit = services.set_spending_limits(client, daily=2_000)
    assert limit.applied_now == {"daily": 2_000}
    limit = services.set_spending_limits(client, daily=500)
    assert limit.daily == 500 and not limit.pending
    limit = services.set_spending_limits(client, daily=5_000)
    assert limit.delayed == {"daily": 5_000}
    assert limit.daily == 500
    with pytest.raises(SpendingLimitReached):
        spend(client, 600)
    later = timezone.now() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(services.timezone, "now", lambda: later)
    spend(client, 600)


def test_removing_a_limit_is_an_increase_and_is_delayed(monkeypatch):
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=500)
    limit = services.set_spending_limits(client, daily=None)
    assert limit.delayed == {"daily": None}
    with pytest.raises(SpendingLimitReached):
        spend(client, 600)
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(services.timezone, "now", lambda: later)
    spend(client, 600)
    limit = services.set_spending_limits(client, daily=None)
    limit.refresh_from_db()
    assert limit.daily is None and limit.pending == {}


def test_asking_for_the_current_limit_again_cancels_a_pending_increase():
    client = UserFactory()
    services.set_spending_limits(client, daily=500)
    services.set_spending_limits(client, daily=900)
    limit = services.set_spending_limits(client, daily=500)
    assert limit.pending == {} and limit.pending_effective_at is None


def test_a_user_without_limits_costs_no_extra_statement():
    client = UserFactory()
    fund_wallet(client, 10_000)
    wallet = services.wallet_of(client)
    revenue = services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)

    def queries_for(kind, key):
        with CaptureQueriesContext(connection) as captured:
            services.transfer(
                [services.Leg(wallet, -100), services.Leg(revenue, 100)],
                idempotency_key=key,
                kind=kind,
            )
        return [query["sql"] for query in captured.captured_queries]

    not_spending = queries_for(Transfer.Kind.ADJUSTMENT, "adjust")
    spending = queries_for(Transfer.Kind.PURCHASE, "buy")
    # The limit lookup rides in the transfer's own statement (one round trip either way).
    assert len(spending) == len(not_spending)
    assert sum("INSERT INTO wallet_transfer" in sql for sql in spending) == 1
    assert any("wallet_spendinglimit" in sql for sql in spending)
    assert not any("FOR UPDATE" in sql for sql in spending)


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_cannot_both_squeeze_under_the_limit():
    client = UserFactory()
    fund_wallet(client, 10_000)
    services.set_spending_limits(client, daily=1_000)
    services.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    barrier = threading.Barrier(4)
    results = []

    def pay(index):
        try:
            barrier.wait()
            spend(client, 600, key=f"race:{index}")
            results.append("paid")
        except SpendingLimitReached:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["paid", "refused", "refused", "refused"]
    assert balance_of(client) == 9_400
