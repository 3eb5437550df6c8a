"""A sweep's live events: sent after each batch commits, from one background thread, in order
within a room, all of them before ``charge_due_minutes`` returns."""

import pytest

from readings import billing, events
from readings.tests.events_helpers import Listener
from readings.tests.factories import active_session, make_client, make_reader, shift_back

pytestmark = pytest.mark.django_db(transaction=True)


def session_with(balance_cents, free_minutes=0, rate=300):
    reader = make_reader(chat=rate)
    client = make_client(balance=balance_cents)
    return active_session(client, reader, free_minutes=free_minutes)


def test_every_batch_sends_its_events_in_room_order_before_the_sweep_returns():
    paying = session_with(10_000)
    after_free = session_with(10_000, free_minutes=1)
    running_out = session_with(600)  # minute 0 paid; 300 left: minute 1 paid, minute 2 not
    listeners = {s.pk: Listener(s.group_name) for s in (paying, after_free, running_out)}
    for session in (paying, after_free, running_out):
        shift_back(session, 125)

    totals = billing.charge_due_minutes(batch_size=1)  # three batches, three commits

    assert totals["batches"] == 3 and totals["ended"] == 1
    names = {pk: listener.names() for pk, listener in listeners.items()}
    assert names[paying.pk].count("billing_tick") == 1
    assert {"free_time_over", "billing_tick"} <= set(names[after_free.pk])
    ending = names[running_out.pk]
    assert ending.index("billing_tick") < ending.index("ended")


def test_a_rolled_back_batch_sends_nothing(monkeypatch):
    session = session_with(10_000)
    listener = Listener(session.group_name)
    shift_back(session, 61)

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(billing, "_update_sessions", fail)
    with pytest.raises(RuntimeError):
        billing.charge_due_minutes()
    assert listener.names() == []
    monkeypatch.undo()
    assert billing.charge_due_minutes()["paid_minutes"] == 1
    assert "billing_tick" in listener.names()


def test_the_sender_keeps_order_and_close_waits_for_everything(monkeypatch):
    sent = []
    monkeypatch.setattr(events, "send_now", lambda items: sent.extend(items))
    sender = billing._EventSender()
    for n in range(50):
        sender._submit([("room", n)])
    sender.close()
    assert sent == [("room", n) for n in range(50)]
    sender._submit([("room", "late")])  # after close: sent at once, not lost
    assert sent[-1] == ("room", "late")
