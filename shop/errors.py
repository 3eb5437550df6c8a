"""Errors the shop services raise; each message is safe to show to the person who caused it."""


class ShopError(Exception):
    """Base class: the request was refused and nothing changed."""

    default_message = "That is not possible right now."
    # True when topping up the wallet is what would make it possible (the page offers the link).
    needs_top_up = False

    def __init__(self, message=None):
        super().__init__(message or self.default_message)


class InvalidQuantity(ShopError):
    default_message = "Choose a quantity from 1 to 10."


class NotAvailable(ShopError):
    default_message = "This product can't be ordered right now."


class SoldOut(ShopError):
    default_message = "Sorry, this just sold out."


class NotEnoughStock(ShopError):
    default_message = "There aren't that many left."


class CartEmpty(ShopError):
    default_message = "Your cart is empty."


class ShippingRequired(ShopError):
    default_message = "Tell us where to send your order."


class InsufficientBalance(ShopError):
    default_message = "Your wallet balance is too low for this order. Please top up."
    needs_top_up = True


class SpendingLimitWouldBlock(ShopError):
    default_message = "This order would go over your spending limit."


class CardPaymentFailed(ShopError):
    """The card was not charged (declined, or Stripe out of reach)."""

    default_message = "Your card was not charged. Please try another card."


class DownloadRefused(ShopError):
    """A download link that does not (or no longer) give the file."""

    default_message = "This download link doesn't work."
    status = 404


class DownloadExpired(DownloadRefused):
    default_message = "This download link has expired. Open your order to get a fresh one."
    status = 403


class DownloadLimitReached(DownloadRefused):
    default_message = (
        "You've used every download of this file. Contact support if you need it again."
    )
    status = 403


class OrderNotSendable(ShopError):
    """Only a paid order can be marked as sent."""


class RefundRefused(ShopError):
    """A refund staff asked for cannot be made as asked; nothing changed."""


class StockRefused(ShopError):
    """A change of a product's stock staff asked for cannot be made as asked; nothing changed."""
