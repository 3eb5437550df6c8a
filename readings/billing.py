"""The per-minute billing sweep of live readings.

``charge_due_minutes()`` (Celery beat, every ~10 s) takes active sessions whose next minute has
started by database time (``next_minute_at <= clock_timestamp()``, read once per sweep from the
partial index of active sessions) in batches locked ``FOR UPDATE SKIP LOCKED`` (two sweeps never
bill the same session; a session being ended or paused is skipped and billed by that service
instead) and bills each batch in one transaction (``services.bill_and_end``: the minutes through
``readings.metering`` and the wallet's sale path, then the sessions that could not pay end).
Live events go out after each batch commits, from one background thread (``_EventSender``),
batched per Redis host (``send_pipelined``).

The billing rule (per started minute, prepaid) is written down in ``readings.services``.
"""

import logging
import queue
import threading
import time

from asgiref.sync import async_to_sync
from django.db import transaction

from soulseer.db import bulk_cursor

from . import events, services

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000


def charge_due_minutes(batch_size=DEFAULT_BATCH_SIZE, max_batches=None):
    """Bill every minute that is due for every active session. Safe to run concurrently and
    repeatedly (a second run finds nothing due). Returns a dict of counts once the live events
    of every batch have been sent."""
    totals = {"sessions": 0, "minutes": 0, "paid_minutes": 0, "ended": 0, "batches": 0}
    cursor = bulk_cursor()
    # The sessions due when the sweep starts are its work (one that falls due meanwhile waits
    # for the next sweep): read once, oldest first, from the partial index of active sessions
    # (next_minute_at is not indexed, so the per-minute update stays in place, see migration
    # readings 0005), then locked and billed a batch at a time, each up to the database time
    # of its lock. A session another sweep (or an end or a pause) holds is skipped; one billed
    # or ended meanwhile no longer matches.
    cursor.execute(
        """
        SELECT id FROM readings_readingsession
        WHERE state = 'active' AND next_minute_at <= (SELECT clock_timestamp())
        ORDER BY next_minute_at, id
        """
    )
    due = [row[0] for row in cursor.fetchall()]
    sender = _EventSender()
    try:
        for start in range(0, len(due), batch_size):
            if max_batches is not None and totals["batches"] >= max_batches:
                break
            with transaction.atomic():
                # Each statement of a batch touches a few thousand rows found by key among
                # millions (sessions, accounts, users). Given a 5,000-element array the planner
                # hashes the whole other table instead (a sequential scan per statement: the
                # sweep then grows with every session and account ever created); per-key index
                # lookups are what every statement here needs, whatever the table size.
                cursor.execute("SET LOCAL enable_hashjoin = off")
                cursor.execute("SET LOCAL enable_mergejoin = off")
                cursor.execute(
                    """
                    SELECT s.id, clock_timestamp()
                    FROM unnest(%b::bigint[]) AS wanted(id)
                    JOIN readings_readingsession s ON s.id = wanted.id
                    WHERE s.state = 'active' AND s.next_minute_at <= clock_timestamp()
                    FOR UPDATE OF s SKIP LOCKED
                    """,
                    [due[start : start + batch_size]],
                )
                rows = cursor.fetchall()
                if not rows:
                    continue
                ids = [row[0] for row in rows]
                at = max(row[1] for row in rows)
                result = services.bill_and_end(ids, at, sender=sender)
            totals["batches"] += 1
            for key in ("sessions", "minutes", "paid_minutes", "ended"):
                totals[key] += result[key]
    finally:
        sender.close()
    return totals


class _EventSender:
    """Sends a sweep's live events from one background thread, after each batch commits, while
    the sweep bills the next batch (the sends are Redis round trips, the billing is database
    round trips: they overlap). One thread and a FIFO queue: a room's events keep their order.
    ``close()`` waits until everything queued is sent."""

    def __init__(self):
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._closed = False

    def after_commit(self, items):
        if items:
            transaction.on_commit(lambda: self._submit(items))

    def _submit(self, items):
        if self._closed:
            # Committed after the sweep ended (an outer transaction, as in tests): send now.
            send_pipelined(items)
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="billing-events", daemon=True)
            self._thread.start()
        self._queue.put(items)

    def _run(self):
        while (items := self._queue.get()) is not None:
            send_pipelined(items)

    def close(self):
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None


