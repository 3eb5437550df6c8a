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


def test_a_post_is_reported_a_moderator_hides_it_and_its_author_sees_why(
    browser_page, live_server, site
):
    from accounts.tests.factories import UserFactory
    from community import services
    from community.tests.conftest import moderators_group

    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 900})
    tarot = ForumCategory.objects.create(name="Tarot", slug="tarot")
    ann, bea = member(display_name="Ann"), member(display_name="Bea")
    thread = services.start_thread(ann, tarot, "Card of the day", "The Star for me.")
    services.reply(bea, thread, "DM me on insta, I read cheaper there")
    mod = UserFactory(display_name="Mo")
    mod.groups.add(moderators_group())

    log_in(page, live_server, ann)
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.get_by_test_id("post").nth(1).get_by_test_id("report-post").click()
    page.get_by_label("Sharing contact details or taking clients off-site").check()
    page.get_by_label("Anything our moderators should know").fill("Poaching clients")
    page.screenshot(path="/tmp/forum-report.png", full_page=True)
    page.get_by_test_id("send-report").click()
    expect(page.get_by_text("our moderators will look at it")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, live_server, mod)
    page.goto(f"{live_server.url}/admin/moderation/")
    page.get_by_role("link", name="Review").click()
    expect(page.get_by_text("Poaching clients")).to_be_visible()
    page.get_by_label("Why (told to the author)").fill("Taking clients off-site is not allowed")
    page.screenshot(path="/tmp/forum-moderate.png", full_page=True)
    page.get_by_role("button", name="Hide it").click()
    expect(page.get_by_text("No open reports")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, live_server, bea)
    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    expect(page.get_by_test_id("post")).to_have_count(1)
    page.goto(f"{live_server.url}/readers/mine/")
    expect(page.get_by_text("Our moderators hid your post")).to_be_visible()
