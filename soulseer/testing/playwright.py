"""Shared Playwright fixtures for browser tests (Debian's Chromium, no network).

Use from any app's ``tests/conftest.py``::

    from soulseer.testing.playwright import *  # noqa: F401,F403

then mark tests ``@pytest.mark.browser`` and use ``browser_page`` (a Playwright ``page`` with
Django's async-safety check relaxed for that test only) and ``log_in(page, live_server, user)``.
Every ``browser_page`` test also fails if the browser reported a Content-Security-Policy
violation; a test that opens more browser contexts passes each to ``csp_violations.watch``.
See /work/shared/notes/browser-and-websocket-tests.md for why each setting is here.
"""

import os
import shutil

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD
from soulseer.testing import database

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NO_NETWORK = "MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"

__all__ = [
    "browser_type_launch_args",
    "django_allow_async_unsafe",
    "browser_page",
    "csp_violations",
    "log_in",
    "default_site",
    "CHROMIUM",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options plus Debian's Chromium and no outbound look-ups."""
    args = list(browser_type_launch_args.get("args", []))
    args.append(f"--host-resolver-rules={NO_NETWORK}")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args}


@pytest.fixture(scope="session")
def django_allow_async_unsafe():
    """Playwright's sync API keeps an event loop running for the rest of the session, and Django
    refuses ORM calls under one unless told. Switched on at the first browser test and left on:
    browser tests run last (root conftest), so no other test runs with it (process-wide it would
    hide real async bugs in Channels tests)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Runs in every frame before the page's own scripts. Chromium logs a refusal to the console by
# itself ("Refused to execute inline script because it violates the following Content Security
# Policy directive ..."), not always with the blocked thing's origin; the event has all of it.
CSP_LISTENER = """
window.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation (" + e.disposition + "): " + e.effectiveDirective + " blocked "
    + (e.blockedURI || "?") + " at " + (e.sourceFile || document.URL) + ":" + e.lineNumber
    + (e.sample ? " sample: " + e.sample : ""));
}, true);
"""


class CSPViolations:
    """Collects Content-Security-Policy violations of the pages of watched contexts or pages."""

    def __init__(self):
        self.reports = []

    def watch(self, target):
        """Watch a Playwright ``BrowserContext`` (its current and future pages) or one ``Page``."""
        target.add_init_script(CSP_LISTENER)
        if hasattr(target, "new_page"):
            for page in target.pages:
                self._listen(page)
            target.on("page", self._listen)
        else:
            self._listen(target)
        return target

    def _listen(self, page):
        page.on("console", lambda message: self._console(page, message))

    def _console(self, page, message):
        text = message.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            self.reports.append(f"{page.url}: {text}")


@pytest.fixture
def csp_violations(context):
    """The test's CSP violations, watching pytest-playwright's ``context`` (hence ``page``)."""
    violations = CSPViolations()
    violations.watch(context)
    return violations


@pytest.fixture
def browser_page(django_allow_async_unsafe, django_db_setup, csp_violations, page):
    """A Playwright page for a ``@pytest.mark.browser`` test (request it before DB fixtures).
    The test fails if a page of a watched context reported a CSP violation."""
    # The first ``page`` of a session starts an event loop, after which this thread sees other
    # connection objects: a test whose database was set up before (a ``django_db`` marker) ends
    # with a flush on them, which must find the snapshot too.
    database.give_snapshots_to_this_context()
    page.set_default_timeout(15_000)
    yield page
    # Reports arrive asynchronously: let the last page deliver what it has queued.
    if not page.is_closed():
        page.wait_for_timeout(100)
    violations = list(csp_violations.reports)
    # No request of this test may still run when its database is flushed: close the browser
    # context (no more polling), then let the live server's last requests finish.
    page.context.close()
    database.wait_for_other_sessions()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


def log_in(page, live_server, user, password=DEFAULT_PASSWORD):
    """Log ``user`` in through the real login form."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def default_site(hostname="localhost"):
    """A fresh default Wagtail ``Site`` for a transactional browser test, which starts from
    whatever an earlier transactional test left (content types flushed and recreated, maybe no
    root page). Returns the site."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Locale, Page, Site

    # Cached content type ids may be stale after a flush: drop them before Wagtail validates
    # pages against them.
    ContentType.objects.clear_cache()
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    Site.objects.all().delete()
    return Site.objects.create(hostname=hostname, port=80, root_page=root, is_default_site=True)
