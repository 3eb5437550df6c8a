import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from home.blocks import BodyStreamBlock
from readers.admin_forms import ReaderPageForm
from wallet.money import format_cents

CHANNEL_KEYS = ("chat", "voice", "video")


def startable_channels():
    """The reading channels this site can start: chat always, voice and video only with Agora
    configured (``AGORA_APP_ID``), since their media goes through it. Every page that shows a
    price or a button for a channel asks this, so nothing offers what cannot start."""
    return CHANNEL_KEYS if settings.AGORA_APP_ID else ("chat",)


@register_snippet
class Specialty(models.Model):
    """A topic or tool a reader offers (love, career, tarot, astrology...)."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"

    def __str__(self):
        return self.name


@register_snippet
class Tool(models.Model):
    """A tool or method a reader works with (tarot deck, pendulum, runes, astrology charts...)."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


def minimum_rate_cents(page=None):
    """The lowest per-minute rate staff allow (MarketplaceSettings of the page's site)."""
    from home.models import MarketplaceSettings

    site = page.get_site() if page is not None and page.pk else None
    if site is None:
        return MarketplaceSettings.current().minimum_rate_cents
    return MarketplaceSettings.for_site(site).minimum_rate_cents


class ReaderIndexPage(Page):
    """The reader directory at /readers/."""

    introduction = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["readers.ReaderPage"]
    max_count = 1

    # ``readers.selectors`` reads these models, so the models do not import it: ``ReadersConfig``
    # installs the selectors a page's context needs when the app is ready.
    selectors = None

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self.selectors.directory_context(self, request.GET))
        return context

    def get_template(self, request, *args, **kwargs):
        # An HTMX filter change swaps only the results, not the whole page.
        if getattr(request, "htmx", False) and request.htmx.target == "directory-results":
            return "readers/_directory_results.html"
        return super().get_template(request, *args, **kwargs)


