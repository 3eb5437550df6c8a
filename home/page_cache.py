"""Whole-page cache for anonymous visitors of Wagtail pages, invalidated on publish.

Why: a Wagtail page costs 10-20 queries and a template render; anonymous visitors (crawlers,
people browsing readers) all see the same HTML, and everything that differs per visitor or
changes by the second (presence, current prices, hearts, reading actions) comes in through small
HTMX fragments (readers:status, readers:directory_status). So the HTML of a page served by
Wagtail to a visitor without a session is stored in Redis and replayed without touching the
session, the user or the database.

What is stored: a 200 response of Wagtail's page view (marked by the ``before_serve_page`` hook in
``home.wagtail_hooks``) to a GET without a session or messages cookie, that sets no cookie
(a page that renders ``{% csrf_token %}`` sets one, so pages with forms are never stored) and
whose Cache-Control does not say private/no-cache/no-store.

Invalidation: every key embeds a site-wide generation that ``bump()`` replaces when content
changes (page published, unpublished, moved or deleted; reviews, specialties, tools, images,
settings and sites saved or deleted; see ``connect_signals``), so a published change shows at
once. Publishing is rare next to page views, so one generation for the whole site is simpler and
safer than tracking which pages list which others (the home page shows readers, the directory
shows every reader, menus show titles). Presence changes are not signals (a queryset update in
readings.presence); pages that order or label readers by presence (home, directory) are kept
only ``PAGE_CACHE_LIVE_SECONDS`` (15 s, the same staleness as the status fragments).

An expired page is kept STALE_SECONDS longer: while one request renders its successor, the
others get the old copy (``X-Page-Cache: stale``), so expiry does not stampede the renderers.

Browsers get ``Cache-Control: public, max-age=PAGE_CACHE_BROWSER_SECONDS`` (0 by default, so a
publish shows at once everywhere) and an ETag; a revalidation is answered 304 from the cache.

Content-Security-Policy nonces: a nonce read by the page's render is stored with it, and every
replay swaps in the replaying request's own nonce (home.csp's middleware, outside this one, then
writes the header for it), so no two responses share a nonce. A 304 carries no policy: the
browser keeps the one that came with the body it already has (a new one would name a nonce that
body does not carry).
"""

import hashlib
import time
import uuid
import zlib

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import (
    cc_delim_re,
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
)

GENERATION_KEY = "pagecache:generation"
# Set on the request by the before_serve_page hook: how long this page may be stored.
REQUEST_FLAG = "_soulseer_page_cache_seconds"
# Page types whose HTML orders or labels readers by presence (see the module docstring).
LIVE_PAGE_TYPES = {"home.homepage", "readers.readerindexpage"}
# Headers the stored HTML may depend on besides the URL: the directory answers an HTMX filter
# change (HX-Request, HX-Target) with its results fragment only.
KEY_HEADERS = ("HTTP_HX_REQUEST", "HTTP_HX_TARGET")
VARY_ALLOWED = {"cookie", "hx-request", "hx-target", "accept-encoding"}
SKIP_HEADERS = {"set-cookie", "x-page-cache"}
MESSAGES_COOKIE = "messages"
# An expired page is kept this much longer, to answer while one request renders its successor.
STALE_SECONDS = 60
# How long that one request may take before another one is let in to try.
REFRESH_LOCK_SECONDS = 30


def _now():
    return time.time()


def seconds_for(page):
    """How long ``page``'s HTML may be stored (0: never)."""
    seconds = int(getattr(settings, "PAGE_CACHE_SECONDS", 0))
    if seconds and page._meta.label_lower in LIVE_PAGE_TYPES:
        seconds = min(seconds, int(getattr(settings, "PAGE_CACHE_LIVE_SECONDS", 15)))
    return seconds


def mark_cacheable(request, page):
    setattr(request, REQUEST_FLAG, seconds_for(page))


def _new_generation():
    return uuid.uuid4().hex


def current_generation():
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _new_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def bump(**_kwargs):
    """Forget every stored page. Now, and again when the surrounding transaction commits, so a
    page rendered from the old rows between the two cannot outlive the change."""
    cache.set(GENERATION_KEY, _new_generation(), timeout=None)
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, _new_generation(), timeout=None))


