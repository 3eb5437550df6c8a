"""The wallet's sales API: the rules every seller (readings, bookings, and later messages,
tickets, gifts and the shop) applies to a client's money, each written once.

* ``check_can_pay`` / ``can_pay`` / ``affordable_units``: can this client pay an amount now,
  within their balance and their own spending limits. A read: the ledger still refuses at
  payment time whatever changed since (its triggers, not this check, keep the money right).
* ``split``: how a gross sale divides between the reader and the platform. The reader's share
  is rounded down to the cent and the platform gets the remainder, so the two always add up to
  the gross and a reader is never paid a fraction of a cent the sale did not bring in.
* ``reader_share_percent``: the reader's share per kind of sale, from the site's settings.
"""

from django.db.models import TextChoices

from .errors import InsufficientFunds, SpendingLimitReached
from .models import LedgerAccount
from .money import format_cents
from .services import ledger_currency, spending_room


class SaleKind(TextChoices):
    READING = "reading", "Live reading"
    BOOKING = "booking", "Booked reading"


def split(gross, share_percent):
    """``(reader_cents, platform_cents)`` of a ``gross`` sale at the reader's ``share_percent``."""
    if gross < 0 or not 0 <= share_percent <= 100:
        raise ValueError(f"cannot split {gross} cents at {share_percent}%")
    reader_cents = gross * share_percent // 100
    return reader_cents, gross - reader_cents


def reader_share_percent(kind):
    """The reader's share (0-100) of a sale of ``kind`` as the site's settings say now. Sellers
    record it on the purchase when it is made, so a later change never reprices it."""
    SaleKind(kind)  # an unknown kind is a programming error, not a default share
    return _marketplace_settings().reader_share_percent


def _marketplace_settings():
    from wagtail.models import Site

    from home.models import MarketplaceSettings

    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    return MarketplaceSettings() if site is None else MarketplaceSettings.for_site(site)


def _wallet(client, *, with_limits=True):
    """``(balance, room under each limit)`` of the client's wallet, read without creating it
    (a client with no wallet has 0 and no room to spend); ``with_limits=False`` skips the
    limits (an empty room)."""
    row = (
        LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.CLIENT_WALLET, owner=client, currency=ledger_currency()
        )
        .values_list("pk", "balance")
        .first()
    )
    if row is None:
        return 0, {}
    return row[1], spending_room(client.pk, row[0]) if with_limits else {}


def check_can_pay(client, amount, *, within_limits=True):
    """Raise ``InsufficientFunds`` when the wallet holds less than ``amount`` cents, or
    ``SpendingLimitReached`` (with ``period``, ``limit``, ``remaining``) when one of the
    client's own limits would refuse it. ``within_limits=False`` checks the balance only."""
    balance, room = _wallet(client, with_limits=within_limits)
    if balance < amount:
        raise InsufficientFunds(
            f"This costs {format_cents(amount)} and your wallet has {format_cents(balance)}.",
            needed=amount,
            balance=balance,
        )
    for period, (cap, left) in room.items():
        if amount > left:
            raise SpendingLimitReached(
                f"This payment of {format_cents(amount)} would go over your {period} spending "
                f"limit of {format_cents(cap)}.",
                period=period,
                limit=cap,
                remaining=left,
            )


def can_pay(client, amount, *, within_limits=True):
    try:
        check_can_pay(client, amount, within_limits=within_limits)
    except (InsufficientFunds, SpendingLimitReached):
        return False
    return True


def affordable_units(client, unit_cents):
    """How many whole units of ``unit_cents`` (minutes, say) the client can pay now."""
    if unit_cents <= 0:
        raise ValueError("a unit costs at least one cent")
    balance, room = _wallet(client)
    for _cap, left in room.values():
        balance = min(balance, left)
    return max(balance, 0) // unit_cents
