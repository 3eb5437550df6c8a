"""Every change people make in the forum: threads, posts (with a quote), reactions and
subscriptions. Each function owns its transaction; a refusal raises a ``ForumError`` whose
message is shown as it is, and changes nothing.

Posting is rate-limited per person, more tightly for new accounts (less than a day old, or
never topped up), as spam defence. Posts are rendered to safe HTML once, when saved
(``community.markdown``).
"""

from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.ratelimit import check_rate_limit
from home.audit import Action, record_event
from readers.models import Notification
from wallet.models import Entry, LedgerAccount, Transfer

from . import markdown
from .errors import (
    EmptyPost,
    NotAllowed,
    PostingTooFast,
    PostTooLong,
    ThreadLocked,
    TitleInvalid,
)
from .models import MAX_POST_CHARS, MAX_TITLE_CHARS, Post, Reaction, Subscription, Thread

POSTING_WINDOW_SECONDS = 3600
EMAIL_TASK = "community.tasks.email_new_post"


def is_new_account(user):
    """Less than a day old, or never topped up the wallet: posts are limited more tightly."""
    if user.date_joined > timezone.now() - timedelta(days=1):
        return True
    return not Entry.objects.filter(
        account__owner=user,
        account__kind=LedgerAccount.Kind.CLIENT_WALLET,
        transfer__kind=Transfer.Kind.TOP_UP,
    ).exists()


def posting_limit(user):
    """How many posts (threads included) ``user`` may write per hour."""
    if user.is_staff:
        return settings.FORUM_POSTS_PER_HOUR * 10
    if is_new_account(user):
        return settings.FORUM_NEW_ACCOUNT_POSTS_PER_HOUR
    return settings.FORUM_POSTS_PER_HOUR


def _clean_body(body):
    body = (body or "").strip()
    if not body:
        raise EmptyPost("Write something first: the post is empty.")
    if len(body) > MAX_POST_CHARS:
        raise PostTooLong(
            f"Posts can be at most {MAX_POST_CHARS:,} characters; this one has {len(body):,}."
        )
    return body


def _clean_title(title):
    title = " ".join((title or "").split())
    if len(title) < 3:
        raise TitleInvalid("Give the thread a title of at least 3 characters.")
    if len(title) > MAX_TITLE_CHARS:
        raise TitleInvalid(f"Titles can be at most {MAX_TITLE_CHARS} characters.")
    return title


def _count_post(user):
    """One post against the author's hourly limit (counted before the work, so concurrent
    posts cannot slip past it)."""
    limit = posting_limit(user)
    if not check_rate_limit(f"forum-post:{user.pk}", limit, POSTING_WINDOW_SECONDS):
        new = " New accounts can post a few times an hour at first." if limit < 10 else ""
        raise PostingTooFast(f"You've posted a lot in the last hour: please wait a while.{new}")


def _check_can_post(user, category):
    if not user.is_authenticated:
        raise NotAllowed("Log in to post.")
    if not user.is_active:
        raise NotAllowed("Your account can't post.")
    if user.is_suspended:
        raise NotAllowed(
            f"Your account is suspended until {user.suspended_until:%B %-d, %Y}: you can read "
            "the community but not post until then."
        )
    if category.is_hidden:
        raise NotAllowed("This board is closed.")


def start_thread(user, category, title, body):
    """Open a thread on ``category`` with its first post; the author is subscribed to it.
    Returns the ``Thread``."""
    _check_can_post(user, category)
    title, body = _clean_title(title), _clean_body(body)
    _count_post(user)
    with transaction.atomic():
        thread = Thread.objects.create(category=category, author=user, title=title, post_count=1)
        Post.objects.create(thread=thread, author=user, body=body, html=markdown.render(body))
        Subscription.objects.get_or_create(thread=thread, user=user)
        record_event(Action.FORUM_THREAD_STARTED, actor=user, target=thread)
    return thread


def reply(user, thread, body, *, quote=None):
    """Add a post to ``thread`` (optionally quoting one of its visible posts). Refused in a
    locked or hidden thread or a hidden board. The author is subscribed; the other subscribers
    hear of it. Returns the ``Post``."""
    body = _clean_body(body)
    with transaction.atomic():
        locked = (
            Thread.objects.select_for_update(of=("self",))
            .select_related("category")
            .get(pk=thread.pk)
        )
        _check_can_post(user, locked.category)
        if locked.is_hidden:
            raise NotAllowed("This thread was removed.")
        if locked.is_locked:
            raise ThreadLocked("This thread is locked: no new posts.")
        if quote is not None and (quote.thread_id != locked.pk or quote.is_hidden):
            raise NotAllowed("You can only quote a post of this thread.")
        _count_post(user)
        post = Post.objects.create(
            thread=locked, author=user, body=body, html=markdown.render(body), quote=quote
        )
        Thread.objects.filter(pk=locked.pk).update(
            post_count=F("post_count") + 1, last_post_at=post.created_at
        )
        Subscription.objects.get_or_create(thread=locked, user=user)
        record_event(Action.FORUM_POSTED, actor=user, target=locked, post=post.pk)
        _tell_subscribers(locked, post)
    return post


def _tell_subscribers(thread, post):
    """Everyone following ``thread`` but the author hears of ``post``: in-app now, by email
    through Celery after commit."""
    followers = list(
        Subscription.objects.filter(thread=thread)
        .exclude(user=post.author_id)
        .values_list("user_id", flat=True)
    )
    if not followers:
        return
    name = post.author.public_name
    url = f"{thread.get_absolute_url()}#post-{post.pk}"
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                kind=Notification.Kind.FORUM,
                title=f"{name} posted in “{thread.title}”"[:200],
                url=url[:300],
            )
            for user_id in followers
        ]
    )
    post_id = post.pk
    transaction.on_commit(lambda: current_app.tasks[EMAIL_TASK].delay(post_id))


def email_subscribers(post_id):
    """The email about a new post to each follower of its thread with an address (the author
    left out); ``community.tasks.email_new_post`` runs it. Returns how many were sent."""
    post = Post.objects.select_related("thread", "author").get(pk=post_id)
    thread = post.thread
    link = f"{settings.SITE_URL.rstrip('/')}{thread.get_absolute_url()}#post-{post.pk}"
    addresses = (
        Subscription.objects.filter(thread=thread)
        .exclude(user=post.author_id)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    subject = f"SoulSeer community: new post in “{thread.title}”"[:200]
    text = (
        f"{post.author.public_name} posted in “{thread.title}”:\n\n{post.body[:500]}\n\n"
        f"Read and reply: {link}\n\nYou get this because you follow the thread; stop following "
        "it from its page."
    )
    sent = 0
    for address in addresses:
        send_mail(subject, text, None, [address])
        sent += 1
    return sent


def react(user, post, kind):
    """Give ``kind`` to ``post``, or take it back when ``user`` gave it already. Returns True
    when the reaction is now there."""
    if kind not in Reaction.Kind.values:
        raise NotAllowed("That reaction doesn't exist.")
    if post.is_hidden or post.thread.is_hidden:
        raise NotAllowed("This post was removed.")
    with transaction.atomic():
        deleted, _ = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
        if deleted:
            return False
        Reaction.objects.get_or_create(post=post, user=user, kind=kind)
    return True


def set_subscription(user, thread, subscribed):
    """Follow (or stop following) ``thread``'s new posts."""
    if subscribed:
        Subscription.objects.get_or_create(thread=thread, user=user)
    else:
        Subscription.objects.filter(thread=thread, user=user).delete()
    return subscribed
