import io
import re
from datetime import time as clock
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision, Site

from accounts.models import User
from accounts.tests.factories import UserFactory
from community.models import ForumCategory, Post
from demo import content as demo_content
from demo import downloads as demo_downloads
from demo import images as demo_images
from home.models import HelpIndexPage, HelpPage, HomePage, StandardPage
from readers import availability
from readers.models import AvailabilityRule, ReaderIndexPage, ReaderPage, Specialty
from readings.models import MessageOffer, MessageRequest
from shop import services as shop_services
from shop.models import Order, ProductPage, ShopIndexPage
from shop.storage import private_storage
from shop.tests.factories import cart_of
from shop.validators import validate_download
from wallet.tests.factories import fund_wallet

pytestmark = pytest.mark.django_db


def tiny_jpeg(*args, **kwargs):
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (30, 27, 75)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def fast_images(monkeypatch):
    """Swap the Pillow artwork for an 8x8 JPEG where the pictures themselves are not the point."""
    for name in ("reader_portrait", "hero_image", "motif_image"):
        monkeypatch.setattr(demo_images, name, tiny_jpeg)


def load(**kwargs):
    out = io.StringIO()
    call_command("load_demo_content", stdout=out, **kwargs)
    return out.getvalue()


def content_counts():
    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "images": get_image_model().objects.count(),
        "users": User.objects.count(),
        "specialties": Specialty.objects.count(),
        "sites": Site.objects.count(),
        "log entries": PageLogEntry.objects.count(),
        "availability": AvailabilityRule.objects.count(),
    }


def test_demo_content_builds_a_published_site_at_the_default_site_root(fast_images):
    output = load()

    assert HomePage.objects.count() == 1
    assert ReaderIndexPage.objects.count() == 1
    assert ReaderPage.objects.live().count() == 12
    assert HelpIndexPage.objects.count() == 1
    assert HelpPage.objects.live().count() >= 8
    assert ShopIndexPage.objects.count() == 1
    assert ProductPage.objects.live().count() == 11  # ten products and a gift card
    assert set(StandardPage.objects.live().values_list("slug", flat=True)) >= {
        "about",
        "terms",
        "privacy",
    }
    assert Specialty.objects.count() >= 10
    # The forum's boards, empty: the demo writes nobody's posts.
    assert ForumCategory.objects.count() == 3 and not Post.objects.exists()
    # Half the readers offer message readings; nobody has asked one yet.
    assert MessageOffer.objects.values("reader").distinct().count() == 6
    assert not MessageRequest.objects.exists()
    assert "Created" in output

    site = Site.objects.get(is_default_site=True)
    home = HomePage.objects.get()
    assert site.root_page_id == home.pk
    assert home.depth == 2
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()
    assert home.hero_image is not None
    assert home.hero_cta_page.specific_class is ReaderIndexPage
    blocks = {block.block_type: block.value for block in home.body}
    assert len(blocks["featured_readers"]["readers"]) == 6
    assert len(blocks["promos"]["promos"]) == 3
    assert all(promo["link_page"] for promo in blocks["promos"]["promos"])

    pages = Page.objects.filter(depth__gte=2)
    assert pages.count() >= 1 + 1 + 12 + 1 + 8 + 1 + 10 + 3
    assert not pages.filter(live=False).exists()
    assert not pages.filter(latest_revision__isnull=True).exists()
    assert not pages.filter(first_published_at__isnull=True).exists()


def test_each_demo_reader_has_a_photo_and_a_reader_account(fast_images):
    load()

    readers = ReaderPage.objects.select_related("user", "photo").prefetch_related("specialties")
    assert len({reader.display_name for reader in readers}) == 12
    for reader in readers:
        assert reader.photo is not None
        assert reader.photo.collection.name == "Readers"
        assert reader.user is not None
        assert reader.user.role == User.Role.READER
        assert reader.user.username == reader.slug
        assert not reader.user.has_usable_password()
        assert reader.owner == reader.user
        assert reader.specialties.exists()
        assert len({reader.chat_rate_cents, reader.voice_rate_cents, reader.video_rate_cents}) == 3
        # No reviews behind them, so no rating: every demo reader is a "New reader", and
        # offline until someone opens their desk.
        assert (reader.rating_average, reader.rating_count) == (0, 0)
        assert not reader.reviews.exists()
        assert reader.presence == "offline"


