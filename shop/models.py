from django.core.validators import MinValueValidator
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from home.blocks import BodyStreamBlock


class ShopIndexPage(Page):
    """The shop catalogue."""

    introduction = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["shop.ProductPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["products"] = (
            ProductPage.objects.live().child_of(self).select_related("image").order_by("title")
        )
        return context


class ProductPage(Page):
    """A digital or physical product, later synced to a Stripe Product/Price."""

    class Kind(models.TextChoices):
        DIGITAL = "digital", "Digital download"
        PHYSICAL = "physical", "Physical item"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DIGITAL)
    price_cents = models.PositiveIntegerField(validators=[MinValueValidator(50)])
    summary = models.CharField(max_length=240, blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    description = StreamField(BodyStreamBlock(), blank=True)
    stock = models.PositiveIntegerField(null=True, blank=True, help_text="Empty = unlimited.")
    stripe_product_id = models.CharField(max_length=64, blank=True, editable=False)
    stripe_price_id = models.CharField(max_length=64, blank=True, editable=False)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("kind"), FieldPanel("price_cents"), FieldPanel("stock")],
            heading="Pricing",
        ),
        FieldPanel("summary"),
        FieldPanel("image"),
        FieldPanel("description"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("description"),
        index.FilterField("kind"),
    ]
    parent_page_types = ["shop.ShopIndexPage"]
    subpage_types = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_cents__gte=50), name="shop_product_price_min"
            )
        ]
