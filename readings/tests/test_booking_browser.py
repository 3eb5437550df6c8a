"""Booking in a real browser: a client logs in, filters the reader directory, opens a reader's
page, books a slot from the calendar and sees the booking waiting for the reader with the price
reserved in the wallet."""

import re
from datetime import time

import pytest
from django.contrib.contenttypes.models import ContentType
from playwright.sync_api import expect
from wagtail.models import Collection, Locale, Page, Site

from home.models import HomePage
from readers import availability
from readers.models import ReaderIndexPage, Specialty
from readers.tests.conftest import ensure_wagtail_defaults
from readers.tests.factories import make_reader
from readings.models import Booking
from readings.tests.factories import make_client
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import log_in
from wallet.selectors import wallet_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def build_directory():
    """Home, the reader directory and two readers with different specialties, both bookable
    every day, served for any host name (the live server's included)."""
    # An earlier transactional test may have flushed and recreated the content types.
    ContentType.objects.clear_cache()
    Locale.objects.get_or_create(language_code="en")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    ensure_wagtail_defaults(root, Collection.get_first_root_node())
    home = root.add_child(instance=HomePage(title="Home", slug="home-booking", hero_title="Hi"))
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    index = home.add_child(instance=ReaderIndexPage(title="Our readers", slug="readers"))
    index.save_revision().publish()
    tarot = Specialty.objects.create(name="Tarot", slug="tarot")
    astrology = Specialty.objects.create(name="Astrology", slug="astrology")
    luna = make_reader(index, "Luna Vale", specialties=[tarot], presence="offline")
    orion = make_reader(index, "Orion Sky", specialties=[astrology], presence="offline")
    for page in (luna, orion):
        availability.set_weekly_availability(
            page.user, [(day, time(0), time(23, 45)) for day in range(7)]
        )
    return luna, orion


def test_client_filters_the_directory_books_a_slot_and_sees_the_hold(browser_page, live_server):
    luna, _orion = build_directory()
    client = make_client(balance=20_000)
    page = browser_page

    log_in(page, live_server, client)
    page.goto(f"{live_server.url}/readers/")
    results = page.locator("#directory-results")
    expect(results.get_by_role("link", name="Orion Sky")).to_be_visible()

    page.get_by_label("Specialty").select_option("tarot")
    expect(results.get_by_role("link", name="Orion Sky")).to_have_count(0)
    results.get_by_role("link", name="Luna Vale").click()
    page.wait_for_url(re.compile(r".*/readers/luna-vale/$"))

    page.get_by_test_id("book-reading").click()
    page.wait_for_url(re.compile(rf".*/readings/book/{luna.pk}/$"))
    expect(page.get_by_test_id("calendar-zone")).to_contain_text("UTC")

    # 45 minutes: the price follows the pick without a page load.
    page.locator("label", has=page.get_by_test_id("length-45")).click()
    expect(page.get_by_test_id("booking-price")).to_contain_text("$134.55")  # 45 x $2.99
    # Next week's Sunday: always more than 24 h away, so cancelling is still free.
    page.get_by_test_id("next-week").click()
    expect(page.get_by_test_id("prev-week")).to_be_visible()
    page.locator('[data-testid^="day-"]').last.click()
    expect(page.locator('[data-testid^="day-"]').last).to_have_attribute("aria-current", "date")
    first_slot = page.get_by_test_id("slot").first
    slot_label = first_slot.get_attribute("aria-label")
    first_slot.click()

    page.wait_for_url(re.compile(rf".*/readings/book/{luna.pk}/confirm/.*"))
    expect(page.get_by_test_id("confirm-price")).to_have_text("$134.55")
    expect(page.get_by_test_id("cancellation-rule")).to_contain_text("Free cancellation")
    expect(page.get_by_test_id("confirm-balance")).to_have_text("$200.00")
    assert (
        slot_label.split(" at ")[1].split(",")[0]
        in page.get_by_test_id("confirm-when").inner_text()
    )
    page.get_by_test_id("confirm-booking").click()

    page.wait_for_url(re.compile(r".*/readings/bookings/[0-9a-f-]{36}/$"))
    expect(page.get_by_test_id("booking-state")).to_contain_text("Waiting for the reader")
    expect(page.get_by_test_id("hold-status")).to_contain_text("$134.55 reserved")

    page.goto(f"{live_server.url}/wallet/")
    expect(page.get_by_test_id("reserved")).to_have_text("$134.55")

    booking = Booking.objects.get()
    assert booking.client == client and booking.reader == luna.user
    assert booking.length_minutes == 45 and booking.state == "pending"
    assert wallet_summary(client).reserved == 13_455


def test_anonymous_visitor_sees_the_calendar_in_the_browsers_time_zone(
    browser_page, browser, live_server
):
    luna, _orion = build_directory()
    context = browser.new_context(timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/readings/book/{luna.pk}/")
        expect(page.get_by_test_id("calendar-zone")).to_contain_text("Asia/Tokyo")
        expect(page.get_by_test_id("calendar-zone")).to_contain_text("browser")
        page.get_by_test_id("slot").first.click()
        # Booking needs an account: the slot leads to the login page and back.
        page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*confirm.*"))
    finally:
        context.close()