def _eligible(request):
    if request.method != "GET" or not getattr(settings, "PAGE_CACHE_SECONDS", 0):
        return False
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME not in cookies
        and MESSAGES_COOKIE not in cookies
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _key(request, generation):
    parts = [
        generation,
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        *(request.META.get(header, "") for header in KEY_HEADERS),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"pagecache:page:{digest}"


def _storable(request, response):
    seconds = getattr(request, REQUEST_FLAG, 0)
    if not seconds or response.status_code != 200 or response.streaming or response.cookies:
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    cache_control = {
        part.split("=")[0].strip().lower()
        for part in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    if cache_control & {"private", "no-cache", "no-store"}:
        return False
    if getattr(request, "csp_features", None):
        # Its policy was widened while rendering (home.csp.allow); a replay renders nothing.
        return False
    vary = {part.strip().lower() for part in cc_delim_re.split(response.get("Vary", "")) if part}
    return vary <= VARY_ALLOWED


def _browser_headers(response):
    patch_cache_control(
        response, public=True, max_age=int(getattr(settings, "PAGE_CACHE_BROWSER_SECONDS", 0))
    )
    patch_vary_headers(response, ["HX-Request", "HX-Target"])


class AnonymousPageCacheMiddleware:
    """Serve stored pages before the session, the user or the database are touched.

    Sits right after WhiteNoise and before SessionMiddleware in MIDDLEWARE (after the host check,
    so its key never reads a host that is not ours).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _eligible(request):
            return self.get_response(request)
        generation = current_generation()
        key = _key(request, generation)
        stored = cache.get(key)
        refreshing = False
        if stored is not None:
            fresh_until = stored[0]
            if _now() < fresh_until:
                return self._replay(request, stored, "hit")
            # Expired but kept STALE_SECONDS longer: one request re-renders (it holds the lock),
            # the others are answered with the old copy meanwhile, so a popular page's expiry
            # does not send every concurrent visitor into a render at once. A publish changes
            # the generation, hence the key: nothing stale survives it.
            refreshing = cache.add(f"{key}:refresh", 1, REFRESH_LOCK_SECONDS)
            if not refreshing:
                return self._replay(request, stored, "stale")
        try:
            response = self.get_response(request)
            if _storable(request, response):
                self._store(request, response, key)
        finally:
            if refreshing:
                cache.delete(f"{key}:refresh")
        return response

    def _store(self, request, response, key):
        seconds = getattr(request, REQUEST_FLAG)
        if request.META.get("QUERY_STRING"):
            # Query strings are unbounded: keep their variants briefly (Redis also holds
            # Celery's queue, with noeviction).
            seconds = min(seconds, int(getattr(settings, "PAGE_CACHE_LIVE_SECONDS", 15)))
        _browser_headers(response)
        response["ETag"] = f'"{hashlib.md5(response.content, usedforsecurity=False).hexdigest()}"'
        headers = [(k, v) for k, v in response.items() if k.lower() not in SKIP_HEADERS]
        body = zlib.compress(response.content, 1)
        # The nonce only if the render read it (django-csp makes one lazily).
        nonce = getattr(request, "_csp_nonce", None)
        cache.set(key, (_now() + seconds, headers, body, nonce), seconds + STALE_SECONDS)
        response["X-Page-Cache"] = "miss"

    def _replay(self, request, stored, state):
        # Pages stored before nonces were kept have three fields.
        _fresh_until, headers, body, *rest = stored
        nonce = rest[0] if rest else None
        content = zlib.decompress(body)
        if nonce:
            content = content.replace(
                f'nonce="{nonce}"'.encode(), f'nonce="{request.csp_nonce}"'.encode()
            )
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        conditional = get_conditional_response(
            request, etag=response.get("ETag"), response=response
        )
        if conditional.status_code == 304:
            conditional._csp_exempt = conditional._csp_exempt_ro = True
        conditional["X-Page-Cache"] = state
        return conditional


def connect_signals():
    """What changes the HTML of pages: any of these forgets every stored page."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.images import get_image_model
    from wagtail.models import Page, Site
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from home.models import MarketplaceSettings
    from readers.models import Review, Specialty, Tool

    uid = "soulseer.page_cache"
    page_published.connect(bump, dispatch_uid=f"{uid}.published")
    page_unpublished.connect(bump, dispatch_uid=f"{uid}.unpublished")
    post_page_move.connect(bump, dispatch_uid=f"{uid}.moved")

    def page_deleted(sender, instance, **kwargs):
        if isinstance(instance, Page):
            bump()

    post_delete.connect(page_deleted, dispatch_uid=f"{uid}.page_deleted", weak=False)
    for model in (Review, Specialty, Tool, MarketplaceSettings, Site, get_image_model()):
        post_save.connect(bump, sender=model, dispatch_uid=f"{uid}.save.{model._meta.label}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"{uid}.delete.{model._meta.label}")
