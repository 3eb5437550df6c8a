from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page, Site
from wagtail.search import index

from .blocks import BodyStreamBlock, HomeStreamBlock


class HomePage(Page):
    """The site root: hero, featured readers and promos, all editable by staff."""

    hero_title = models.CharField(max_length=120, default="Clarity, one minute at a time")
    hero_text = models.TextField(
        max_length=400,
        blank=True,
        default="Talk to gifted, vetted psychic readers by chat, voice or video. "
        "Pay only for the minutes you use.",
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hero_cta_text = models.CharField(max_length=40, default="Find your reader")
    hero_cta_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(HomeStreamBlock(), blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("hero_title"),
                FieldPanel("hero_text"),
                FieldPanel("hero_image"),
                FieldPanel("hero_cta_text"),
                FieldPanel("hero_cta_page"),
            ],
            heading="Hero",
        ),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [index.SearchField("hero_text"), index.SearchField("body")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "home.StandardPage",
        "home.HelpIndexPage",
        "readers.ReaderIndexPage",
        "shop.ShopIndexPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = "home page"


class StandardPage(Page):
    """About, terms, privacy and other plain content pages."""

    introduction = models.TextField(max_length=400, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction"), FieldPanel("body")]
    search_fields = Page.search_fields + [
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]
    parent_page_types = ["home.HomePage", "home.StandardPage"]
    subpage_types = ["home.StandardPage"]


class HelpIndexPage(Page):
    """The help centre: lists its articles by topic."""

    introduction = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["home.HelpPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        articles = HelpPage.objects.live().child_of(self).order_by("topic", "title")
        topics = {}
        for article in articles:
            topics.setdefault(article.get_topic_display(), []).append(article)
        context["topics"] = topics
        return context


class HelpPage(Page):
    """A help-centre article, optionally with FAQ blocks."""

    class Topic(models.TextChoices):
        GETTING_STARTED = "getting-started", "Getting started"
        READINGS = "readings", "Readings"
        PAYMENTS = "payments", "Payments and wallet"
        ACCOUNT = "account", "Account and privacy"
        READERS = "readers", "For readers"

    topic = models.CharField(max_length=32, choices=Topic.choices, default=Topic.GETTING_STARTED)
    summary = models.CharField(max_length=240, blank=True)
    body = StreamField(BodyStreamBlock(), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("topic"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("topic"),
    ]
    parent_page_types = ["home.HelpIndexPage"]
    subpage_types = []


@register_setting(icon="cog")
class MarketplaceSettings(BaseSiteSetting):
    """Business rules staff can change without a deploy."""

    @classmethod
    def current(cls):
        """The default site's settings (the first site's when none is marked default), or the
        defaults while no site exists yet."""
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
        return cls() if site is None else cls.for_site(site)

    reader_share_percent = models.PositiveSmallIntegerField(
        default=70, help_text="Share of each paid minute that goes to the reader (0-100)."
    )
    intro_free_minutes = models.PositiveSmallIntegerField(
        default=3, help_text="Free minutes on a client's first reading with each reader."
    )
    minimum_rate_cents = models.PositiveIntegerField(
        default=99, help_text="Lowest per-minute rate a reader may set, in cents."
    )
    message_price_min_cents = models.PositiveIntegerField(
        default=500, help_text="Lowest price a reader may ask for a message reading, in cents."
    )
    message_price_max_cents = models.PositiveIntegerField(
        default=20000, help_text="Highest price a reader may ask for a message reading, in cents."
    )
    message_reply_hours_min = models.PositiveSmallIntegerField(
        default=2, help_text="Shortest reply time a reader may promise (a rush reading), in hours."
    )
    message_reply_hours_max = models.PositiveSmallIntegerField(
        default=72, help_text="Longest reply time a reader may promise, in hours."
    )
    support_email = models.EmailField(default="support@soulseer.local")
    footer_text = models.CharField(
        max_length=240,
        default=(
            "For entertainment purposes. Readings are not a substitute for professional advice."
        ),
    )

    panels = [
        FieldPanel("reader_share_percent"),
        FieldPanel("intro_free_minutes"),
        FieldPanel("minimum_rate_cents"),
        MultiFieldPanel(
            [
                FieldPanel("message_price_min_cents"),
                FieldPanel("message_price_max_cents"),
                FieldPanel("message_reply_hours_min"),
                FieldPanel("message_reply_hours_max"),
            ],
            heading="Message readings",
        ),
        FieldPanel("support_email"),
        FieldPanel("footer_text"),
    ]

    class Meta:
        verbose_name = "marketplace settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reader_share_percent__lte=100),
                name="home_settings_reader_share_le_100",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    message_price_min_cents__gt=0,
                    message_price_max_cents__gte=models.F("message_price_min_cents"),
                    message_reply_hours_min__gt=0,
                    message_reply_hours_max__gte=models.F("message_reply_hours_min"),
                ),
                name="home_settings_message_limits",
            ),
        ]


class AuditEvent(models.Model):
    """Append-only record of who did what to which object, for support and compliance."""

    actor = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.action} {self.target_type}:{self.target_id}"
