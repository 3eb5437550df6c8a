"""What sellers do when a card payment for one of their sales clears or fails.

A seller (the shop) registers a handler for the prefix of its purchase references ("order");
``wallet.payments`` calls it from the verified webhook. Keeping the registry here, in a module
that imports nothing of the wallet, lets the wallet call a seller without knowing it.
"""

from typing import Callable, NamedTuple


class CardSaleHandler(NamedTuple):
    # paid(reference, client) -> bool: make the sale from the wallet the card just credited,
    # in the webhook's transaction. False: it could not be made (sold out, a limit), the seller
    # has recorded why, and the wallet refunds the card.
    paid: Callable
    # failed(reference, message): the card payment failed; nothing was credited.
    failed: Callable


_handlers = {}


def register(prefix, *, paid, failed):
    """Call ``paid``/``failed`` for card payments whose sale reference starts ``prefix:``."""
    _handlers[prefix] = CardSaleHandler(paid, failed)


def handler_for(reference):
    return _handlers.get(str(reference).partition(":")[0])