# channels_redis 4.3's RedisChannelLayer.group_send, for many groups and messages per script
# call instead of two or three Redis commands (and a Python encoding of each) per message.
#
# 1. Every group's live members, expired ones dropped first. KEYS: group keys; ARGV[1]: the
#    expiry cutoff (group_send's ZREMRANGEBYSCORE, then ZRANGE).
_GROUP_MEMBERS_LUA = """
    local members = {}
    for i = 1, #KEYS do
        redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, ARGV[1])
        members[i] = redis.call('ZRANGE', KEYS[i], 0, -1)
    end
    return members
"""
# 2. Deliveries in order, each as group_send makes it: drop the channel's messages older than
#    the expiry, then add the message if the channel is under capacity. KEYS: one channel key
#    per delivery; ARGV: the expiry in seconds, then per delivery its message, the channel's
#    capacity and its score (send time).
_DELIVER_LUA = """
    local over_capacity = 0
    for i = 1, #KEYS do
        local at = 2 + (i - 1) * 3
        local expired = math.floor(tonumber(ARGV[at + 2])) - tonumber(ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, expired)
        if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[at + 1]) then
            redis.call('ZADD', KEYS[i], ARGV[at + 2], ARGV[at])
            redis.call('EXPIRE', KEYS[i], ARGV[1])
        else
            over_capacity = over_capacity + 1
        end
    end
    return over_capacity
"""
# Keys per script call: a script blocks the Redis server while it runs (a few ms at this size).
_KEYS_PER_SCRIPT = 1000


def _script_chunks(items):
    return [items[i : i + _KEYS_PER_SCRIPT] for i in range(0, len(items), _KEYS_PER_SCRIPT)]


def send_pipelined(items):
    """Send ``(group, message)`` pairs like ``events.send_now`` (the same Redis commands as
    ``group_send``, a room's messages in order) but batched: per Redis host, one pipelined round
    trip of scripts reads every group's members, one delivers every message. A sweep's thousands
    of events cost two round trips instead of two or three each (measured: 1.6-3 ms per event
    one by one), and Python encodes a few script calls instead of a command per message.
    Other channel layers (the in-memory one in tests) go through ``events.send_now``."""
    from channels.layers import get_channel_layer
    from channels_redis.core import RedisChannelLayer

    layer = get_channel_layer()
    if not items or layer is None:
        return
    if type(layer) is not RedisChannelLayer:
        events.send_now(items)
        return
    by_group = {}
    for group, message in items:
        by_group.setdefault(group, []).append(message)

    async def run_scripts(index, script, calls):
        pipe = layer.connection(index).pipeline(transaction=False)
        for keys, args in calls:
            pipe.eval(script, len(keys), *keys, *args)
        return await pipe.execute()

    async def send_all():
        # 1. Members of every group.
        hosts = {}
        for group in by_group:
            hosts.setdefault(layer.consistent_hash(group), []).append(group)
        members = {}
        cutoff = int(time.time()) - layer.group_expiry
        for index, groups in hosts.items():
            chunks = _script_chunks(groups)
            calls = [([layer._group_key(group) for group in chunk], [cutoff]) for chunk in chunks]
            replies = await run_scripts(index, _GROUP_MEMBERS_LUA, calls)
            for chunk, reply in zip(chunks, replies, strict=True):
                for group, names in zip(chunk, reply, strict=True):
                    members[group] = [name.decode("utf8") for name in names]
        # 2. Every message of every group with members, in order: the score is the send time,
        # kept strictly increasing so a room's messages can never swap places.
        deliveries = {}
        last = 0.0
        for group, messages in by_group.items():
            names = members.get(group)
            if not names:
                continue
            for message in messages:
                keys_by_host, message_of, capacity_of = layer._map_channel_keys_to_connection(
                    names, message
                )
                now = max(time.time(), last + 1e-6)
                last = now
                for index, keys in keys_by_host.items():
                    for key in keys:
                        deliveries.setdefault(index, []).append(
                            (key, message_of[key], capacity_of[key], repr(now))
                        )
        for index, queued in deliveries.items():
            calls = []
            for chunk in _script_chunks(queued):
                args = [int(layer.expiry)]
                for _key, message, capacity, score in chunk:
                    args += [message, capacity, score]
                calls.append(([entry[0] for entry in chunk], args))
            await run_scripts(index, _DELIVER_LUA, calls)

    try:
        async_to_sync(send_all)()
    except Exception:  # noqa: BLE001 — live events are best effort; the money is committed
        logger.exception("could not send %d reading events", len(items))


def timed_sweep(**kwargs):
    """``charge_due_minutes`` with its wall time (for the beat task log and the benchmark)."""
    started = time.perf_counter()
    totals = charge_due_minutes(**kwargs)
    totals["seconds"] = time.perf_counter() - started
    if totals["minutes"]:
        logger.info("charge_due_minutes: %s", totals)
    return totals


def bill_sessions(session_ids, at, *, sender=None):
    """Bill ``session_ids`` (rows the caller holds locked) up to ``at`` and end those that
    cannot pay (``services.bill_and_end``). Returns counts."""
    return services.bill_and_end(session_ids, at, sender=sender)


__all__ = ["charge_due_minutes", "bill_sessions", "timed_sweep"]
