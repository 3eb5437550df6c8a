"""Billing under concurrency, on real PostgreSQL with real threads (own connections)."""

import threading
import time

import pytest
from django.db import connection, transaction

from readings import billing, services
from readings.models import BilledMinute, ReadingSession
from readings.tests.factories import active_session, make_client, make_reader, shift_back
from wallet import services as wallet
from wallet.models import Transfer

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*functions):
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), []

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # noqa: BLE001 — reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_two_concurrent_sweeps_bill_each_minute_once():
    sessions = []
    for _ in range(12):
        session = active_session(make_client(balance=10_000), make_reader(chat=300), free_minutes=0)
        sessions.append(shift_back(session, 125))  # minutes 1 and 2 are due

    first, second = run_together(
        lambda: billing.charge_due_minutes(batch_size=2),
        lambda: billing.charge_due_minutes(batch_size=2),
    )

    assert first["minutes"] + second["minutes"] == 24
    assert BilledMinute.objects.count() == 36
    assert Transfer.objects.filter(kind="reading").count() == 36
    for session in sessions:
        session.refresh_from_db()
        assert session.billed_minutes == 3
        assert wallet.wallet_of(session.client).balance == 10_000 - 900
    assert billing.charge_due_minutes()["minutes"] == 0


def test_ending_racing_a_sweep_bills_the_last_minute_at_most_once():
    for _ in range(4):
        client = make_client(balance=10_000)
        session = active_session(client, make_reader(chat=300), free_minutes=0)
        shift_back(session, 61)  # minute 1 just started

        run_together(billing.charge_due_minutes, lambda: services.end(session, client))

        session.refresh_from_db()
        assert session.state == "ended"
        assert session.billed_minutes == 2 and session.total_cents == 600
        assert wallet.wallet_of(client).balance == 10_000 - 600
        assert not session.minutes.filter(billed_at__gt=session.ended_at).exists()


def test_a_sweep_skips_a_session_being_ended_and_bills_nothing_after_the_end():
    client = make_client(balance=10_000)
    session = active_session(client, make_reader(chat=300), free_minutes=0)
    shift_back(session, 61)
    ending_holds_lock = threading.Event()
    sweep_done = threading.Event()

    def end_slowly():
        with transaction.atomic():
            services.end(session, client)
            ending_holds_lock.set()
            sweep_done.wait(5)
            time.sleep(0.1)

    def sweep():
        ending_holds_lock.wait(5)
        try:
            return billing.charge_due_minutes()
        finally:
            sweep_done.set()

    _ended, swept = run_together(end_slowly, sweep)

    assert swept["minutes"] == 0  # the locked session was skipped, not waited for
    session.refresh_from_db()
    assert session.billed_minutes == 2
    assert billing.charge_due_minutes()["minutes"] == 0
    assert ReadingSession.objects.get(pk=session.pk).total_cents == 600
