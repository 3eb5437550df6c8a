"""Live events of a reading, sent to the Channels group ``reading_<public_id>`` after commit.

Every event is one ``group_send`` message::

    {"type": "reading.event", "event": <name>, "session": "<public_id>", **payload}

The WebSocket consumer relays it to the browser (handler method ``reading_event``). Names:

- ``state``          any state change: ``state``, ``previous``, ``actor`` ("client"/"reader"/
                     "system"), ``reason`` (may be "").
- ``billing_tick``   a minute was accounted for: ``billed_minutes``, ``paid_minutes``,
                     ``total_cents``, ``balance_cents`` (client wallet after the charge),
                     ``minutes_left`` (whole paid minutes the balance still covers).
- ``free_time_over`` the free intro minutes are used up; paid time starts: ``rate_cents``.
- ``low_balance``    fewer than two paid minutes remain: ``balance_cents``, ``minutes_left``.
                     Sent once per reading (again after a top-up lifted the balance).
- ``ended``          the reading is over: ``reason`` plus the summary (``summary()`` in
                     ``readings.services``): duration, minutes, cost.
- ``offer``          queue: a reader became free and this client is first in line. Sent to the
                     group ``reading_queue_<client user id>``: ``reader_id``, ``expires_at``.

Nothing is ever sent before the transaction that caused it commits; a rolled-back change sends
nothing.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

SEND_CONCURRENCY = 50  # below channels_redis's connection pool size (100)
EVENT_NAMES = ("state", "billing_tick", "free_time_over", "low_balance", "ended", "offer")


def group_for(session):
    return f"reading_{session.public_id}"


def queue_group_for(user_id):
    return f"reading_queue_{user_id}"


def message(session_public_id, event_type, payload):
    return {
        "type": "reading.event",
        "event": event_type,
        "session": str(session_public_id),
        **payload,
    }


def notify(session, event_type, payload=None):
    """Send ``event_type`` to the session's group once the current transaction commits."""
    notify_many([(group_for(session), message(session.public_id, event_type, payload or {}))])


def notify_many(items):
    """Send many ``(group, message)`` pairs after commit, in one event-loop round trip."""
    if not items:
        return
    items = list(items)
    transaction.on_commit(lambda: send_now(items))


def send_now(items):
    layer = get_channel_layer()
    if layer is None:
        return

    # Events of one room keep their order (a room must see "free time over" before the tick that
    # follows it); different rooms are sent concurrently, in chunks: a sweep's thousands of events
    # are round trips to Redis, and one at a time they would cost more than the billing itself.
    by_group = {}
    for group, msg in items:
        by_group.setdefault(group, []).append(msg)

    async def send_in_order(group, messages):
        for msg in messages:
            await layer.group_send(group, msg)

    async def send_all():
        groups = list(by_group.items())
        for start in range(0, len(groups), SEND_CONCURRENCY):
            chunk = groups[start : start + SEND_CONCURRENCY]
            await asyncio.gather(*(send_in_order(group, msgs) for group, msgs in chunk))

    try:
        async_to_sync(send_all)()
    except Exception:  # noqa: BLE001 — live events are best effort; the money is committed
        logger.exception("could not send %d reading events", len(items))