class ReaderPage(Page):
    """One reader's public profile, owned by that reader's user account."""

    class Presence(models.TextChoices):
        ONLINE = "online", "Online"
        BUSY = "busy", "Busy"
        OFFLINE = "offline", "Offline"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reader_page",
    )
    display_name = models.CharField(max_length=80)
    photo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    tagline = models.CharField(max_length=140, blank=True)
    bio = StreamField(BodyStreamBlock(), blank=True)
    specialties = ParentalManyToManyField(Specialty, blank=True, related_name="readers")
    tools = ParentalManyToManyField(Tool, blank=True, related_name="readers")
    intro_video_url = models.URLField(
        blank=True, help_text="A short introduction video (YouTube or Vimeo link)."
    )
    offers_chat = models.BooleanField("chat readings", default=True)
    offers_voice = models.BooleanField("voice readings", default=True)
    offers_video = models.BooleanField("video readings", default=True)
    languages = models.CharField(max_length=120, default="English", help_text="Comma-separated.")
    years_experience = models.PositiveSmallIntegerField(default=1)
    chat_rate_cents = models.PositiveIntegerField(default=299, validators=[MinValueValidator(1)])
    voice_rate_cents = models.PositiveIntegerField(default=399, validators=[MinValueValidator(1)])
    video_rate_cents = models.PositiveIntegerField(default=499, validators=[MinValueValidator(1)])
    presence = models.CharField(
        max_length=8, choices=Presence.choices, default=Presence.OFFLINE, db_index=True
    )
    # When an open reading desk of this reader last reported in (its poll is the heartbeat);
    # online lapses to offline once it is older than READER_PRESENCE_TIMEOUT_SECONDS.
    presence_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Booking requests are confirmed at once instead of waiting for the reader (readings.bookings).
    auto_accept_bookings = models.BooleanField(
        "accept bookings automatically",
        default=False,
        help_text="Confirm booking requests at once instead of accepting each one yourself.",
    )
    # Denormalised review aggregate, kept by the reviews service.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(default=0)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("display_name"), FieldPanel("photo"), FieldPanel("tagline")],
            heading="Profile",
        ),
        FieldPanel("bio", help_text="Your story, how you read, and an FAQ block for clients."),
        FieldPanel("intro_video_url"),
        MultiFieldPanel(
            [
                FieldPanel("specialties"),
                FieldPanel("tools"),
                FieldPanel("languages"),
                FieldPanel("years_experience"),
            ],
            heading="Expertise",
        ),
        MultiFieldPanel(
            [
                FieldPanel("offers_chat"),
                FieldPanel("chat_rate_cents"),
                FieldPanel("offers_voice"),
                FieldPanel("voice_rate_cents"),
                FieldPanel("offers_video"),
                FieldPanel("video_rate_cents"),
            ],
            heading="Rates per minute (cents)",
            help_text="New rates apply to readings started after the change is approved.",
        ),
    ]
    # Only staff may change which account owns a page (readers see the page's other settings).
    settings_panels = Page.settings_panels + [
        FieldPanel("user", permission="readers.change_readerapplication")
    ]
    search_fields = Page.search_fields + [
        index.SearchField("display_name"),
        index.SearchField("tagline"),
        index.SearchField("bio"),
        index.SearchField("languages"),
        index.RelatedFields("specialties", [index.SearchField("name")]),
        index.RelatedFields("tools", [index.SearchField("name")]),
        index.FilterField("presence"),
    ]
    parent_page_types = ["readers.ReaderIndexPage"]
    subpage_types = []
    base_form_class = ReaderPageForm

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(chat_rate_cents__gt=0)
                & models.Q(voice_rate_cents__gt=0)
                & models.Q(video_rate_cents__gt=0),
                name="readers_readerpage_rates_positive",
            )
        ]

    def __str__(self):
        return self.display_name or self.title

    # Kept by services (reviews, presence) or the reader's own settings pages (auto-accept on the
    # availability page), never by a page edit: a revision published later must not bring back
    # the values it was saved with.
    LIVE_ONLY_FIELDS = (
        "presence",
        "presence_seen_at",
        "rating_average",
        "rating_count",
        "auto_accept_bookings",
    )
    # A copy made in the admin starts as a new profile: offline and unrated (its reviews stay
    # with the original), never with figures no review of its own supports.
    exclude_fields_in_copy = list(LIVE_ONLY_FIELDS)

    selectors = None  # installed by ``ReadersConfig.ready`` (see ``ReaderIndexPage``)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["reviews"] = self.selectors.visible_reviews(self)
        return context

    def with_content_json(self, content):
        obj = super().with_content_json(content)
        # Read them from the row: ``self`` may be an instance cached before a review arrived.
        live = ReaderPage.objects.filter(pk=self.pk).values(*self.LIVE_ONLY_FIELDS).first()
        for name in self.LIVE_ONLY_FIELDS:
            setattr(obj, name, live[name] if live else getattr(self, name))
        return obj

    def clean(self):
        super().clean()
        minimum = minimum_rate_cents(self)
        errors = {}
        for field in ("chat_rate_cents", "voice_rate_cents", "video_rate_cents"):
            value = getattr(self, field)
            if value is not None and value < minimum:
                errors[field] = (
                    f"The minimum rate is {minimum} cents ({format_cents(minimum)}) per minute."
                )
        if not (self.offers_chat or self.offers_voice or self.offers_video):
            errors["offers_chat"] = "Offer at least one of chat, voice or video."
        if errors:
            raise ValidationError(errors)

    @property
    def language_list(self):
        return [lang.strip() for lang in self.languages.split(",") if lang.strip()]

    @property
    def rates(self):
        """(channel, label, cents) for the channels this reader offers that can start here."""
        startable = startable_channels()
        rates = [
            ("chat", "Chat", self.chat_rate_cents, self.offers_chat),
            ("voice", "Voice", self.voice_rate_cents, self.offers_voice),
            ("video", "Video", self.video_rate_cents, self.offers_video),
        ]
        return [
            (key, label, cents)
            for key, label, cents, offered in rates
            if offered and key in startable
        ]

    @property
    def takes_calls(self):
        """Whether a voice or video reading can start with this reader (the "Call" button)."""
        return any(key in ("voice", "video") for key, _label, _cents in self.rates)

    @property
    def lowest_rate_cents(self):
        return min((cents for _key, _label, cents in self.rates), default=self.chat_rate_cents)

    @property
    def intro_video_embed_url(self):
        """A privacy-friendly embed URL for YouTube/Vimeo links, else ''."""
        from readers.video import embed_url

        return embed_url(self.intro_video_url)


