"""A paid message reading in a real browser: a client sends one from the reader's page (offer,
question, a photo, the price reserved), the reader sees it in their inbox and replies in place,
the client's open thread shows the reply by itself (polling), and the wallet has one purchase
line for it. Screenshots of each page at phone and desktop widths go to /tmp/messages-*.png."""

import io
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from playwright.sync_api import expect
from wagtail.models import Collection, Locale, Page, Site

from home.models import HomePage
from readers.models import ReaderIndexPage
from readers.tests.conftest import ensure_wagtail_defaults
from readers.tests.factories import make_reader
from readings import messaging
from readings.models import MessageRequest
from readings.tests.factories import make_client
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import csp_violations, log_in  # noqa: F401
from wallet.selectors import wallet_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
LAPTOP = {"width": 1024, "height": 768}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def build_reader():
    ContentType.objects.clear_cache()
    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    ensure_wagtail_defaults(root, Collection.get_first_root_node())
    home = root.add_child(instance=HomePage(title="Home", slug="home-messages", hero_title="Hi"))
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    index = home.add_child(instance=ReaderIndexPage(title="Our readers", slug="readers"))
    index.save_revision().publish()
    luna = make_reader(index, "Luna Vale", presence="offline")
    messaging.save_offer(luna.user, title="24-hour reading", price_cents=2_500, reply_hours=24)
    messaging.save_offer(luna.user, title="Rush reading", price_cents=4_500, reply_hours=4)
    return luna


def photo_bytes():
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (30, 27, 75))
    draw = ImageDraw.Draw(image)
    draw.ellipse((180, 80, 300, 200), fill=(235, 200, 98))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def shoot(page, name):
    """Full-page screenshots at desktop, laptop and phone widths; none scrolls sideways."""
    for label, size in (("desktop", DESKTOP), ("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        page.screenshot(path=f"/tmp/messages-{name}-{label}.png", full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} at {label} is {width}px wide"
    page.set_viewport_size(DESKTOP)


def test_a_client_sends_a_paid_message_the_reader_replies_and_the_wallet_shows_one_purchase(
    browser_page,
    browser,
    live_server,
    csp_violations,  # noqa: F811
):
    luna = build_reader()
    client = make_client(balance=10_000)
    page = browser_page
    page.set_viewport_size(DESKTOP)

    # The client: the reader's page → "Send a message reading" → offer, question, photo, pay.
    log_in(page, live_server, client)
    page.goto(f"{live_server.url}/readers/luna-vale/")
    button = page.get_by_test_id("send-message-reading")
    expect(page.get_by_test_id("message-reading")).to_contain_text("from $25.00")
    shoot(page, "reader-page")
    button.click()
    page.wait_for_url(re.compile(rf".*/readings/messages/new/{luna.pk}/$"))
    page.get_by_test_id("offer-choice").filter(has_text="Rush reading").click()
    expect(page.get_by_test_id("ask-submit")).to_have_text("Send and reserve $45.00")
    page.get_by_label("Your question").fill(
        "My sister and I stopped talking last spring. Will we find our way back to each other?"
    )
    page.get_by_label("Attach files").set_input_files(
        files=[{"name": "us.png", "mimeType": "image/png", "buffer": photo_bytes()}]
    )
    shoot(page, "new")
    page.get_by_test_id("ask-submit").click()
    page.wait_for_url(re.compile(r".*/readings/messages/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("request-status")).to_contain_text("Rush reading · $45.00")
    expect(page.get_by_test_id("attachment-image")).to_be_visible()
    assert wallet_summary(client).reserved == 4_500
    thread_url = page.url

    # The reader, in a window of their own: the header counts the message; the inbox has it
    # first with its deadline; the reply posts in place.
    context = browser.new_context(viewport=DESKTOP)
    csp_violations.watch(context)
    try:
        reader = context.new_page()
        reader.set_default_timeout(15_000)
        log_in(reader, live_server, luna.user)
        reader.goto(f"{live_server.url}/readings/desk/")
        expect(reader.get_by_test_id("desk-awaiting")).to_contain_text("Rush reading")
        shoot(reader, "desk")
        expect(reader.get_by_test_id("inbox-link-desktop")).to_have_attribute(
            "aria-label", "Inbox: 1 unread message"
        )
        reader.get_by_test_id("inbox-link-desktop").click()
        expect(reader.get_by_test_id("inbox-deadline")).to_contain_text("Reply by")
        shoot(reader, "inbox-reader")
        reader.get_by_test_id("inbox-row").first.click()
        reader.wait_for_url(thread_url)
        expect(reader.get_by_test_id("request-status")).to_contain_text("Needs your reply")
        reader.get_by_label("Your reading").fill(
            "I see the two of you at a table by a window before the summer. Write to her first: "
            "a short note, nothing heavy. She has been waiting for you to make the first move."
        )
        reader.get_by_test_id("send").click()
        expect(reader.get_by_text("Write to her first")).to_be_visible()
        expect(reader.get_by_test_id("request-status")).to_have_count(0)
        shoot(reader, "thread-reader")
        reader.goto(f"{live_server.url}/readings/messages/offers/")
        expect(reader.get_by_test_id("offer-row")).to_have_count(2)
        shoot(reader, "offers")
    finally:
        context.close()

    # The client's thread, still open, shows the reply by itself, and the read receipt.
    expect(page.get_by_text("Write to her first")).to_be_visible(timeout=25_000)
    expect(page.get_by_test_id("read-receipt")).to_be_visible()
    expect(page.get_by_test_id("follow-up-window")).to_be_visible()
    shoot(page, "thread-client")

    page.goto(f"{live_server.url}/readings/messages/")
    expect(page.get_by_test_id("inbox-row")).to_have_count(1)
    shoot(page, "inbox-client")

    # One purchase line for the message reading, paid in full from the reservation.
    request = MessageRequest.objects.get()
    assert request.state == "answered"
    page.goto(f"{live_server.url}/wallet/")
    lines = page.locator(f'[data-purchase="{request.purchase.public_id}"]')
    expect(lines).to_have_count(1)
    expect(lines).to_contain_text("Message reading with Luna Vale")
    expect(lines).to_contain_text("$45.00")
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (5_500, 0)
