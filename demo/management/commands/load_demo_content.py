"""Build a believable SoulSeer site: home, help centre, legal pages, 12 readers and a shop.

Idempotent: pages are looked up by slug under their parent, images by title in their collection,
users by username, specialties by slug. Anything that already exists is left exactly as it is
(staff may have edited it), so a second run creates nothing and publishes nothing. One exception:
a live demo download without its file (loaded before the demo had files) gets its file.

Images are generated with Pillow (``demo.images``) and saved through Wagtail's ``Image``
model, so they land in whatever ``default_storage`` is configured (local disk or S3/R2). The
downloads' files (one-page PDFs, ``demo.downloads``) go through the product's own field into
the shop's private storage, and physical items get their stock through ``shop.inventory``.
"""

import io
import logging
import time
from contextlib import contextmanager
from datetime import time as clock

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models.signals import post_save
from modelsearch.signal_handlers import post_save_signal_handler
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, ReferenceIndex, Site
from wagtail.search import index as search_index
from wagtail.signal_handlers import disable_reference_index_auto_update
from wagtail.utils.file import hash_filelike

from accounts.models import User
from community.models import ForumCategory
from demo import content
from demo import downloads as demo_downloads
from demo import images as demo_images
from home.models import HelpIndexPage, HelpPage, HomePage, StandardPage
from readers import availability
from readers.models import ReaderIndexPage, ReaderPage, Specialty
from readers.services import provision_reader
from readings import messaging
from readings.models import MessageOffer
from shop import inventory
from shop.models import ProductPage, ShopIndexPage

# Demo readers work in different zones, so the booking calendar's time conversion shows.
DEMO_READER_ZONES = ("America/New_York", "Europe/London", "America/Los_Angeles", "America/Chicago")


@contextmanager
def search_indexing_deferred():
    """Skip per-save search indexing; the caller runs ``update_index`` once at the end.

    Creating and publishing a page saves it three or four times and every save would re-index
    it, which was a third of the command's run time.
    """
    models = [
        model
        for model in search_index.get_indexed_models()
        if getattr(model, "search_auto_update", True)
    ]
    for model in models:
        post_save.disconnect(post_save_signal_handler, sender=model)
    try:
        yield
    finally:
        for model in models:
            post_save.connect(post_save_signal_handler, sender=model)


