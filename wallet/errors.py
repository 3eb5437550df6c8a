"""Errors the wallet services raise; each message is safe to show to the person who caused it."""


class WalletError(Exception):
    """Base class: a money movement was refused and nothing was written."""


class InvalidAmount(WalletError):
    pass


class InsufficientFunds(WalletError):
    """The wallet holds less than a payment (``needed`` and ``balance`` in cents, when known)."""

    def __init__(self, message="Not enough funds in the wallet for this payment.", **details):
        super().__init__(message)
        self.needed = details.get("needed")
        self.balance = details.get("balance")


class IdempotencyConflict(WalletError):
    def __init__(self, key):
        super().__init__(f"Idempotency key {key!r} was already used for a different transfer.")
        self.key = key

    def __reduce__(self):
        return (type(self), (self.key,))


class HoldAlreadyResolved(WalletError):
    def __init__(self, hold):
        super().__init__(f"These reserved funds were already {hold.status}.")
        self.hold = hold

    def __reduce__(self):
        return (type(self), (self.hold,))


class SpendingLimitReached(WalletError):
    """The client's own spending limit refuses this payment (``period``, ``limit``, ``remaining``
    in cents say which limit and what is left of it)."""

    def __init__(self, message="This payment would go over your spending limit.", **details):
        super().__init__(message)
        self.period = details.get("period")
        self.limit = details.get("limit")
        self.remaining = details.get("remaining")


class CreditNotAllowed(WalletError):
    pass


class AlreadyReversed(WalletError):
    pass


class NotReversible(WalletError):
    """This transfer cannot be reversed: what a hold moved is undone by resolving the hold
    (release it), and a charged hold is given back with a refund or a credit."""


class GiftCardInvalid(WalletError):
    def __init__(self, message="That code does not open a gift card. Check it and try again."):
        super().__init__(message)


class GiftCardAlreadyRedeemed(WalletError):
    def __init__(self, message="This gift card was redeemed already."):
        super().__init__(message)
