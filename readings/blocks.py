"""Who has blocked whom. A block works both ways: neither person may message the other, start
a reading, book, join the other's line or join a booked reading while it stands. Making one
(``readings.messaging.block``) also releases what is reserved between them.

Every path that could bring the two together calls ``check_can_deal`` (no suspension, no
block) inside its own transaction. The block check takes a shared transaction lock on the pair;
``messaging.block`` takes it exclusively before it writes the block and releases reservations,
so a request that passed the check either committed before the block looked for it (and is
released) or sees the block.
"""

import zlib

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .errors import AccountSuspended, Blocked
from .models import Block

# First key of the advisory lock on a pair of people ("BLOK").
PAIR_LOCK_SPACE = 0x424C4F4B


def _id(user):
    return getattr(user, "pk", user)


def _pair_key(a, b):
    low, high = sorted((int(_id(a)), int(_id(b))))
    # A 31-bit key per pair; two pairs sharing one only wait for each other a moment.
    return zlib.crc32(f"{low}:{high}".encode()) & 0x7FFFFFFF


def lock_pair(a, b, *, exclusive=False):
    """Take the pair's transaction-scoped lock (shared for checks, exclusive for a block)."""
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [PAIR_LOCK_SPACE, _pair_key(a, b)])


def is_blocked(a, b):
    """Whether either of ``a`` and ``b`` (users or ids) has blocked the other."""
    a, b = _id(a), _id(b)
    return Block.objects.filter(Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a)).exists()


def has_blocked(user, other):
    """Whether ``user`` blocked ``other`` (one direction)."""
    return Block.objects.filter(blocker=_id(user), blocked=_id(other)).exists()


def blocked_ids(user):
    """Ids of everyone ``user`` blocked or was blocked by (one query)."""
    user = _id(user)
    ids = set()
    for blocker, blocked in Block.objects.filter(Q(blocker=user) | Q(blocked=user)).values_list(
        "blocker_id", "blocked_id"
    ):
        ids.add(blocked if blocker == user else blocker)
    return ids


def check_not_blocked(user, other, *, lock=True):
    """Raise ``Blocked`` (a message for ``user``, who is acting) when either blocked the other.
    With ``lock`` (inside the caller's transaction) the pair's shared lock is held until it
    ends, so a block made meanwhile waits for it."""
    if lock and connection.in_atomic_block:
        lock_pair(user, other)
    rows = set(
        Block.objects.filter(
            Q(blocker=_id(user), blocked=_id(other)) | Q(blocker=_id(other), blocked=_id(user))
        ).values_list("blocker_id", flat=True)
    )
    if not rows:
        return
    if _id(user) in rows:
        raise Blocked(
            "You blocked this person. Unblock them first to message, book or start a reading."
        )
    raise Blocked("This person is not taking messages, readings or bookings from you.")


def check_not_suspended(user, other=None):
    """Raise ``AccountSuspended`` when ``user`` (who is acting) or ``other`` is suspended by a
    moderator (``accounts.User.suspended_until``): a suspended person may read but not message,
    book or take part in readings. One query."""
    ids = [int(_id(user))] + ([int(_id(other))] if other is not None else [])
    suspended = dict(
        get_user_model()
        .objects.filter(pk__in=ids, suspended_until__gt=timezone.now())
        .values_list("pk", "suspended_until")
    )
    if not suspended:
        return
    until = suspended.get(ids[0])
    if until is not None:
        raise AccountSuspended(
            f"Your account is suspended until {until:%B %-d, %Y}: you can't message, book or "
            "take part in readings until then."
        )
    raise AccountSuspended("This person isn't available right now.")


def check_can_deal(user, other, *, lock=True):
    """Every path that brings two people together (a message, a reading, a booking, the
    queue): neither is suspended and neither blocked the other (``check_not_blocked``)."""
    check_not_suspended(user, other)
    check_not_blocked(user, other, lock=lock)
