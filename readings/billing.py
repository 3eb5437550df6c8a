"""Per-minute billing of live readings, set-based.

``charge_due_minutes()`` (Celery beat, every ~10 s) takes active sessions whose next minute has
started by database time (``next_minute_at <= clock_timestamp()``, read once per sweep from the
partial index of active sessions) in batches locked ``FOR UPDATE SKIP LOCKED`` (two sweeps never
bill the same session; a session being ended or paused is skipped and billed by that service
instead) and, per batch, in one transaction:

1. locks the client wallets, reader earnings and the platform account in id order and reads
   their balances;
2. works out, per session, the minutes due (possibly several after an outage), free or paid,
   stopping at the first minute the wallet cannot pay;
3. writes all paid minutes as wallet transfers in two statements (``wallet.transfer_many``; key
   ``reading:<session id>:minute:<n>``, legs client -rate, reader +share, platform +remainder;
   the platform account is updated once per batch by the statement-level trigger);
4. records every minute in ``BilledMinute`` (UNIQUE session, minute_index: a second charge of
   the same minute is impossible, it would roll the batch back) and advances the sessions;
5. ends the sessions that could not pay (``insufficient_funds``) and queues the live events
   (``billing_tick``, ``free_time_over``, ``low_balance``, ``ended``) for after commit.

The billing rule (per started minute, prepaid) is written down in ``readings.services``.
"""

import logging
import queue
import threading
import time

from asgiref.sync import async_to_sync
from django.db import transaction

from wallet import sales
from wallet import services as wallet
from wallet.errors import InsufficientFunds, SpendingLimitReached
from wallet.models import LedgerAccount, Transfer

from . import events
from .models import ReadingSession

logger = logging.getLogger(__name__)

State = ReadingSession.State
DEFAULT_BATCH_SIZE = 5000
LOW_BALANCE_MINUTES = 2

_SESSIONS_SQL = """
    SELECT s.id, s.public_id, s.state, s.rate_cents, s.reader_share_percent, s.free_minutes,
           s.billed_minutes, s.paid_minutes, s.total_cents, s.reader_earned_cents,
           s.low_balance_notified, s.channel, s.client_id, s.reader_id,
           -- minutes started by %(at)s (or by the pause): floor(served / 60 s) + 1
           GREATEST(FLOOR(EXTRACT(EPOCH FROM (
               (CASE WHEN s.state = 'paused' THEN s.paused_at ELSE %(at)s END)
               - s.started_at - s.paused_total)) / 60)::bigint + 1, 0) AS due,
           COALESCE(NULLIF(u.display_name, ''), u.username) AS reader_name
    FROM unnest(%(ids)b::bigint[]) AS wanted(id)
    JOIN readings_readingsession s ON s.id = wanted.id
    JOIN accounts_user u ON u.id = s.reader_id
    WHERE s.state IN ('active', 'paused') AND s.started_at IS NOT NULL
    ORDER BY s.id
"""

# Id lists are joined through unnest() rather than filtered with "= ANY(%s)": with a bound
# array parameter a sequential scan tests every row against the whole list (quadratic), which a
# planner with stale statistics (right after a burst of new sessions) happily picks.
_ACCOUNTS_SQL = """
    SELECT a.owner_id, a.id
    FROM unnest(%b::bigint[]) AS wanted(owner_id)
    JOIN wallet_ledgeraccount a ON a.owner_id = wanted.owner_id
    WHERE a.kind = %s AND a.currency = %s
"""


def charge_due_minutes(batch_size=DEFAULT_BATCH_SIZE, max_batches=None):
    """Bill every minute that is due for every active session. Safe to run concurrently and
    repeatedly (a second run finds nothing due). Returns a dict of counts once the live events
    of every batch have been sent."""
    totals = {"sessions": 0, "minutes": 0, "paid_minutes": 0, "ended": 0, "batches": 0}
    cursor = wallet.ledger_cursor()
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
                result = bill_sessions(ids, at, sender=sender)
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


