"""Errors the readings services raise; each message is safe to show to the person who caused it."""


class ReadingError(Exception):
    """Base class: the request was refused and nothing changed."""

    default_message = "That is not possible right now."
    # True when topping up the wallet is what would make it possible (the page offers the link).
    needs_top_up = False

    def __init__(self, message=None):
        super().__init__(message or self.default_message)


class IllegalTransition(ReadingError):
    def __init__(self, from_state=None, to_state=None, message=None):
        self.from_state, self.to_state = from_state, to_state
        super().__init__(message or f"A reading that is {from_state} cannot become {to_state}.")

    def __reduce__(self):
        return (type(self), (self.from_state, self.to_state, str(self)))


class ReaderUnavailable(ReadingError):
    default_message = "This reader is not available for a reading right now."


class CannotReadYourself(ReadingError):
    default_message = "You cannot start a reading with yourself."


class AlreadyInReading(ReadingError):
    default_message = "You already have a reading open. Finish or cancel it first."


class InsufficientBalance(ReadingError):
    default_message = "Your wallet balance is too low to start this reading. Please top up."
    needs_top_up = True


class SpendingLimitWouldBlock(ReadingError):
    default_message = "This reading would go over your spending limit."


class NotAParty(ReadingError):
    default_message = "You are not part of this reading."


class InvalidChannel(ReadingError):
    default_message = "Choose chat, voice or video."


class QueueError(ReadingError):
    default_message = "You cannot join this reader's queue right now."


class QueueNeedsTopUp(QueueError):
    default_message = "Top up your wallet first, then join the line."
    needs_top_up = True


# Bookings (readings.bookings, readers.availability) ----------------------------------------------


class BookingError(ReadingError):
    """A booking or availability change was refused; nothing was saved. ``str()`` says why."""

    default_message = "That booking is not possible."


class SlotTaken(BookingError):
    """Lost the race for a slot: another booking holds an overlapping time (exclusion
    constraint). No hold remains."""

    default_message = "That time was just booked by someone else. Please choose another time."
