"""Per-minute billing: the written rule (per started minute, prepaid), the split, free minutes,
pauses, catch-up after an outage, low balance and the automatic end."""

import pytest
from django.db import connection

from readings import billing, services
from readings.models import BilledMinute, ReadingSession
from readings.tests.events_helpers import Listener
from readings.tests.factories import active_session, make_client, make_reader, shift_back
from wallet import services as wallet
from wallet.models import Entry, LedgerAccount, Transfer

pytestmark = pytest.mark.django_db


def balance(user):
    return wallet.wallet_of(user).balance


def earnings(user):
    return wallet.earnings_of(user).balance


def paid_session(balance_cents=10_000, rate=300, **kwargs):
    reader = make_reader(chat=rate)
    client = make_client(balance=balance_cents)
    session = active_session(client, reader, free_minutes=kwargs.pop("free_minutes", 0))
    return session, client, reader


def test_a_minute_is_charged_when_it_starts_and_a_sweep_twice_is_a_no_op():
    session, client, _reader = paid_session()
    assert billing.charge_due_minutes()["minutes"] == 0  # minute 0 was charged by start

    shift_back(session, 61)
    first = billing.charge_due_minutes()
    second = billing.charge_due_minutes()

    assert first["minutes"] == 1 and first["paid_minutes"] == 1
    assert second["minutes"] == 0
    session.refresh_from_db()
    assert session.billed_minutes == 2 and session.total_cents == 600
    assert balance(client) == 10_000 - 600
    keys = set(Transfer.objects.filter(kind="reading").values_list("idempotency_key", flat=True))
    assert keys == {f"reading:{session.pk}:minute:0", f"reading:{session.pk}:minute:1"}


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 1), (30, 1), (59, 1), (61, 2), (125, 3)])
def test_ending_mid_minute_charges_nothing_more_than_the_started_minutes(seconds, minutes):
    session, client, _reader = paid_session()
    shift_back(session, seconds)

    services.end(session, client)

    assert session.state == "ended"
    assert session.billed_minutes == minutes
    assert session.total_cents == 300 * minutes
    assert balance(client) == 10_000 - 300 * minutes
    assert services.summary(session)["paid_minutes"] == minutes


def test_split_gives_the_reader_the_rounded_down_share_and_the_platform_the_rest():
    session, client, reader = paid_session(rate=299)
    platform = wallet.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)

    minute_zero = Transfer.objects.get(idempotency_key=f"reading:{session.pk}:minute:0")
    legs = dict(Entry.objects.filter(transfer=minute_zero).values_list("account_id", "amount"))

    assert legs == {
        wallet.wallet_of(client).pk: -299,
        wallet.earnings_of(reader.user).pk: 209,  # 299 * 70 // 100
        platform.pk: 90,
    }
    assert minute_zero.kind == "reading"
    assert minute_zero.metadata["reading"] == str(session.public_id)
    assert BilledMinute.objects.get(session=session).transfer == minute_zero


def test_free_intro_minutes_are_not_charged_and_paid_time_is_announced():
    session, client, _reader = paid_session(free_minutes=3)
    listener = Listener(session.group_name)
    assert session.billed_minutes == 1 and session.total_cents == 0

    shift_back(session, 185)
    with_callbacks(billing.charge_due_minutes)

    session.refresh_from_db()
    assert session.billed_minutes == 4 and session.paid_minutes == 1
    assert session.total_cents == 300
    assert balance(client) == 10_000 - 300
    assert BilledMinute.objects.filter(session=session, amount_cents=0).count() == 3
    names = listener.names()
    assert "free_time_over" in names and "billing_tick" in names


def test_paused_time_is_never_billed():
    session, client, _reader = paid_session()
    shift_back(session, 30)  # 30 s served in minute 0
    services.pause(session, client)
    shift_back(session, 240)  # four minutes disconnected
    assert billing.charge_due_minutes()["minutes"] == 0

    services.resume(session, client)
    assert billing.charge_due_minutes()["minutes"] == 0  # still 30 s served
    shift_back(session, 31)  # 61 s served: minute 1 starts
    assert billing.charge_due_minutes()["minutes"] == 1

    session.refresh_from_db()
    assert session.billed_minutes == 2
    assert balance(client) == 10_000 - 600
    assert session.paused_total.total_seconds() >= 240


def test_catch_up_after_a_three_minute_outage_bills_exactly_the_elapsed_minutes():
    session, client, _reader = paid_session()

    shift_back(session, 180)
    totals = billing.charge_due_minutes()

    session.refresh_from_db()
    assert totals["minutes"] == 3  # minutes 1, 2 and 3 started during the outage
    assert session.billed_minutes == 4
    assert sorted(session.minutes.values_list("minute_index", flat=True)) == [0, 1, 2, 3]
    assert balance(client) == 10_000 - 1_200


