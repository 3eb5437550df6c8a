"""Wagtail's admin under the Content-Security-Policy in a real browser: log in, the dashboard,
a reader's page in the page editor (choosers, date pickers, the live preview) and that page on
the site with Wagtail's user bar, with no violation reported (``browser_page`` fails the test on
any)."""

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from readings.tests.factories import make_reader
from soulseer.testing.playwright import *  # noqa: F403 (Chromium launch and page fixtures)
from soulseer.testing.playwright import default_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def directives(response):
    policy = response.headers["content-security-policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def test_wagtail_admin_login_dashboard_and_page_editor_run_within_the_policy(
    browser_page, live_server
):
    default_site()
    reader_page = make_reader()
    staff = UserFactory(is_staff=True, is_superuser=True)
    page = browser_page

    response = page.goto(f"{live_server.url}/admin/login/")
    assert directives(response)["script-src"] == ["'self'", "'unsafe-inline'"]
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    page.locator("main").get_by_role("heading").first.wait_for()
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/admin/pages/{reader_page.pk}/edit/")
    page.locator("#id_title").wait_for()
    # The editor's scripts ran: the side panel toggles and the preview renders the page.
    page.locator("[data-side-panel-toggle='preview']").click()
    page.frame_locator("iframe[title='Preview']").first.locator("main").wait_for()
    page.wait_for_load_state("networkidle")

    # The site's own policy (nonces, no 'unsafe-inline') with the user bar drawn for staff.
    response = page.goto(f"{live_server.url}{reader_page.url}")
    script_src = directives(response)["script-src"]
    assert "'unsafe-inline'" not in script_src
    page.locator("wagtail-userbar").wait_for(state="attached")
    page.wait_for_load_state("networkidle")