def bill_sessions(session_ids, at, *, sender=None):
    """Bill the minutes due by ``at`` for ``session_ids``, whose rows the caller holds locked
    in the current transaction. Ends the sessions that cannot pay. Returns counts.

    Live events go out after commit: through ``sender`` (the sweep's ``_EventSender``) when
    given, else from the committing thread. Events of sessions ended here always go from the
    committing thread, before their ``ended`` event."""
    from .services import EndReason, finish_locked

    counts = {"sessions": 0, "minutes": 0, "paid_minutes": 0, "ended": 0}
    if not session_ids:
        return counts
    platform = wallet.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE)
    cursor = wallet.ledger_cursor()
    cursor.execute(_SESSIONS_SQL, {"at": at, "ids": list(session_ids)})
    columns = [col.name for col in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    rows = [row for row in rows if row["due"] > row["billed_minutes"]]
    if not rows:
        return counts
    _attach_accounts(rows)
    balances = wallet.lock_accounts_for_batch(
        [row["wallet_id"] for row in rows] + [row["earnings_id"] for row in rows] + [platform.pk]
    )
    limited = set(wallet.wallets_with_spending_limits([row["wallet_id"] for row in rows]))

    batch, minutes, updates, to_end, notices = [], [], [], {}, []
    slow = []
    for row in rows:
        balance = balances.get(row["wallet_id"], 0)
        plan, end_reason, balance = _plan(row, balance)
        if row["wallet_id"] in limited:
            slow.append((row, plan, end_reason))
            continue
        _stage(row, plan, end_reason, balance, platform.pk, batch, minutes, updates, to_end)
    transfer_ids = wallet.transfer_many(batch, kind=Transfer.Kind.READING) if batch else {}
    for row, plan, end_reason in slow:
        balance, plan, end_reason = _post_one_by_one(row, plan, end_reason, platform)
        for minute in plan:
            if minute[1]:
                transfer_ids[_key(row["id"], minute[0])] = minute[3]
        _stage(row, plan, end_reason, balance, platform.pk, None, minutes, updates, to_end)

    _insert_minutes(minutes, transfer_ids, at)
    _update_sessions(updates)
    inline = []
    for update in updates:
        (inline if sender is None or update["id"] in to_end else notices).extend(_notices(update))
    events.notify_many(inline)
    if sender is not None:
        sender.after_commit(notices)
    counts["sessions"] = len(updates)
    counts["minutes"] = len(minutes)
    counts["paid_minutes"] = sum(1 for m in minutes if m[2])
    if to_end:
        for locked in ReadingSession.objects.filter(pk__in=list(to_end)).order_by("pk"):
            if locked.state in (State.ACTIVE, State.PAUSED):
                finish_locked(locked, at, to_end[locked.pk] or EndReason.INSUFFICIENT_FUNDS)
                counts["ended"] += 1
    return counts


def _key(session_id, minute_index):
    return f"reading:{session_id}:minute:{minute_index}"


def _plan(row, balance):
    """The minutes to account for now: ``[(index, amount, reader_cents, transfer_id)]``, the
    end reason when the next minute cannot be paid, and the balance left."""
    plan = []
    rate = row["rate_cents"]
    for index in range(row["billed_minutes"], row["due"]):
        if index < row["free_minutes"]:
            plan.append((index, 0, 0, None))
            continue
        if balance < rate:
            return plan, "insufficient_funds", balance
        balance -= rate
        plan.append((index, rate, sales.split(rate, row["reader_share_percent"])[0], None))
    return plan, None, balance


def _stage(row, plan, end_reason, balance, platform_id, batch, minutes, updates, to_end):
    for index, amount, reader_cents, _transfer in plan:
        minutes.append((row["id"], index, amount, reader_cents))
        if amount and batch is not None:
            legs = [(row["wallet_id"], -amount), (platform_id, amount - reader_cents)]
            if reader_cents:
                legs.append((row["earnings_id"], reader_cents))
            legs = tuple((account, value) for account, value in legs if value)
            batch.append(
                wallet.BatchTransfer(
                    idempotency_key=_key(row["id"], index),
                    legs=legs,
                    description=f"Reading with {row['reader_name']}"[:200],
                    metadata={
                        "reading": str(row["public_id"]),
                        "minute": index,
                        "minutes": 1,
                        "channel": row["channel"],
                        "reader_name": row["reader_name"],
                    },
                )
            )
    paid = [m for m in plan if m[1]]
    rate = row["rate_cents"]
    billed = row["billed_minutes"] + len(plan)
    next_paid = billed >= row["free_minutes"]
    minutes_left = balance // rate
    low = next_paid and minutes_left < LOW_BALANCE_MINUTES and end_reason is None
    updates.append(
        {
            "row": row,
            "id": row["id"],
            "billed": billed,
            "paid": row["paid_minutes"] + len(paid),
            "total": row["total_cents"] + sum(m[1] for m in paid),
            "earned": row["reader_earned_cents"] + sum(m[2] for m in paid),
            "low_flag": low,
            "notify_low": low and not row["low_balance_notified"],
            "free_over": any(m[0] == row["free_minutes"] for m in paid) and row["free_minutes"] > 0,
            "balance": balance,
            "minutes_left": minutes_left,
            "plan": plan,
        }
    )
    if end_reason:
        to_end[row["id"]] = end_reason


def _post_one_by_one(row, plan, end_reason, platform):
    """Clients with a spending limit: each minute through ``transfer`` (which enforces it)."""
    posted = []
    currency = wallet.ledger_currency()
    client_wallet = LedgerAccount(
        pk=row["wallet_id"], kind="client_wallet", currency=currency, owner_id=row["client_id"]
    )
    earnings = LedgerAccount(pk=row["earnings_id"], kind="reader_earnings", currency=currency)
    for index, amount, reader_cents, _transfer in plan:
        if not amount:
            posted.append((index, 0, 0, None))
            continue
        legs = [
            wallet.Leg(client_wallet, -amount),
            wallet.Leg(platform, amount - reader_cents),
        ]
        if reader_cents:
            legs.append(wallet.Leg(earnings, reader_cents))
        try:
            result = wallet.transfer(
                [leg for leg in legs if leg.amount],
                idempotency_key=_key(row["id"], index),
                kind=Transfer.Kind.READING,
                description=f"Reading with {row['reader_name']}"[:200],
                metadata={
                    "reading": str(row["public_id"]),
                    "minute": index,
                    "minutes": 1,
                    "channel": row["channel"],
                    "reader_name": row["reader_name"],
                },
            )
        except SpendingLimitReached:
            end_reason = "spending_limit"
            break
        except InsufficientFunds:
            end_reason = "insufficient_funds"
            break
        posted.append((index, amount, reader_cents, result.pk))
    balance = LedgerAccount.objects.values_list("balance", flat=True).get(pk=row["wallet_id"])
    return balance, posted, end_reason


def _attach_accounts(rows):
    """Set ``wallet_id``/``earnings_id`` on each row (creating an account only if missing)."""
    from accounts.models import User

    currency = wallet.ledger_currency()
    cursor = wallet.ledger_cursor()
    cursor.execute(_ACCOUNTS_SQL, [[row["client_id"] for row in rows], "client_wallet", currency])
    wallets = dict(cursor.fetchall())
    cursor.execute(_ACCOUNTS_SQL, [[row["reader_id"] for row in rows], "reader_earnings", currency])
    earnings = dict(cursor.fetchall())
    for row in rows:
        row["wallet_id"] = wallets.get(row["client_id"])
        row["earnings_id"] = earnings.get(row["reader_id"])
        if row["wallet_id"] is None:
            row["wallet_id"] = wallet.wallet_of(User(pk=row["client_id"])).pk
        if row["earnings_id"] is None:
            row["earnings_id"] = wallet.earnings_of(User(pk=row["reader_id"])).pk


def _insert_minutes(minutes, transfer_ids, at):
    if not minutes:
        return
    wallet.ledger_cursor().execute(
        """
        INSERT INTO readings_billedminute
            (session_id, minute_index, amount_cents, reader_cents, transfer_id, billed_at)
        SELECT s, i, a, r, t, %s
        FROM unnest(%b::bigint[], %b::int[], %b::int[], %b::int[], %b::bigint[])
            AS m(s, i, a, r, t)
        """,
        [
            at,
            [m[0] for m in minutes],
            [m[1] for m in minutes],
            [m[2] for m in minutes],
            [m[3] for m in minutes],
            [transfer_ids.get(_key(m[0], m[1])) if m[2] else None for m in minutes],
        ],
    )


def _update_sessions(updates):
    if not updates:
        return
    wallet.ledger_cursor().execute(
        """
        UPDATE readings_readingsession AS s
        SET billed_minutes = u.billed, paid_minutes = u.paid, total_cents = u.total,
            reader_earned_cents = u.earned, low_balance_notified = u.low,
            next_minute_at = s.started_at + s.paused_total + u.billed * interval '1 minute'
        FROM unnest(%b::bigint[], %b::int[], %b::int[], %b::bigint[], %b::bigint[],
                    %b::boolean[]) AS u(id, billed, paid, total, earned, low)
        WHERE s.id = u.id
        """,
        [
            [u["id"] for u in updates],
            [u["billed"] for u in updates],
            [u["paid"] for u in updates],
            [u["total"] for u in updates],
            [u["earned"] for u in updates],
            [u["low_flag"] for u in updates],
        ],
    )


def _notices(update):
    row = update["row"]
    group = f"reading_{row['public_id']}"
    out = []
    if update["plan"]:
        out.append(
            (
                group,
                events.message(
                    row["public_id"],
                    "billing_tick",
                    {
                        "billed_minutes": update["billed"],
                        "paid_minutes": update["paid"],
                        "total_cents": update["total"],
                        "balance_cents": update["balance"],
                        "minutes_left": update["minutes_left"],
                    },
                ),
            )
        )
    if update["free_over"]:
        out.append(
            (
                group,
                events.message(
                    row["public_id"], "free_time_over", {"rate_cents": row["rate_cents"]}
                ),
            )
        )
    if update["notify_low"]:
        out.append(
            (
                group,
                events.message(
                    row["public_id"],
                    "low_balance",
                    {"balance_cents": update["balance"], "minutes_left": update["minutes_left"]},
                ),
            )
        )
    return out


def timed_sweep(**kwargs):
    """``charge_due_minutes`` with its wall time (for the beat task log and the benchmark)."""
    started = time.perf_counter()
    totals = charge_due_minutes(**kwargs)
    totals["seconds"] = time.perf_counter() - started
    if totals["minutes"]:
        logger.info("charge_due_minutes: %s", totals)
    return totals


__all__ = ["charge_due_minutes", "bill_sessions", "timed_sweep"]
