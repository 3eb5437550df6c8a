import uuid
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, HelpPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.models import Orderable, Page
from wagtail.search import index

from home.blocks import BodyStreamBlock

from .storage import private_storage
from .validators import validate_download

# At most this many of one product in a cart or an order line.
MAX_QUANTITY = 10
# The shop's own pages live under /shop/ beside the products (soulseer.urls mounts shop.urls
# there, ahead of Wagtail): a product may not take one of their names as its slug.
RESERVED_SLUGS = frozenset({"cart", "checkout", "orders", "downloads", "products"})
# At or below this many left, the shop's pages say "Only N left".
LOW_STOCK = 5
# The renditions a product page shows of each photo: the large one, its thumbnail below, and the
# main photo as OpenGraph's image. ``ProductPage.photos`` prefetches them.
PHOTO_LARGE = "fill-900x675"
PHOTO_THUMBNAIL = "fill-160x120"
PHOTO_SHARE = "fill-1200x630"
PHOTO_RENDITIONS = (PHOTO_LARGE, PHOTO_THUMBNAIL, PHOTO_SHARE)


class _PrivateFileInput(forms.ClearableFileInput):
    """The admin's file input for downloads: names the stored file without linking to it
    (private files have no URL)."""

    template_name = "shop/widgets/private_file_input.html"

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None))


class ShopIndexPage(Page):
    """The shop catalogue."""

    introduction = models.TextField(max_length=400, blank=True)

    content_panels = Page.content_panels + [FieldPanel("introduction")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["shop.ProductPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(self.catalogue.page_context(self, request))
        return context


class ProductPage(Page):
    """A digital or physical product. Publishing or unpublishing it syncs its Stripe Product and
    Price (``shop.stripe_sync``)."""

    class Kind(models.TextChoices):
        DIGITAL = "digital", "Digital download"
        PHYSICAL = "physical", "Physical item"
        GIFT_CARD = "gift_card", "Gift card"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DIGITAL)
    price_cents = models.PositiveIntegerField(validators=[MinValueValidator(50)])
    summary = models.CharField(max_length=240, blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="main photo",
        help_text="The shop's card of this product and the first photo of its page.",
    )
    description = StreamField(BodyStreamBlock(), blank=True)
    # How many are left is not a page field: ``ProductStock`` (see there).
    stripe_product_id = models.CharField(max_length=64, blank=True, editable=False)
    stripe_price_id = models.CharField(max_length=64, blank=True, editable=False)
    # The reader who sells this and earns their share of each sale; NULL: SoulSeer sells it.
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shop_products",
        limit_choices_to={"role": "reader"},
        help_text="The reader who sells this and earns their share. Empty: sold by SoulSeer.",
    )
    download = models.FileField(
        storage=private_storage,
        upload_to="shop/downloads/%Y/%m/",
        blank=True,
        max_length=255,
        validators=[validate_download],
        help_text="What buyers of a digital product download: PDF, ZIP, EPUB, MP3, PNG or JPEG.",
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("kind"), FieldPanel("price_cents")], heading="Pricing"),
        HelpPanel(template="shop/admin/stock_panel.html", heading="Stock"),
        MultiFieldPanel(
            [FieldPanel("seller"), FieldPanel("download", widget=_PrivateFileInput)],
            heading="Seller and download",
        ),
        FieldPanel("summary"),
        FieldPanel("image"),
        InlinePanel("gallery_images", heading="More photos", label="Photo"),
        FieldPanel("description"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("description"),
        index.FilterField("kind"),
    ]
    parent_page_types = ["shop.ShopIndexPage"]
    subpage_types = []
    # Stripe's ids belong to the page, not to a revision: a copy starts without them (its first
    # publish makes its own Product), and publishing a revision keeps the ids the sync stored.
    exclude_fields_in_copy = ["stripe_product_id", "stripe_price_id"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_cents__gte=50), name="shop_product_price_min"
            )
        ]

    def with_content_json(self, content):
        page = super().with_content_json(content)
        page.stripe_product_id = self.stripe_product_id
        page.stripe_price_id = self.stripe_price_id
        return page

    def clean(self):
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is the name of a shop page."})
        if self.seller_id and not self.seller.is_reader:
            raise ValidationError({"seller": "Only a reader can sell in the shop."})
        if self.kind == self.Kind.GIFT_CARD:
            # Wallet credit SoulSeer owes until it is redeemed: nobody else sells it, and it
            # never runs out or downloads.
            errors = {}
            if self.seller_id:
                errors["seller"] = "Gift cards are sold by SoulSeer: leave the seller empty."
            if self.stock is not None:
                errors["kind"] = (
                    "This product has a stock count and gift cards never run out: set its "
                    "stock to no limit first."
                )
            if self.download:
                errors["download"] = "A gift card is a code sent by email, not a download."
            if errors:
                raise ValidationError(errors)

    @property
    def is_digital(self):
        return self.kind == self.Kind.DIGITAL

    @property
    def is_gift_card(self):
        return self.kind == self.Kind.GIFT_CARD

    @property
    def stock(self):
        """How many are left to sell (None: no limit), from the product's ``ProductStock``
        row: read once per instance, joined by ``select_related("stock_level")``."""
        try:
            return self.stock_level.quantity
        except ProductStock.DoesNotExist:
            return None

    @property
    def sold_out(self):
        return self.stock == 0

    @property
    def few_left(self):
        """Whether the pages say "Only N left": some left, ``LOW_STOCK`` or fewer."""
        return self.stock is not None and 0 < self.stock <= LOW_STOCK

    @property
    def is_orderable(self):
        """Whether the shop can deliver it: a physical item, or a download with its file."""
        if self.is_gift_card:
            return self.live and self.seller_id is None
        return self.live and (not self.is_digital or bool(self.download))

    @property
    def max_quantity(self):
        """The most of it one cart may hold now (0 when sold out): one copy of a download,
        at most ``MAX_QUANTITY`` of an item and never more than the stock left."""
        if self.is_digital:
            return 1
        return MAX_QUANTITY if self.stock is None else min(self.stock, MAX_QUANTITY)

    @property
    def quantity_choices(self):
        return range(1, self.max_quantity + 1)

    def photos(self):
        """The product's photos in order: the main photo, then the gallery's (a gallery photo
        that is also the main one shows once), each with the renditions its page shows
        prefetched, so the page costs three queries however many photos it has. A page made
        from a revision or a preview lists its own (unsaved) gallery."""
        gallery = list(self.gallery_images.all())
        wanted = [self.image_id] if self.image_id else []
        wanted += [item.image_id for item in gallery if item.image_id not in wanted]
        if not wanted:
            return []
        images = get_image_model().objects.prefetch_renditions(*PHOTO_RENDITIONS).in_bulk(wanted)
        photos = []
        if self.image_id in images:
            main = images[self.image_id]
            photos.append(Photo(main, "", main.default_alt_text))
        for item in gallery:
            image = images.get(item.image_id)
            if image is not None and item.image_id != self.image_id:
                photos.append(Photo(image, item.caption, item.alt_text or image.default_alt_text))
        return photos

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["photos"] = self.photos()
        return context


