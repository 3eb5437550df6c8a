"""A sweep's live events: sent after each batch commits, from one background thread, in order
within a room, all of them before ``charge_due_minutes`` returns."""

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from readings import billing, events, metering
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

    monkeypatch.setattr(metering, "_update_sessions", fail)
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


def test_pipelined_sending_delivers_to_every_member_in_room_order(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": f"test-{uuid.uuid4().hex}"},
        }
    }
    layer = get_channel_layer()

    async def join():
        both, only_a = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("reading_a", both)
        await layer.group_add("reading_a", only_a)
        await layer.group_add("reading_b", both)
        return both, only_a

    both, only_a = async_to_sync(join)()
    items = [
        ("reading_a", events.message("a", "billing_tick", {"n": 1})),
        ("reading_b", events.message("b", "billing_tick", {"n": 1})),
        ("reading_nobody", events.message("c", "billing_tick", {"n": 1})),
        ("reading_a", events.message("a", "low_balance", {"n": 2})),
        ("reading_a", events.message("a", "ended", {"n": 3})),
    ]
    try:
        billing.send_pipelined(items)

        async def receive_all():
            # One event loop for all receives (the layer buffers per loop).
            got_both = [await layer.receive(both) for _ in range(4)]
            return got_both, [await layer.receive(only_a) for _ in range(3)]

        got_both, got_a = async_to_sync(receive_all)()
        got_both = [(m["session"], m["event"]) for m in got_both]
        got_a = [(m["session"], m["event"]) for m in got_a]
        room_a = [("a", "billing_tick"), ("a", "low_balance"), ("a", "ended")]
        assert got_a == room_a
        assert [m for m in got_both if m[0] == "a"] == room_a
        assert ("b", "billing_tick") in got_both
    finally:
        async_to_sync(layer.flush)()