class ReaderApplication(models.Model):
    """Someone asking to become a reader; staff approve or reject it in Wagtail admin."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_applications"
    )
    display_name = models.CharField(max_length=80)
    years_experience = models.PositiveSmallIntegerField(validators=[MaxValueValidator(80)])
    experience = models.TextField(max_length=4000)
    specialties = models.ManyToManyField(Specialty, related_name="applications")
    sample_reading = models.TextField(max_length=6000)
    languages = models.CharField(max_length=120, default="English")
    id_check_consent = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_note = models.TextField(blank=True)
    reader_page = models.ForeignKey(
        ReaderPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="readers_one_pending_application_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(id_check_consent=True), name="readers_application_consent"
            ),
        ]

    def __str__(self):
        return f"{self.display_name} ({self.get_status_display()})"


class Review(models.Model):
    """A client's review of one paid reading; at most one per reading."""

    reading = models.OneToOneField(
        "readings.ReadingSession", on_delete=models.PROTECT, related_name="review"
    )
    reader_page = models.ForeignKey(ReaderPage, on_delete=models.CASCADE, related_name="reviews")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(max_length=2000)
    reply = models.TextField(max_length=2000, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["reader_page", "is_hidden", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="readers_review_rating_1_5"
            )
        ]

    def __str__(self):
        return f"{self.rating}★ for {self.reader_page_id} by {self.client_id}"


class Favorite(models.Model):
    """A client's saved reader ("My readers"), optionally with online notifications."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorite_readers"
    )
    reader_page = models.ForeignKey(
        ReaderPage, on_delete=models.CASCADE, related_name="favorited_by"
    )
    notify_when_online = models.BooleanField(default=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["client", "reader_page"], name="readers_favorite_once")
        ]


class Notification(models.Model):
    """An in-app notification (shown under My readers; also emailed when the kind asks)."""

    class Kind(models.TextChoices):
        READER_ONLINE = "reader_online", "Reader online"
        APPLICATION = "application", "Reader application"
        BOOKING = "booking", "Booking"
        MESSAGE = "message", "Message"
        FORUM = "forum", "Forum"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]


# Availability (issue 6): weekly windows and dated exceptions, in the reader's own time zone -------


class TimeOfDayRange(models.Func):
    """``tsrange(DATE '2000-01-01' + start, DATE '2000-01-01' + end)``: PostgreSQL has no range
    type for times of day, so both times are anchored to one fixed date (immutable, indexable)."""

    template = "tsrange(DATE '2000-01-01' + %(expressions)s)"
    arg_joiner = ", DATE '2000-01-01' + "
    output_field = models.DateTimeField()


class AvailabilityRule(models.Model):
    """A weekly window when a reader takes bookings, in the reader's time zone (``user.timezone``):
    every ``weekday`` (0 = Monday) from ``start_time`` to ``end_time``. Written only by
    ``readers.availability.set_weekly_availability``."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_rules"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="readers_rule_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="readers_rule_weekday"
            ),
            # The service refuses overlaps with a message; this makes them impossible anyway.
            ExclusionConstraint(
                name="readers_rule_no_overlap",
                expressions=[
                    ("reader", RangeOperators.EQUAL),
                    ("weekday", RangeOperators.EQUAL),
                    (TimeOfDayRange("start_time", "end_time"), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """A dated change to the weekly windows (reader's time zone): ``off`` without times is the
    whole day off, ``off`` with times removes that part of the day, ``extra`` adds a window."""

    class Kind(models.TextChoices):
        OFF = "off", "Not available"
        EXTRA = "extra", "Extra hours"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    date = models.DateField()
    kind = models.CharField(max_length=5, choices=Kind.choices)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "start_time"]
        indexes = [models.Index(fields=["reader", "date"], name="readers_exception_day_idx")]
        constraints = [
            # Either a whole day off (no times) or a proper window (both times, end after start).
            models.CheckConstraint(
                condition=(
                    models.Q(kind="off", start_time__isnull=True, end_time__isnull=True)
                    | models.Q(
                        start_time__isnull=False,
                        end_time__isnull=False,
                        end_time__gt=models.F("start_time"),
                    )
                ),
                name="readers_exception_times",
            ),
        ]

    def __str__(self):
        if self.start_time is None:
            return f"{self.date}: {self.get_kind_display()} all day"
        return (
            f"{self.date}: {self.get_kind_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"
        )
