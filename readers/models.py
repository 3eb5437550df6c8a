from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from home.blocks import BodyStreamBlock


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


class ReaderIndexPage(Page):
    """The reader directory at /readers/."""

    introduction = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["readers.ReaderPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["readers"] = (
            ReaderPage.objects.live()
            .child_of(self)
            .select_related("photo")
            .prefetch_related("specialties")
            .order_by("-rating_average", "title")
        )
        return context


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
    languages = models.CharField(max_length=120, default="English", help_text="Comma-separated.")
    years_experience = models.PositiveSmallIntegerField(default=1)
    chat_rate_cents = models.PositiveIntegerField(default=299, validators=[MinValueValidator(1)])
    voice_rate_cents = models.PositiveIntegerField(default=399, validators=[MinValueValidator(1)])
    video_rate_cents = models.PositiveIntegerField(default=499, validators=[MinValueValidator(1)])
    presence = models.CharField(
        max_length=8, choices=Presence.choices, default=Presence.OFFLINE, db_index=True
    )
    # Denormalised review aggregate, kept by the reviews service.
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(default=0)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("display_name"), FieldPanel("photo"), FieldPanel("tagline")],
            heading="Profile",
        ),
        FieldPanel("bio"),
        MultiFieldPanel(
            [
                FieldPanel("specialties"),
                FieldPanel("languages"),
                FieldPanel("years_experience"),
            ],
            heading="Expertise",
        ),
        MultiFieldPanel(
            [
                FieldPanel("chat_rate_cents"),
                FieldPanel("voice_rate_cents"),
                FieldPanel("video_rate_cents"),
            ],
            heading="Rates per minute (cents)",
        ),
    ]
    settings_panels = Page.settings_panels + [FieldPanel("user")]
    search_fields = Page.search_fields + [
        index.SearchField("display_name"),
        index.SearchField("tagline"),
        index.SearchField("bio"),
        index.SearchField("languages"),
        index.FilterField("presence"),
    ]
    parent_page_types = ["readers.ReaderIndexPage"]
    subpage_types = []

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

    @property
    def language_list(self):
        return [lang.strip() for lang in self.languages.split(",") if lang.strip()]

    @property
    def rates(self):
        return [
            ("chat", "Chat", self.chat_rate_cents),
            ("voice", "Voice", self.voice_rate_cents),
            ("video", "Video", self.video_rate_cents),
        ]

    @property
    def lowest_rate_cents(self):
        return min(self.chat_rate_cents, self.voice_rate_cents, self.video_rate_cents)
