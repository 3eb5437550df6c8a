"""Shop test set-up: the site with its shop, products (pages as editors publish them), and carts
and orders made through ``shop.services`` like production makes them."""

import itertools
import uuid

from django.core.files.base import ContentFile
from django.test import RequestFactory
from wagtail.models import Collection, Locale, Page, Site

from home.models import HomePage
from shop import inventory, services
from shop.models import ProductImage, ProductPage, ShopIndexPage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_numbers = itertools.count(1)


def shop_site(hostname="testserver"):
    """A fresh default site (home page, shop index under /shop/); returns the shop index."""
    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(
        instance=HomePage(title="Home", slug=f"home-{next(_numbers)}", hero_title="Clarity")
    )
    Site.objects.all().delete()
    Site.objects.create(hostname=hostname, port=80, root_page=home, is_default_site=True)
    return home.add_child(instance=ShopIndexPage(title="Shop", slug="shop"))


def physical(shop, title="Moon deck", *, price_cents=3400, stock=None, seller=None, **fields):
    """An item; ``stock``: how many are left (``shop.inventory``), None for no limit."""
    number = next(_numbers)
    product = shop.add_child(
        instance=ProductPage(
            title=title,
            slug=f"physical-{number}",
            kind=ProductPage.Kind.PHYSICAL,
            price_cents=price_cents,
            seller=seller,
            **fields,
        )
    )
    if stock is not None:
        inventory.set_stock(product, stock)
    return product


def digital(shop, title="Full moon meditation", *, price_cents=900, seller=None, content=PDF):
    """A download with its file (a tiny PDF), or without one when ``content`` is None."""
    number = next(_numbers)
    product = ProductPage(
        title=title,
        slug=f"digital-{number}",
        kind=ProductPage.Kind.DIGITAL,
        price_cents=price_cents,
        seller=seller,
    )
    if content is not None:
        product.download.save(f"download-{number}.pdf", ContentFile(content), save=False)
    return shop.add_child(instance=product)


def visitor_request(user=None):
    """A request with a session of its own (for services that keep the visitor's cart there)."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.cache import SessionStore

    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = user or AnonymousUser()
    return request


def cart_of(user):
    return services.cart_for(visitor_request(user), create=True)


def order(user, *items, shipping=None):
    """``user`` buys ``items`` (products, or ``(product, quantity)``) from their wallet."""
    cart = cart_of(user)
    for item in items:
        product, quantity = item if isinstance(item, tuple) else (item, 1)
        services.add_to_cart(cart, product, quantity)
    if shipping is None and any(not p.is_digital for p in _products(items)):
        shipping = ADDRESS
    return services.checkout_with_wallet(user, shipping=shipping, idempotency_key=uuid.uuid4().hex)


def _products(items):
    return [item[0] if isinstance(item, tuple) else item for item in items]


ADDRESS = {
    "name": "Ann Client",
    "line1": "12 Orchard Lane",
    "line2": "",
    "city": "Asheville",
    "postcode": "28801",
    "country": "United States",
}


def image(title="Product photo"):
    """A tiny JPEG in the image library."""
    import io

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (30, 27, 75)).save(buffer, "JPEG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(buffer, name=f"{title.replace(' ', '-').lower()}.jpg")
    )


def gift_card(shop, title="SoulSeer gift card", *, price_cents=2500):
    number = next(_numbers)
    return shop.add_child(
        instance=ProductPage(
            title=title,
            slug=f"gift-card-{number}",
            kind=ProductPage.Kind.GIFT_CARD,
            price_cents=price_cents,
        )
    )


def add_photos(product, *images, caption=""):
    """An editor adds ``images`` to the end of the product's gallery and publishes it."""
    page = ProductPage.objects.get(pk=product.pk)
    for picture in images:
        page.gallery_images.add(ProductImage(image=picture, caption=caption))
    page.save_revision().publish()
    return page
