"""Fixed-window rate limits kept in the Django cache (Redis in every environment but unit tests
that swap the cache).

``check_rate_limit(key, limit, window_seconds)`` counts one hit and says whether the caller is still
within the limit; ``rate_limit(...)`` wraps a view with it. Any app may use both.

Counting happens *before* the work (increment, then compare), so concurrent requests can never
squeeze past the limit; a view that only wants to count failures gives the slot back afterwards
with ``release_rate_limit`` (see ``rate_limit(counts=...)``).
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

DEFAULT_PREFIX = "ratelimit"


def _cache_key(key):
    # Keys carry user input (usernames, IPs); hash them so every key is short and cache-safe.
    prefix = getattr(settings, "RATELIMIT_CACHE_PREFIX", DEFAULT_PREFIX)
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()}"


def hit_count(key):
    """Hits counted against ``key`` in its current window (0 when none)."""
    return cache.get(_cache_key(key), 0)


def check_rate_limit(key, limit, window_seconds):
    """Count one hit against ``key``; return True while at most ``limit`` hits fell in the window.

    The window starts at the first hit and is fixed (it does not slide with later hits).
    """
    cache_key = _cache_key(key)
    # add() is a no-op when the key exists, so only the first hit of a window sets the expiry.
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The window expired between add() and incr(): this hit opens a new one.
        cache.add(cache_key, 0, timeout=window_seconds)
        count = cache.incr(cache_key)
    return count <= limit


def release_rate_limit(key):
    """Give back one hit counted by ``check_rate_limit`` (for attempts that turned out fine)."""
    try:
        if cache.decr(_cache_key(key)) < 0:
            cache.delete(_cache_key(key))
    except ValueError:
        pass  # the window has already expired


def reset_rate_limit(key):
    cache.delete(_cache_key(key))


def client_ip(request):
    """The client's address: REMOTE_ADDR, which the production server (site/gunicorn.conf.py)
    has already resolved from the X-Forwarded-For hops of trusted proxies. Behind N proxies of a
    server that does not (``RATELIMIT_TRUSTED_PROXY_COUNT``), the Nth address from the right of
    X-Forwarded-For; the left part is client-controlled."""
    proxies = getattr(settings, "RATELIMIT_TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _too_many_requests(request):
    return HttpResponse(
        "Too many attempts. Please wait a few minutes and try again.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )


def rate_limit(
    *, key, limit, window_seconds, methods=("POST",), counts=None, on_limited=_too_many_requests
):
    """Decorate a view so at most ``limit`` requests per ``key(request)`` run in each window.

    - ``methods``: only these HTTP methods are counted and limited.
    - ``counts(request, response) -> bool``: when given, a request whose response does not count
      (e.g. a successful login) gets its hit back, so only the counted outcomes use up the limit.
    - ``on_limited(request) -> HttpResponse``: the reply once the limit is used up (should be
      a 429); the view itself is not called.
    For class-based views use ``method_decorator(rate_limit(...), name="dispatch")``.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return view(request, *args, **kwargs)
            bucket = key(request)
            if not check_rate_limit(bucket, limit, window_seconds):
                # Refused requests do no work, so they don't use up anything either.
                release_rate_limit(bucket)
                return on_limited(request)
            response = view(request, *args, **kwargs)
            if counts is not None and not counts(request, response):
                release_rate_limit(bucket)
            return response

        return wrapper

    return decorator