@contextmanager
def quiet_logger(name, quiet):
    """Hide a logger's INFO lines ("Published: ...", one per page) unless asked for detail."""
    logger = logging.getLogger(name)
    level = logger.level
    if quiet:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class Command(BaseCommand):
    help = "Load demo pages, readers, images and products. Safe to run repeatedly."

    def handle(self, *args, **options):
        self.verbosity = options.get("verbosity", 1)
        self.created = {}
        self.new_objects = []
        started = time.monotonic()

        with (
            quiet_logger("wagtail", quiet=self.verbosity < 2),
            search_indexing_deferred(),
            disable_reference_index_auto_update(),
            transaction.atomic(),
        ):
            self.load()
            # What the reference index signal would have done, once per new object.
            for obj in self.new_objects:
                ReferenceIndex.create_or_update_for_object(obj)

        if not any(self.created.values()):
            self.stdout.write(self.style.SUCCESS("Demo content already present."))
            return

        index_started = time.monotonic()
        call_command("update_index", verbosity=0, stdout=io.StringIO())
        self.progress(f"Search index rebuilt in {time.monotonic() - index_started:.1f}s")

        summary = ", ".join(f"{count} {name}" for name, count in self.created.items() if count)
        total = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Created {summary} in {total:.1f}s."))

    # --- orchestration ---------------------------------------------------------------------------

    def load(self):
        demo_collection = self.collection("Demo")
        reader_collection = self.collection("Readers")

        specialties = self.load_specialties()
        home, home_created = self.load_home(demo_collection)

        reader_index = self.child_page(home, ReaderIndexPage, **content.READER_INDEX)
        readers = self.load_readers(reader_index, reader_collection, specialties)
        help_index = self.child_page(home, HelpIndexPage, **content.HELP_INDEX)
        self.load_help(help_index)
        self.load_standard_pages(home)
        shop_index = self.child_page(home, ShopIndexPage, **content.SHOP_INDEX)
        self.load_products(shop_index, demo_collection)
        self.load_forum_boards()

        if home_created:
            # The home body points at readers and help pages, so it is filled in last.
            self.fill_home_body(home, readers, demo_collection)
            self.publish(home)

    # --- helpers ---------------------------------------------------------------------------------

    def progress(self, message):
        if self.verbosity >= 1:
            self.stdout.write(f"  {message}")

    def count(self, name, n=1):
        self.created[name] = self.created.get(name, 0) + n

    def collection(self, name):
        root = Collection.get_first_root_node()
        existing = root.get_children().filter(name=name).first()
        if existing:
            return existing
        return root.add_child(name=name)

    def image(self, collection, title, filename, render, description=""):
        """The image titled ``title`` in ``collection``, drawn by ``render()`` if missing."""
        image_model = get_image_model()
        existing = image_model.objects.filter(collection=collection, title=title).first()
        if existing:
            return existing
        data = render()
        image = image_model(
            title=title,
            collection=collection,
            description=description,
            file=ImageFile(io.BytesIO(data), name=filename),
            file_size=len(data),
            file_hash=hash_filelike(io.BytesIO(data)),
        )
        image.save()
        self.new_objects.append(image)
        self.count("images")
        return image

    def publish(self, page):
        page.save_revision().publish()
        if page not in self.new_objects:
            self.new_objects.append(page)

    def child_page(self, parent, page_class, slug, label="pages", **fields):
        """The child of ``parent`` with ``slug``, created and published if missing."""
        existing = parent.get_children().filter(slug=slug).specific().first()
        if existing:
            return existing
        page = page_class(slug=slug, **fields)
        parent.add_child(instance=page)
        self.publish(page)
        self.count(label)
        return page

    # --- sections --------------------------------------------------------------------------------

    def load_specialties(self):
        specialties = {}
        for name, slug in content.SPECIALTIES:
            specialty, created = Specialty.objects.get_or_create(slug=slug, defaults={"name": name})
            specialties[slug] = specialty
            if created:
                self.count("specialties")
        self.progress(f"Specialties: {len(specialties)}")
        return specialties

    def load_home(self, collection):
        """Put a HomePage at the site root in place of Wagtail's welcome page."""
        home = HomePage.objects.first()
        if home:
            return home, False

        root = Page.get_first_root_node()
        # The welcome page from Wagtail's initial migration is a plain Page at depth 2;
        # Page itself is not creatable in the admin, so nothing else matches.
        welcome_pages = list(
            root.get_children().filter(
                content_type=ContentType.objects.get_for_model(Page), numchild=0
            )
        )
        # Site.root_page cascades on delete: point sites at the tree root while we swap.
        Site.objects.filter(root_page__in=welcome_pages).update(root_page=root)
        for page in welcome_pages:
            page.delete()
            self.progress(f'Removed Wagtail\'s default page "{page.title}"')

        hero = self.image(
            collection,
            "Night sky over the hills",
            "demo-hero.jpg",
            demo_images.hero_image,
            description="A crescent moon above dark hills in a violet night sky",
        )
        data = content.HOME
        home = HomePage(
            title=data["title"],
            slug="home",
            seo_title=data["seo_title"],
            search_description=data["search_description"],
            hero_title=data["hero_title"],
            hero_text=data["hero_text"],
            hero_image=hero,
            hero_cta_text=data["hero_cta_text"],
        )
        Page.get_first_root_node().add_child(instance=home)
        self.count("pages")

        site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
        if site:
            site.root_page = home
            site.is_default_site = True
            site.site_name = site.site_name or "SoulSeer"
            site.save()
        else:
            Site.objects.create(
                hostname="localhost",
                port=80,
                root_page=home,
                is_default_site=True,
                site_name="SoulSeer",
            )
        self.progress("Home page at the site root")
        return home, True

    def fill_home_body(self, home, readers, collection):
        data = content.HOME
        promos = []
        for promo in data["promos"]:
            link_page = Page.objects.filter(url_path=f"{home.url_path}{promo['link']}/").first()
            image = self.image(
                collection,
                f"Promo: {promo['title']}",
                f"demo-promo-{promo['motif']}.jpg",
                lambda motif=promo["motif"]: demo_images.motif_image(
                    f"promo-{motif}", motif, size=(800, 600)
                ),
            )
            promos.append(
                {
                    "title": promo["title"],
                    "text": promo["text"],
                    "link_page": link_page.pk if link_page else None,
                    "link_url": "",
                    "link_text": promo["link_text"],
                    "image": image.pk,
                }
            )
        featured = [readers[slug].pk for slug in content.FEATURED_READER_SLUGS if slug in readers]
        home.hero_cta_page = ReaderIndexPage.objects.child_of(home).first()
        home.body = [
            {
                "type": "featured_readers",
                "value": {"title": data["featured_title"], "readers": featured},
            },
            {"type": "promos", "value": {"promos": promos}},
            *data["how_it_works"],
            data["faq"],
        ]

    def load_readers(self, index, collection, specialties):
        readers = {}
        for data in content.READERS:
            slug = data["slug"]
            name = f"{data['first_name']} {data['last_name']}"
            user = self.reader_user(data, name)
            page = index.get_children().filter(slug=slug).specific().first()
            if page is None:
                photo = self.image(
                    collection,
                    name,
                    f"reader-{slug}.jpg",
                    lambda slug=slug, hair=data["hair"]: demo_images.reader_portrait(
                        slug, hair=hair
                    ),
                    description=name,
                )
                chat, voice, video = data["rates"]
                page = ReaderPage(
                    title=name,
                    slug=slug,
                    owner=user,
                    user=user,
                    display_name=name,
                    photo=photo,
                    tagline=data["tagline"],
                    bio=data["bio"],
                    languages=data["languages"],
                    years_experience=data["years_experience"],
                    chat_rate_cents=chat,
                    voice_rate_cents=voice,
                    video_rate_cents=video,
                    # Offline and unrated: presence comes from an open desk, ratings from
                    # real reviews; a demo reader shows "New reader" until reviewed.
                    presence=ReaderPage.Presence.OFFLINE,
                    search_description=data["tagline"],
                )
                page.specialties.set([specialties[s] for s in data["specialties"]])
                index.add_child(instance=page)
                self.publish(page)
                self.count("readers")
            # Each demo reader can edit their own page in the admin (idempotent).
            provision_reader(user, page)
            self.reader_hours(user, len(readers))
            self.message_offers(user, len(readers))
            readers[slug] = page
        self.progress(f"Readers: {len(readers)}")
        return readers

    def message_offers(self, user, n):
        """Every other demo reader offers message readings (a 24-hour one, and a rush one for
        some), at prices within the staff's limits, set through the same service as the
        reader's own offer editor. Readers who already have offers keep theirs."""
        if n % 2 or MessageOffer.objects.filter(reader=user).exists():
            return
        messaging.save_offer(user, title="24-hour reading", price_cents=1500, reply_hours=24)
        if n % 4 == 0:
            messaging.save_offer(user, title="Rush reading", price_cents=3000, reply_hours=4)
        self.count("message offers")

    def reader_hours(self, user, n):
        """Weekly hours so every demo reader can be booked: readers spread over four time zones
        (the calendar shows the visitor's own zone), day or evening shifts. A reader who already
        has hours keeps them (their own edits survive a re-run)."""
        if user.availability_rules.exists():
            return
        user.timezone = DEMO_READER_ZONES[n % len(DEMO_READER_ZONES)]
        user.save(update_fields=["timezone"])
        start, end = (clock(9), clock(17)) if n % 2 == 0 else (clock(14), clock(22))
        rules = [(weekday, start, end) for weekday in range(5)]
        rules.append((5, clock(10), clock(14)))
        availability.set_weekly_availability(user, rules)
        self.count("reader weekly hours")

    def reader_user(self, data, name):
        user = User.objects.filter(username=data["slug"]).first()
        if user:
            return user
        # Demo readers never log in with a password; staff can set one if needed.
        user = User.objects.create_user(
            username=data["slug"],
            email=f"{data['slug']}@readers.soulseer.local",
            password=None,
            first_name=data["first_name"],
            last_name=data["last_name"],
            display_name=name,
            role=User.Role.READER,
        )
        self.count("reader accounts")
        return user

    def load_help(self, index):
        for data in content.HELP_PAGES:
            self.child_page(index, HelpPage, label="help articles", **data)
        self.progress(f"Help articles: {len(content.HELP_PAGES)}")

    def load_standard_pages(self, home):
        for data in content.STANDARD_PAGES:
            self.child_page(home, StandardPage, **data)
        self.progress("About, terms and privacy pages")

    def load_forum_boards(self):
        for position, data in enumerate(content.FORUM_BOARDS):
            _, created = ForumCategory.objects.get_or_create(
                slug=data["slug"],
                defaults={
                    "name": data["name"],
                    "description": data["description"],
                    "position": position,
                },
            )
            if created:
                self.count("forum boards")

    def load_products(self, index, collection):
        for data in content.PRODUCTS:
            data = dict(data)
            motif = data.pop("motif")
            stock = data.pop("stock", None)
            slug = data["slug"]
            existing = index.get_children().filter(slug=slug).specific().first()
            if existing is not None:
                self.fill_in_download(existing)
                continue
            data["image"] = self.image(
                collection,
                data["title"],
                f"product-{slug}.jpg",
                lambda slug=slug, motif=motif: demo_images.motif_image(slug, motif),
                description=data["title"],
            )
            if data["kind"] == ProductPage.Kind.DIGITAL:
                data["download"] = self.download_file(data)
            product = self.child_page(index, ProductPage, label="products", **data)
            if stock is not None:
                inventory.set_stock(product, stock)
        self.progress(f"Products: {len(content.PRODUCTS)}")

    def download_file(self, data):
        """The file a demo download delivers: a one-page PDF named after the product, checked
        by the upload validator when the page is saved."""
        pdf = demo_downloads.product_pdf(data["title"], data.get("summary", ""))
        return ContentFile(pdf, name=f"{data['slug']}.pdf")

    def fill_in_download(self, product):
        """A live demo download without a file (loaded before the demo had files) gets one, in
        a new published revision; a product staff unpublished or are still editing is left
        alone."""
        if (
            not isinstance(product, ProductPage)
            or not product.is_digital
            or product.download
            or not product.live
            or product.has_unpublished_changes
        ):
            return
        file = self.download_file(
            {"title": product.title, "slug": product.slug, "summary": product.summary}
        )
        product.download.save(file.name, file, save=False)
        self.publish(product)
        self.count("download files")
