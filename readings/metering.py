"""Per-minute billing of live readings for a batch of locked sessions (the rule itself is
written down in ``readings.services``).

``bill_locked(session_ids, at)`` runs in the caller's transaction with the session rows locked:

1. reads the sessions and works out, per session, the minutes due by ``at`` (possibly several
   after an outage), free or paid;
2. charges the paid ones through the wallet's sale path in one batch
   (``wallet.sales.charge_batch``; key ``reading:<session id>:minute:<n>``, the session's
   purchase): the wallet locks the accounts, pays each purchase's minutes in order and stops at
   the first one the wallet (or the client's own limit) cannot pay;
3. records every minute in ``BilledMinute`` (UNIQUE session, minute_index: a second charge of
   the same minute is impossible, it would roll the batch back) and advances the sessions;
4. queues the live events (``billing_tick``, ``free_time_over``, ``low_balance``) and returns
   the sessions that could not pay, with the reason, for the caller to end
   (``services.bill_and_end``): billing never changes a reading's state itself.
"""

from soulseer.db import bulk_cursor
from wallet import sales

from . import events
from .models import ReadingSession

State = ReadingSession.State
LOW_BALANCE_MINUTES = 2

_SESSIONS_SQL = """
    SELECT s.id, s.public_id, s.state, s.rate_cents, s.free_minutes, s.purchase_id,
           s.billed_minutes, s.paid_minutes, s.total_cents, s.reader_earned_cents,
           s.low_balance_notified, s.channel, s.client_id,
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


def bill_locked(session_ids, at, *, sender=None):
    """Bill the minutes due by ``at`` for ``session_ids``, whose rows the caller holds locked
    in the current transaction. Returns ``(counts, to_end)``: ``to_end`` maps each session
    that could not pay its next minute to the end reason (``insufficient_funds`` or
    ``spending_limit``).

    Live events go out after commit: through ``sender`` (the sweep's ``_EventSender``) when
    given, else from the committing thread. Events of sessions to end always go from the
    committing thread, before their ``ended`` event."""
    counts = {"sessions": 0, "minutes": 0, "paid_minutes": 0, "ended": 0}
    if not session_ids:
        return counts, {}
    cursor = bulk_cursor()
    cursor.execute(_SESSIONS_SQL, {"at": at, "ids": list(session_ids)})
    columns = [col.name for col in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    rows = [row for row in rows if row["due"] > row["billed_minutes"]]
    if not rows:
        return counts, {}
    charges = []
    for row in rows:
        for index in range(max(row["billed_minutes"], row["free_minutes"]), row["due"]):
            charges.append(
                sales.Charge(
                    row["purchase_id"],
                    row["rate_cents"],
                    _key(row["id"], index),
                    f"Reading with {row['reader_name']}"[:200],
                    {
                        "reading": str(row["public_id"]),
                        "minute": index,
                        "minutes": 1,
                        "channel": row["channel"],
                        "reader_name": row["reader_name"],
                    },
                )
            )
    paid = sales.charge_batch(charges, purchases=[row["purchase_id"] for row in rows])

    minutes, updates, to_end = [], [], {}
    for row in rows:
        plan = []
        for index in range(row["billed_minutes"], row["due"]):
            if index < row["free_minutes"]:
                plan.append((index, 0, 0, None))
                continue
            key = _key(row["id"], index)
            if key not in paid.transfers:
                break
            plan.append((index, row["rate_cents"], paid.reader_cents[key], paid.transfers[key]))
        end_reason = paid.refused.get(row["purchase_id"])
        _stage(row, plan, end_reason, paid.balances[row["client_id"]], minutes, updates, to_end)

    _insert_minutes(minutes, at)
    _update_sessions(updates)
    inline, notices = [], []
    for update in updates:
        (inline if sender is None or update["id"] in to_end else notices).extend(_notices(update))
    events.notify_many(inline)
    if sender is not None:
        sender.after_commit(notices)
    counts["sessions"] = len(updates)
    counts["minutes"] = len(minutes)
    counts["paid_minutes"] = sum(1 for m in minutes if m[2])
    return counts, to_end


def _key(session_id, minute_index):
    return f"reading:{session_id}:minute:{minute_index}"


def _stage(row, plan, end_reason, balance, minutes, updates, to_end):
    for index, amount, reader_cents, transfer_id in plan:
        minutes.append((row["id"], index, amount, reader_cents, transfer_id))
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


def _insert_minutes(minutes, at):
    if not minutes:
        return
    bulk_cursor().execute(
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
            [m[4] for m in minutes],
        ],
    )


def _update_sessions(updates):
    if not updates:
        return
    bulk_cursor().execute(
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
