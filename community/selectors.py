"""What the forum's pages read, in a fixed number of queries however many boards, threads or
posts there are: hidden boards for staff only, hidden threads and posts for nobody."""

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404
from wagtail.search.backends import get_search_backend

from .models import ForumCategory, Post, Reaction, Subscription, Thread

SEARCH_RESULTS = 30


def visible_boards(user):
    boards = ForumCategory.objects.all()
    return boards if user.is_staff else boards.filter(is_hidden=False)


def boards_overview(user):
    """Each board ``user`` may see with its number of threads and its latest thread (one
    query)."""
    latest = Thread.objects.filter(category=OuterRef("pk"), is_hidden=False).order_by(
        "-last_post_at", "-id"
    )
    return list(
        visible_boards(user)
        .annotate(
            thread_count=Count("threads", filter=Q(threads__is_hidden=False)),
            latest_title=Subquery(latest.values("title")[:1]),
            latest_id=Subquery(latest.values("public_id")[:1]),
            latest_at=Subquery(latest.values("last_post_at")[:1]),
        )
        .order_by("position", "name")
    )


def board(user, slug):
    """The board ``slug`` if ``user`` may see it, else 404."""
    return get_object_or_404(visible_boards(user), slug=slug)


def board_threads(board):
    """The board's visible threads, latest activity first, with their authors."""
    return (
        Thread.objects.filter(category=board, is_hidden=False)
        .select_related("author")
        .order_by("-last_post_at", "-id")
    )


def thread(user, public_id):
    """The thread ``public_id`` if ``user`` may see it (a visible thread on a visible board),
    else 404."""
    return get_object_or_404(
        Thread.objects.select_related("category", "author").filter(
            category__in=visible_boards(user), is_hidden=False
        ),
        public_id=public_id,
    )


def thread_posts(thread):
    """The thread's visible posts, oldest first, with their authors, the authors' reader pages
    (for the reader badge) and the posts they quote."""
    return (
        Post.objects.filter(thread=thread, is_hidden=False)
        .select_related("author", "author__reader_page", "quote", "quote__author")
        .order_by("created_at", "id")
    )


@dataclass
class PostRow:
    post: Post
    reactions: dict = field(default_factory=dict)  # kind -> count
    mine: set = field(default_factory=set)  # kinds the viewer gave

    @property
    def reader_url(self):
        page = getattr(self.post.author, "reader_page", None)
        return page.url if page is not None and page.live else ""


def post_rows(posts, user):
    """``posts`` (one page of them) with their reaction counts and the viewer's own reactions
    (two queries whatever the number of posts)."""
    posts = list(posts)
    rows = {post.pk: PostRow(post) for post in posts}
    counts = (
        Reaction.objects.filter(post_id__in=rows)
        .values_list("post_id", "kind")
        .annotate(n=Count("id"))
    )
    for post_id, kind, n in counts:
        rows[post_id].reactions[kind] = n
    if user.is_authenticated:
        for post_id, kind in Reaction.objects.filter(post_id__in=rows, user=user).values_list(
            "post_id", "kind"
        ):
            rows[post_id].mine.add(kind)
    return [rows[post.pk] for post in posts]


def is_subscribed(user, thread):
    return user.is_authenticated and Subscription.objects.filter(thread=thread, user=user).exists()


def search(user, query):
    """Threads whose title or posts match ``query`` (Wagtail search), on boards ``user`` may
    see, at most ``SEARCH_RESULTS``."""
    query = (query or "").strip()
    if not query:
        return []
    boards = list(visible_boards(user).values_list("pk", flat=True))
    backend = get_search_backend()
    by_title = backend.search(query, Thread.objects.filter(category_id__in=boards, is_hidden=False))
    by_post = backend.search(query, Post.objects.filter(is_hidden=False))
    ids = [thread.pk for thread in by_title[:SEARCH_RESULTS]]
    ids += [post.thread_id for post in by_post[: SEARCH_RESULTS * 2]]
    ordered = list(dict.fromkeys(ids))[:SEARCH_RESULTS]
    found = Thread.objects.filter(
        pk__in=ordered, category_id__in=boards, is_hidden=False
    ).select_related("category", "author")
    by_id = {thread.pk: thread for thread in found}
    return [by_id[pk] for pk in ordered if pk in by_id]