def test_catch_up_never_charges_more_than_the_balance_and_ends_the_reading():
    session, client, _reader = paid_session(balance_cents=900)  # minute 0 + two more

    shift_back(session, 180)
    totals = with_callbacks(billing.charge_due_minutes)

    session.refresh_from_db()
    assert totals["minutes"] == 2 and totals["ended"] == 1
    assert session.state == "ended" and session.end_reason == "insufficient_funds"
    assert session.billed_minutes == 3 and session.total_cents == 900
    assert balance(client) == 0


def test_auto_end_at_zero_tells_both_sides():
    session, client, reader = paid_session(balance_cents=300)
    assert balance(client) == 0
    listener = Listener(session.group_name)

    shift_back(session, 60)
    with_callbacks(billing.charge_due_minutes)

    session.refresh_from_db()
    assert session.state == "ended" and session.end_reason == "insufficient_funds"
    assert session.total_cents == 300
    messages = listener.drain()
    ended = next(m for m in messages if m["event"] == "ended")
    assert ended["reason"] == "insufficient_funds"
    assert ended["summary"]["total_cents"] == 300
    reader.refresh_from_db()
    assert reader.presence == "online"


def test_low_balance_is_announced_once_when_under_two_paid_minutes_remain():
    session, client, _reader = paid_session(balance_cents=1_200)  # 900 left after minute 0
    listener = Listener(session.group_name)

    shift_back(session, 60)
    with_callbacks(billing.charge_due_minutes)  # 600 left: two minutes, no warning
    assert "low_balance" not in listener.names()
    shift_back(session, 60)
    with_callbacks(billing.charge_due_minutes)  # 300 left: one minute
    low = [m for m in listener.drain() if m["event"] == "low_balance"]
    shift_back(session, 1)
    with_callbacks(billing.charge_due_minutes)

    assert len(low) == 1 and low[0]["minutes_left"] == 1 and low[0]["balance_cents"] == 300
    assert "low_balance" not in listener.names()


def test_a_top_up_during_the_reading_keeps_it_going():
    from wallet.tests.factories import fund_wallet

    session, client, _reader = paid_session(balance_cents=300)
    fund_wallet(client, 600)

    shift_back(session, 60)
    billing.charge_due_minutes()

    session.refresh_from_db()
    assert session.state == "active" and session.billed_minutes == 2


def test_nothing_is_billed_after_the_end():
    session, client, _reader = paid_session()
    services.end(session, client)

    shift_back(session, 600)
    assert billing.charge_due_minutes()["minutes"] == 0

    session.refresh_from_db()
    assert session.billed_minutes == 1
    assert not session.minutes.filter(billed_at__gt=session.ended_at).exists()


def test_ending_twice_bills_once():
    from readings.errors import IllegalTransition

    session, client, reader = paid_session()
    shift_back(session, 70)
    services.end(session, client)
    with pytest.raises(IllegalTransition):
        services.end(session, reader.user)
    assert session.minutes.count() == 2
    assert balance(client) == 10_000 - 600


def test_a_reconnect_grace_that_runs_out_ends_the_reading(settings):
    session, client, _reader = paid_session()
    services.pause(session, client)
    assert services.end_stale_paused() == 0

    shift_back(session, 301)
    assert services.end_stale_paused() == 1

    session.refresh_from_db()
    assert session.state == "ended" and session.end_reason == "disconnected"
    assert session.billed_minutes == 1


def test_a_spending_limit_reached_mid_reading_ends_it():
    session, client, _reader = paid_session()
    wallet.set_spending_limits(client, daily=600)  # minute 0 (300) + one more

    shift_back(session, 180)
    billing.charge_due_minutes()

    session.refresh_from_db()
    assert session.state == "ended" and session.end_reason == "spending_limit"
    assert session.total_cents == 600
    assert balance(client) == 10_000 - 600


def test_a_beat_run_through_celery_bills_like_a_direct_call(settings):
    # CELERY_TASK_ALWAYS_EAGER runs .delay() in this process and this database transaction:
    # the test checks the task wiring (name, import, return value), not the worker itself.
    from readings.tasks import charge_due_minutes

    settings.CELERY_TASK_ALWAYS_EAGER = True
    from soulseer.celery import app

    app.conf.task_always_eager = True
    try:
        session, client, _reader = paid_session()
        shift_back(session, 61)
        result = charge_due_minutes.delay()
    finally:
        app.conf.task_always_eager = False

    assert result.get()["minutes"] == 1
    assert balance(client) == 10_000 - 600
    assert "readings.tasks.charge_due_minutes" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_the_ledger_stays_balanced_after_a_sweep():
    for _ in range(3):
        session, _client, _reader = paid_session()
        shift_back(session, 130)
    billing.charge_due_minutes()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT transfer_id FROM wallet_entry GROUP BY transfer_id "
            "HAVING sum(amount) <> 0) AS unbalanced"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM wallet_ledgeraccount a WHERE balance <> "
            "(SELECT COALESCE(sum(amount), 0) FROM wallet_entry e WHERE e.account_id = a.id)"
        )
        assert cursor.fetchone()[0] == 0
    assert ReadingSession.objects.filter(billed_minutes=3).count() == 3


def with_callbacks(function):
    """Run ``function`` and the on-commit callbacks it queued (the test transaction never
    commits)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return function()