class Photo(NamedTuple):
    """One photo as a product page shows it."""

    image: object
    caption: str
    alt: str


class ProductImage(Orderable):
    """A photo of a product's gallery, in the order editors put them."""

    product = ParentalKey(ProductPage, on_delete=models.CASCADE, related_name="gallery_images")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    caption = models.CharField(max_length=200, blank=True)
    alt_text = models.CharField(
        max_length=200,
        blank=True,
        help_text="What the photo shows, for people who can't see it. Empty: the image's own "
        "description.",
    )

    panels = [FieldPanel("image"), FieldPanel("caption"), FieldPanel("alt_text")]

    def __str__(self):
        return f"Photo of {self.product}"


class ProductStock(models.Model):
    """How many of a product are left to sell. A product without a row has no limit.

    Kept out of the page on purpose: a page save, a revision published or reverted, or an edit
    form opened before some sales would otherwise write back the count it was loaded with and
    undo the sales. Checkout takes stock under the product's row lock (``inventory.take``);
    staff set or add to it only through ``inventory`` (audited)."""

    product = models.OneToOneField(
        ProductPage, on_delete=models.CASCADE, primary_key=True, related_name="stock_level"
    )
    # Positive: PostgreSQL itself refuses a count below zero (a CHECK on the column).
    quantity = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.quantity} of {self.product} left"