def test_demo_readers_show_as_new_readers_without_invented_ratings(client, fast_images):
    load()

    html = client.get("/readers/").content.decode()

    assert html.count("New reader, no reviews yet") == 12
    assert not re.search(r"\(\d[\d,]* reviews?\)", html)
    assert not re.search(r"Online now(?! only)", html) and "Busy in a reading" not in html


def test_every_demo_reader_has_weekly_hours_with_free_slots_in_their_own_zone(fast_images):
    load()

    now = timezone.now()
    zones = set()
    for reader in ReaderPage.objects.select_related("user"):
        zones.add(reader.user.timezone)
        slots = availability.free_slots(
            reader.user, start=now, end=now + timedelta(days=7), length_minutes=30
        )
        assert slots, reader.slug
    assert len(zones) > 1  # the calendar's conversion to the visitor's zone is visible


def test_demo_content_keeps_a_readers_own_hours(fast_images):
    load()
    luna = ReaderPage.objects.select_related("user").first().user
    availability.set_weekly_availability(luna, [(0, clock(6), clock(7))])

    load()

    assert list(luna.availability_rules.values_list("weekday", "start_time", "end_time")) == [
        (0, clock(6), clock(7))
    ]


def test_running_demo_content_twice_changes_nothing(fast_images):
    load()
    before = content_counts()

    output = load()

    assert content_counts() == before
    assert "already present" in output


def test_demo_content_fills_in_a_partly_loaded_site_without_duplicates(fast_images):
    load()
    ReaderPage.objects.get(slug="jasper-cole").delete()
    ProductPage.objects.get(slug="amethyst-cluster").delete()

    output = load()

    assert ReaderPage.objects.count() == 12
    assert ProductPage.objects.count() == 11
    assert User.objects.filter(username="jasper-cole").count() == 1
    assert ReaderPage.objects.get(slug="jasper-cole").user.username == "jasper-cole"
    assert "1 readers" in output
    assert "1 products" in output


def test_demo_pages_are_served_at_their_canonical_urls(fast_images, rf, client):
    load()

    expected = {
        "/": HomePage,
        "/about/": StandardPage,
        "/terms/": StandardPage,
        "/privacy/": StandardPage,
        "/help/": HelpIndexPage,
        "/help/billing-per-minute/": HelpPage,
        "/readers/": ReaderIndexPage,
        "/readers/aurora-vale/": ReaderPage,
        "/shop/": ShopIndexPage,
        "/shop/midnight-tarot-deck/": ProductPage,
    }
    for url, page_class in expected.items():
        request = rf.get(url)
        page, args, kwargs = Site.find_for_request(request).root_page.specific.route(
            request, [part for part in url.split("/") if part]
        )
        assert isinstance(page.specific, page_class), url
        assert page.url == url

    for page in Page.objects.filter(depth__gte=2):
        response = client.get(page.url)
        assert response.status_code == 200, page.url
    response = client.get("/readers/aurora-vale/")
    assert "Aurora Vale" in response.content.decode()


def test_demo_content_is_in_the_search_and_reference_indexes(fast_images):
    load()

    results = list(Page.objects.live().search("mediumship grief"))
    assert ReaderPage.objects.get(slug="sofia-marquez").page_ptr in results
    assert list(ProductPage.objects.search("pendulum")) == [
        ProductPage.objects.get(slug="crystal-pendulum-with-chart")
    ]

    home = HomePage.objects.get()
    reader = ReaderPage.objects.get(slug="aurora-vale")
    assert ReferenceIndex.get_references_to(home.hero_image).filter(object_id=str(home.pk)).exists()
    assert ReferenceIndex.get_references_to(reader.photo).filter(object_id=str(reader.pk)).exists()
    # The home body links to the featured reader pages.
    assert ReferenceIndex.get_references_to(reader).filter(object_id=str(home.pk)).exists()


def test_demo_photos_are_800px_jpegs_in_storage(media_root):
    """The real artwork, not the fast stand-in: one run with Pillow drawing everything."""
    load()

    photo = ReaderPage.objects.get(slug="sofia-marquez").photo
    assert (photo.width, photo.height) == (800, 800)
    with photo.open_file() as f:
        picture = PILImage.open(f)
        assert picture.format == "JPEG"
    assert (media_root / photo.file.name).exists()
    assert photo.file_hash


