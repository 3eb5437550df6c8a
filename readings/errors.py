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


# Messages and blocks (readings.messaging, readings.blocks) ----------------------------------------


class MessagingError(ReadingError):
    """A message, paid question, offer, review or block was refused; nothing was saved."""

    default_message = "That message could not be sent."


class AccountSuspended(MessagingError):
    """A moderator suspended the person acting, or the one they want to reach."""

    default_message = "Your account is suspended for now."


class Blocked(MessagingError):
    """One of the two people has blocked the other: no messages, readings, bookings or queue."""

    default_message = "You can't contact this person."


class NotInThread(MessagingError):
    default_message = "You are not part of this conversation."


class CannotMessageYourself(MessagingError):
    default_message = "You cannot send a message to yourself."


class NotAReader(MessagingError):
    default_message = "Only readers take message readings."


class MessageInvalid(MessagingError):
    """Empty or too long."""

    default_message = "Write a message first."


class AttachmentRefused(MessagingError):
    """A file of a type we don't take (by its content), too large, or one too many."""

    default_message = "This file can't be attached."


class OfferInvalid(MessagingError):
    """An offer outside the staff's limits, or without a title."""

    default_message = "Check the offer's title, price and reply time."


class OfferUnavailable(MessagingError):
    default_message = "This reader no longer offers that message reading. Please choose another."


class RequestAlreadyOpen(MessagingError):
    default_message = (
        "You already have a question waiting for this reader's reply. You can ask another "
        "once they answer or the time runs out."
    )


class FollowUpsClosed(MessagingError):
    default_message = (
        "Free follow-ups are closed for this conversation. Ask the reader for a paid message "
        "reading to write to them again."
    )


class MessageBalanceTooLow(MessagingError):
    default_message = "Your wallet balance is too low for this message reading. Please top up."
    needs_top_up = True


class MessageSpendingLimit(MessagingError):
    default_message = "This message reading would go over your spending limit."


class RequestExpired(MessagingError):
    """The reply came after the deadline: the reservation went (or goes) back to the client."""

    default_message = (
        "The time to answer this question ran out, so the client was refunded. You can still "
        "send them a free message."
    )


class RequestClosed(MessagingError):
    """Already answered, or cancelled."""

    default_message = "This question has been answered already."


class ReplyPending(MessagingError):
    default_message = (
        "Your reply is held until our team checks it; it will reach the client once cleared."
    )


class ReviewRefused(MessagingError):
    """A staff review of a held message that is not possible (not held any more, no right)."""

    default_message = "This message is not held for review."
