"""Set-up shared by the inbox's view tests: readers with offers, clients with money, threads
made through ``readings.messaging`` as production makes them."""

import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.tests.factories import UserFactory
from readings import messaging
from readings.tests.factories import make_client, make_reader

PRICE = 2_000


def logged_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def reader_with_offer(price=PRICE, reply_hours=24, title="24-hour reading", name=None):
    user = UserFactory(reader=True, display_name=name) if name else None
    page = make_reader(presence="offline", user=user)
    offer = messaging.save_offer(page.user, title=title, price_cents=price, reply_hours=reply_hours)
    return page, offer


def ask(client, page, offer, body="Will I move house this year?", attachments=()):
    return messaging.ask(
        client, page.user, offer, body, attachments, idempotency_key=uuid.uuid4().hex
    )


def answered_thread(client=None, balance=10_000):
    """A client's question answered by the reader (follow-ups open). Returns
    ``(page, offer, client, request)``."""
    page, offer = reader_with_offer()
    client = client or make_client(balance=balance)
    request = ask(client, page, offer)
    messaging.reply(page.user, request, "The cards say yes, in the autumn.")
    request.refresh_from_db()
    return page, offer, client, request


def png(name="photo.png", size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (124, 58, 237)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="chart.pdf"):
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def not_an_image(name="photo.jpg"):
    return SimpleUploadedFile(name, b"MZ\x90\x00 this is a program", content_type="image/jpeg")


__all__ = [
    "PRICE",
    "answered_thread",
    "ask",
    "logged_in",
    "make_client",
    "make_reader",
    "not_an_image",
    "pdf",
    "png",
    "reader_with_offer",
]