def test_reader_portraits_are_deterministic_and_distinct():
    first = demo_images.reader_portrait("aurora-vale", size=200)

    assert demo_images.reader_portrait("aurora-vale", size=200) == first
    assert demo_images.reader_portrait("jasper-cole", size=200) != first


def test_demo_content_data_has_unique_slugs():
    reader_slugs = [reader["slug"] for reader in demo_content.READERS]
    product_slugs = [product["slug"] for product in demo_content.PRODUCTS]
    help_slugs = [page["slug"] for page in demo_content.HELP_PAGES]
    assert len(set(reader_slugs)) == len(reader_slugs) == 12
    assert len(set(product_slugs)) == len(product_slugs) == 11
    assert len(set(help_slugs)) == len(help_slugs) >= 8
    specialty_slugs = {slug for _, slug in demo_content.SPECIALTIES}
    for reader in demo_content.READERS:
        assert set(reader["specialties"]) <= specialty_slugs
    assert set(demo_content.FEATURED_READER_SLUGS) <= set(reader_slugs)


def test_every_demo_download_has_a_valid_pdf_in_private_storage_and_can_be_bought(
    client, fast_images
):
    load()
    downloads = list(ProductPage.objects.live().filter(kind=ProductPage.Kind.DIGITAL))
    assert len(downloads) == 5

    for product in downloads:
        assert product.is_orderable, product.slug
        assert product.download.storage is private_storage()
        with product.download.open("rb") as file:
            pdf = file.read()
        assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
        assert product.title.encode("cp1252") in pdf.replace(b"\\(", b"(").replace(b"\\)", b")")
        validate_download(ContentFile(pdf, name=product.download.name.rsplit("/", 1)[-1]))

    buyer = UserFactory()
    fund_wallet(buyer, 100_000)
    cart = cart_of(buyer)
    for product in downloads:
        shop_services.add_to_cart(cart, product)
    order = shop_services.checkout_with_wallet(buyer, idempotency_key="demo-downloads")
    assert order.state == Order.State.FULFILLED and order.lines.count() == 5

    client.force_login(buyer)
    line = order.lines.get(product__slug="moon-calendar-2027")
    response = client.get(shop_services.download_url(line, buyer))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_demo_items_have_their_stock_and_the_gift_card_none(fast_images):
    load()

    stock = dict(ProductPage.objects.values_list("slug", "stock_level__quantity"))

    assert stock["midnight-tarot-deck"] == 48 and stock["amethyst-cluster"] == 12
    assert stock["soulseer-gift-card"] is None and stock["moon-calendar-2027"] is None


def test_a_demo_download_loaded_without_its_file_gets_it_on_the_next_run(fast_images):
    load()
    page = ProductPage.objects.get(slug="tarot-for-beginners-ebook")
    page.download = ""
    page.save_revision().publish()
    assert not ProductPage.objects.get(pk=page.pk).is_orderable

    output = load()

    page = ProductPage.objects.get(pk=page.pk)
    assert page.is_orderable and page.download.name.endswith(".pdf")
    assert page.get_latest_revision().content["download"] == page.download.name
    assert "1 download files" in output


def test_a_demo_pdf_is_one_page_whose_cross_references_point_at_its_objects():
    pdf = demo_downloads.product_pdf("Tarot for Beginners (e-book)", "All 78 cards explained.")

    xref_at = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    table = pdf[xref_at:].split(b"trailer", 1)[0].splitlines()
    assert table[:2] == [b"xref", b"0 8"]
    for number, entry in enumerate(table[3:], start=1):
        offset = int(entry[:10])
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    stream = pdf.split(b"stream\n", 1)[1].split(b"endstream", 1)[0]
    assert b"/Length %d " % len(stream) in pdf
    assert pdf.count(b"/Type /Page ") == 1 and b"Tarot for Beginners \\(e-book\\)" in pdf
    assert (
        demo_downloads.product_pdf("Tarot for Beginners (e-book)", "All 78 cards explained.") == pdf
    )
