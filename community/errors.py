"""Errors the forum's services raise; each message is safe to show to the person who caused it."""


class ForumError(Exception):
    """Base class: the request was refused and nothing changed."""

    default_message = "That is not possible right now."
    status = 400

    def __init__(self, message=None):
        super().__init__(message or self.default_message)


class EmptyPost(ForumError):
    default_message = "Write something first: the post is empty."


class PostTooLong(ForumError):
    default_message = "That post is too long."


class TitleInvalid(ForumError):
    default_message = "Give the thread a title."


class ThreadLocked(ForumError):
    default_message = "This thread is locked."
    status = 403


class NotAllowed(ForumError):
    default_message = "You can't do that here."
    status = 403


class PostingTooFast(ForumError):
    default_message = "You're posting too fast: please wait a while."
    status = 429


class AlreadyReported(ForumError):
    default_message = "You reported this already: our team will look at it."
    status = 409