class Cart(models.Model):
    """What a visitor means to buy: one per signed-in user, or one per anonymous visitor
    (``user`` NULL), whose session keeps the cart's id. The id lives in the session's data,
    not its key: Django gives the session a new key at login, and the data is what survives
    to be merged into the user's cart then (``services.merge_session_cart``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shop_cart",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Cart of {self.user}" if self.user_id else f"Anonymous cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(ProductPage, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "product"], name="shop_cartline_one_per_product"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
                name="shop_cartline_quantity_range",
            ),
        ]
        ordering = ["added_at", "id"]

    @property
    def line_cents(self):
        return self.product.price_cents * self.quantity


class Order(models.Model):
    """What a buyer paid for at checkout: one wallet purchase (``wallet.sales``) whose single
    charge pays every line, each seller reader their share. Prices, titles and shares are
    copied onto the lines at checkout, so later edits to a product never change an order."""

    # Nothing in content refers to an order: Wagtail's reference index would only add writes.
    wagtail_reference_index_ignore = True

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FULFILLED = "fulfilled", "Fulfilled"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    # Every move an order can make; ``move`` refuses anything else (a programming error).
    TRANSITIONS = {
        State.PENDING: frozenset({State.PAID, State.CANCELLED}),
        State.PAID: frozenset({State.FULFILLED, State.REFUNDED}),
        State.FULFILLED: frozenset({State.REFUNDED}),
        State.REFUNDED: frozenset(),
        State.CANCELLED: frozenset(),
    }
    # States in which the buyer has paid and may download what they bought.
    PAID_STATES = frozenset({State.PAID, State.FULFILLED})

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop_orders"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    total_cents = models.PositiveIntegerField()
    purchase = models.OneToOneField(
        "wallet.Purchase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shop_order",
    )

    class Method(models.TextChoices):
        WALLET = "wallet", "Wallet"
        CARD = "card", "Card"

    # The checkout form's key: submitting the same form twice finds this order, never pays twice.
    checkout_key = models.CharField(max_length=64)
    # How the buyer chose to pay. A card order waits (pending) until Stripe's verified webhook
    # credits its card payment; the sale is then made from the wallet like any other.
    payment_method = models.CharField(max_length=6, choices=Method.choices, default=Method.WALLET)
    # Where a card order's gift card codes go once it is paid (empty: the buyer).
    gift_email = models.EmailField(blank=True)
    gift_message = models.CharField(max_length=300, blank=True)
    # Why a pending order was cancelled, in words for the buyer.
    cancel_reason = models.CharField(max_length=300, blank=True)
    shipping_name = models.CharField(max_length=120, blank=True)
    shipping_line1 = models.CharField(max_length=200, blank=True)
    shipping_line2 = models.CharField(max_length=200, blank=True)
    shipping_city = models.CharField(max_length=100, blank=True)
    shipping_postcode = models.CharField(max_length=20, blank=True)
    shipping_country = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "checkout_key"], name="shop_order_one_per_checkout"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "cancelled"])
                | models.Q(paid_at__isnull=False, purchase__isnull=False),
                name="shop_order_paid_has_purchase",
            ),
        ]
        indexes = [models.Index(fields=["buyer", "-created_at"])]

    def __str__(self):
        return f"Order {self.public_id}"

    def get_absolute_url(self):
        return reverse("shop:order", args=[self.public_id])

    def can_move(self, to_state):
        return to_state in self.TRANSITIONS.get(self.state, frozenset())

    def move(self, to_state):
        """Set ``state`` to ``to_state`` if the table allows it (the caller saves)."""
        if not self.can_move(to_state):
            raise ValueError(f"An order that is {self.state} cannot become {to_state}.")
        self.state = to_state

    @property
    def is_paid(self):
        return self.state in self.PAID_STATES

    def items(self):
        """What was ordered, for staff ("2 × Moon deck, Full moon meditation")."""
        return ", ".join(
            f"{line.quantity} × {line.title}" if line.quantity > 1 else line.title
            for line in self.lines.all()
        )

    items.short_description = "Items"

    @property
    def ships(self):
        return bool(self.shipping_line1)


class OrderLine(models.Model):
    """One product of an order, as it was when ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(ProductPage, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=ProductPage.Kind.choices)
    unit_cents = models.PositiveIntegerField()
    quantity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]
    )
    # The reader paid a share of this line (NULL: the platform's), at the share in force then.
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shop_order_lines",
    )
    reader_share_percent = models.PositiveSmallIntegerField(default=0)
    # Times the buyer downloaded this line's file (counted at each download, up to the limit).
    downloads = models.PositiveIntegerField(default=0)
    # Set when staff refunded this line (its whole price, through the sale path).
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1, quantity__lte=MAX_QUANTITY),
                name="shop_orderline_quantity_range",
            ),
            models.CheckConstraint(
                condition=models.Q(reader_share_percent__lte=100)
                & (models.Q(seller__isnull=False) | models.Q(reader_share_percent=0)),
                name="shop_orderline_share",
            ),
        ]
        ordering = ["id"]

    @property
    def line_cents(self):
        return self.unit_cents * self.quantity

    @property
    def is_digital(self):
        return self.kind == ProductPage.Kind.DIGITAL

    @property
    def is_gift_card(self):
        return self.kind == ProductPage.Kind.GIFT_CARD


class ProductStripeFlag(models.Model):
    """Stripe says something about a product that its page does not (its name, whether it is for
    sale, its price): raised from the ``product.updated`` and ``price.updated`` webhooks
    (``shop.stripe_sync``) for staff, who look in Stripe and clear it. At most one open flag per
    product; seeing another disagreement rewrites its reason and time."""

    product = models.ForeignKey(ProductPage, on_delete=models.CASCADE, related_name="stripe_flags")
    reason = models.CharField(max_length=300)
    stripe_object_id = models.CharField(max_length=64)
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=models.Q(cleared_at__isnull=True),
                name="shop_stripe_flag_one_open_per_product",
            )
        ]
        ordering = ["-raised_at"]
        verbose_name = "Stripe flag"

    def __str__(self):
        return f"Stripe flag on {self.product}"

    @property
    def is_open(self):
        return self.cleared_at is None
