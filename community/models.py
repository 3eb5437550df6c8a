"""The community forum: boards staff manage, threads and posts people write in Markdown
(rendered once, through an allow-list sanitiser, when they are saved), reactions and
subscriptions. Every change goes through ``community.services``."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from wagtail.search import index

# The forum's own pages under /community/: no board may take their names as its slug.
RESERVED_SLUGS = frozenset({"search", "t", "report"})
# Longest post and thread title anyone may write.
MAX_POST_CHARS = 10_000
MAX_TITLE_CHARS = 160


class ForumCategory(models.Model):
    """A board of the forum, managed by staff (Wagtail admin → Forum boards). A hidden board
    and its threads are seen by staff only; nobody can post in it."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=240, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_hidden = models.BooleanField(
        default=False, help_text="Hidden boards are seen by staff only; nobody can post in them."
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = "forum board"
        verbose_name_plural = "forum boards"

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is the name of a forum page."})

    def get_absolute_url(self):
        return reverse("community:board", args=[self.slug])


class Thread(index.Indexed, models.Model):
    """A conversation on a board; its first post is the opening message."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    category = models.ForeignKey(ForumCategory, on_delete=models.CASCADE, related_name="threads")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_threads"
    )
    title = models.CharField(max_length=MAX_TITLE_CHARS)
    created_at = models.DateTimeField(auto_now_add=True)
    last_post_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Kept by the services as posts are added or hidden: the board page needs no count query.
    post_count = models.PositiveIntegerField(default=0)
    is_locked = models.BooleanField(default=False)
    is_hidden = models.BooleanField(default=False)

    search_fields = [
        index.SearchField("title", boost=2),
        index.FilterField("category_id"),
        index.FilterField("is_hidden"),
    ]

    class Meta:
        ordering = ["-last_post_at", "-id"]
        indexes = [
            models.Index(fields=["category", "-last_post_at"], name="community_thread_board_idx")
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("community:thread", args=[self.public_id])


class Post(index.Indexed, models.Model):
    """One message of a thread. ``body`` is what the author wrote (Markdown); ``html`` is its
    sanitised rendering, made when it is saved (``community.markdown``)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts"
    )
    body = models.TextField(max_length=MAX_POST_CHARS)
    html = models.TextField(blank=True)
    # The post this one quotes (shown above it, its own sanitised text).
    quote = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    is_hidden = models.BooleanField(default=False)

    search_fields = [
        index.SearchField("body"),
        index.FilterField("thread_id"),
        index.FilterField("is_hidden"),
    ]

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"], name="community_post_thread_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body=""), name="community_post_body_not_empty"
            )
        ]


class Reaction(models.Model):
    """One person's reaction of one kind to a post (given again: taken back)."""

    class Kind(models.TextChoices):
        LIKE = "like", "Like"
        HEART = "heart", "Love"
        INSIGHT = "insight", "Insightful"
        THANKS = "thanks", "Thank you"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reactions"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "kind"], name="community_reaction_once")
        ]


class Subscription(models.Model):
    """``user`` hears about new posts in ``thread`` (in-app and by email)."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_subscriptions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="community_subscribe_once")
        ]


class Report(models.Model):
    """Someone's report of a post, a thread, a review, a message, a reader's page or a reading
    to the moderators, with a reason. Exactly one of the target fields is set; one report per
    person and target. Enough reports from different people hide a post or thread until staff
    look (``FORUM_AUTO_HIDE_REPORTS``)."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or advertising"
        HARASSMENT = "harassment", "Harassment or hate"
        CONTACT = "contact", "Sharing contact details or taking clients off-site"
        SCAM = "scam", "Scam or fraud"
        EXPLICIT = "explicit", "Sexual or violent content"
        MISINFO = "misleading", "Misleading claims (health, money, guarantees)"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACTIONED = "actioned", "Action taken"
        DISMISSED = "dismissed", "Dismissed"

    TARGETS = ("post", "thread", "review", "message", "reader_page", "session")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE)
    thread = models.ForeignKey(Thread, null=True, blank=True, on_delete=models.CASCADE)
    review = models.ForeignKey(
        "readers.Review", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        "readings.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reader_page = models.ForeignKey(
        "readers.ReaderPage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session = models.ForeignKey(
        "readings.ReadingSession",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Whose content it is (the post's author, the reader of the page...), kept for the queue.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports_received",
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    details = models.TextField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="open"),
                name="community_report_open_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(post__isnull=False, thread__isnull=True, review__isnull=True)
                    & models.Q(message__isnull=True, reader_page__isnull=True, session__isnull=True)
                )
                | (
                    models.Q(post__isnull=True, thread__isnull=False, review__isnull=True)
                    & models.Q(message__isnull=True, reader_page__isnull=True, session__isnull=True)
                )
                | (
                    models.Q(post__isnull=True, thread__isnull=True, review__isnull=False)
                    & models.Q(message__isnull=True, reader_page__isnull=True, session__isnull=True)
                )
                | (
                    models.Q(post__isnull=True, thread__isnull=True, review__isnull=True)
                    & models.Q(
                        message__isnull=False, reader_page__isnull=True, session__isnull=True
                    )
                )
                | (
                    models.Q(post__isnull=True, thread__isnull=True, review__isnull=True)
                    & models.Q(
                        message__isnull=True, reader_page__isnull=False, session__isnull=True
                    )
                )
                | (
                    models.Q(post__isnull=True, thread__isnull=True, review__isnull=True)
                    & models.Q(
                        message__isnull=True, reader_page__isnull=True, session__isnull=False
                    )
                ),
                name="community_report_one_target",
            ),
        ] + [
            models.UniqueConstraint(
                fields=["reporter", target],
                condition=models.Q(**{f"{target}__isnull": False}),
                name=f"community_report_once_per_{target}",
            )
            for target in ("post", "thread", "review", "message", "reader_page", "session")
        ]

    def __str__(self):
        return f"report {self.public_id} ({self.get_reason_display()})"

    @property
    def target_name(self):
        return next(name for name in self.TARGETS if getattr(self, f"{name}_id"))

    @property
    def target(self):
        return getattr(self, self.target_name)
