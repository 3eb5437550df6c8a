"""The forum in a real browser: a member finds a board from the header, starts a thread, a
second member quotes it and reacts, and the first sees both."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from community.models import ForumCategory
from community.tests.test_forum import member
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import default_site, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(settings):
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"
    return default_site()


def test_start_a_thread_then_another_member_quotes_and_reacts(browser_page, live_server, site):
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    ForumCategory.objects.create(
        name="Tarot and oracle cards", slug="tarot", description="Spreads and meanings."
    )
    ann, bea = member(display_name="Ann"), member(display_name="Bea")

    log_in(page, live_server, ann)
    page.goto(f"{live_server.url}/accounts/profile/")  # any page with the header
    page.get_by_role("navigation", name="Main", exact=True).get_by_role(
        "link", name="Community"
    ).click()
    expect(page).to_have_url(re.compile(r"/community/$"))
    page.screenshot(path="/tmp/forum-index.png", full_page=True)
    page.get_by_role("link", name="Tarot and oracle cards").click()
    page.get_by_label("Title").fill("The Tower keeps turning up")
    page.get_by_label("Your post").fill("Third time this week. **What does it mean** for you?")
    page.get_by_test_id("start-thread").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The Tower keeps turning up")
    expect(page.get_by_test_id("post-body")).to_contain_text("What does it mean")
    thread_url = page.url

    page.context.clear_cookies()
    log_in(page, live_server, bea)
    page.goto(thread_url)
    page.get_by_test_id("quote-link").click()
    expect(page.get_by_test_id("quoting")).to_contain_text("Third time this week")
    page.get_by_label("Your post").fill("Change is coming, <script>alert(1)</script> gently.")
    page.get_by_test_id("reply").click()
    expect(page.get_by_test_id("post")).to_have_count(2)
    expect(page.get_by_test_id("quote")).to_contain_text("Third time this week")
    first = page.get_by_test_id("post").first
    first.get_by_test_id("react-heart").click()  # HTMX, in place
    expect(first.get_by_test_id("react-heart")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("post").nth(1)).to_contain_text("<script>alert(1)</script>")
    page.screenshot(path="/tmp/forum-thread.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/forum-thread-mobile.png", full_page=True)
