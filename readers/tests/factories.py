"""Test data for the readers app: images, reader pages (provisioned like production), readings."""

import io

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from accounts.tests.factories import UserFactory
from readers import services
from readers.models import ReaderPage


def make_image(title, collection=None, size=(16, 16), user=None):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (30, 27, 75)).save(buffer, "JPEG")
    fields = {
        "title": title,
        "file": ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.jpg"),
    }
    if collection is not None:
        fields["collection"] = collection
    if user is not None:
        fields["uploaded_by_user"] = user
    return get_image_model().objects.create(**fields)


def make_reader(index, name, *, provision=True, photo=True, specialties=(), **fields):
    """A live reader page owned by a new reader user, provisioned like an approved reader."""
    slug = name.lower().replace(" ", "-")
    user = UserFactory(reader=True, username=slug, display_name=name)
    defaults = {
        "title": name,
        "slug": slug,
        "display_name": name,
        "tagline": f"{name} reads the cards",
        "chat_rate_cents": 299,
        "voice_rate_cents": 399,
        "video_rate_cents": 499,
        "presence": "online",
        "user": user,
        "owner": user,
    }
    defaults.update(fields)
    page = index.add_child(instance=ReaderPage(**defaults))
    if specialties:
        page.specialties.set(specialties)
    if provision:
        services.provision_reader(user, page)
    if photo:
        collection = services.reader_collection(name) if provision else None
        page.photo = make_image(name, collection=collection, user=user if provision else None)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def ended_reading(client, reader_page, *, paid_minutes=6, state="ended"):
    from readings.models import ReadingSession

    fields = {
        "client": client,
        "reader": reader_page.user,
        "channel": "chat",
        "state": state,
        "rate_cents": reader_page.chat_rate_cents,
        "billed_minutes": paid_minutes,
    }
    if hasattr(ReadingSession, "paid_minutes"):
        fields["paid_minutes"] = paid_minutes
    if hasattr(ReadingSession, "reader_page"):
        fields["reader_page"] = reader_page
    return ReadingSession.objects.create(**fields)
