"""Content-Security-Policy: django-csp's middleware plus the sources only some pages need.

The site-wide policy is ``SECURITY_POLICY_DIRECTIVES`` in settings (strict: scripts from our
origin or with the response's nonce). A template that loads a third party declares it with
``{% csp_allow "stripe_js" %}`` (soulseer_tags), and only that response's policy names the third
party's origins, derived from the same settings the template uses (``STRIPE_JS_URL`` points at
localstripe in development). Wagtail's admin gets what its own code needs (``ADMIN_SOURCES``).

Pages that declare a source are never stored by the anonymous page cache (home.page_cache), whose
replays run no template: all of them need a login anyway.
"""

from functools import cache

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.urls import reverse

REAL_STRIPE_JS = "https://js.stripe.com"


def _origin(url):
    scheme, _, rest = (url or "").partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}" if scheme and host else None


def stripe_js_sources():
    """Stripe.js and what it talks to (https://docs.stripe.com/security/guide#content-security-policy):
    the script, its Elements and 3-D Secure frames, and the API it calls from the browser."""
    script = _origin(settings.STRIPE_JS_URL)
    api = _origin(getattr(settings, "STRIPE_API_HOST", None) or "https://api.stripe.com")
    if script == REAL_STRIPE_JS:
        return {
            "script-src": [REAL_STRIPE_JS, "https://*.js.stripe.com"],
            "frame-src": [REAL_STRIPE_JS, "https://*.js.stripe.com", "https://hooks.stripe.com"],
            "connect-src": [api],
        }
    # localstripe's stand-in draws plain inputs (no frames) and calls its own origin.
    return {"script-src": [script], "connect-src": [script, api]}


def stripe_connect_sources():
    """The payouts page posts to us and is redirected to Stripe's hosted onboarding."""
    return {"form-action": ["https://connect.stripe.com"]}


def agora_sources():
    """Agora Web SDK 4.x (static/vendor): HTTPS to its scheduling and report servers, WebSockets to
    edge gateways on their own ports (``wss://1-2-3-4.edge.agora.io:4705``), and blob: workers
    for media transforms. Media itself travels over WebRTC, which CSP does not govern."""
    return {
        "connect-src": [
            "https://*.agora.io",
            "https://*.sd-rtn.com",
            "wss://*.agora.io:*",
            "wss://*.sd-rtn.com:*",
        ],
        "worker-src": ["blob:"],
    }


FEATURES = {
    "stripe_js": stripe_js_sources,
    "stripe_connect": stripe_connect_sources,
    "agora": agora_sources,
}

# Wagtail 8's admin is not nonce-ready: its widgets render inline init scripts
# (``new ImageChooser("id_photo", ...)``, date pickers) and its jQuery re-inserts scripts that
# come with chooser modals and panel templates. So under /admin/ alone script-src is 'self' plus
# 'unsafe-inline' (no nonce: a nonce would make browsers ignore 'unsafe-inline'). Script files
# from other origins, eval, plugins, <base>, foreign form targets and framing stay refused there
# too. The admin also fetches staff avatars from Gravatar (WAGTAIL_GRAVATAR_PROVIDER_URL,
# protocol-relative, hence no scheme) and checks for new releases on the dashboard
# (WAGTAIL_ENABLE_UPDATE_CHECK).
ADMIN_REPLACE = {"script-src": [SELF, UNSAFE_INLINE]}
ADMIN_SOURCES = {
    "img-src": ["www.gravatar.com"],
    "connect-src": ["https://releases.wagtail.org"],
}


def allow(request, *features):
    """Let ``request``'s response load what ``features`` (keys of FEATURES) need."""
    unknown = set(features) - FEATURES.keys()
    if unknown:
        raise ValueError(f"Unknown CSP feature(s): {', '.join(sorted(unknown))}")
    allowed = getattr(request, "csp_features", set())
    request.csp_features = allowed | set(features)


@cache
def _admin_prefix():
    return reverse("wagtailadmin_home")


def _merge(into, sources):
    for directive, values in sources.items():
        into[directive] = [*into.get(directive, ()), *values]
    return into


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        extra = {}
        for feature in sorted(getattr(request, "csp_features", ())):
            _merge(extra, FEATURES[feature]())
        if request.path_info.startswith(_admin_prefix()):
            _merge(extra, ADMIN_SOURCES)
            parts.replace = {**(parts.replace or {}), **ADMIN_REPLACE}
        if extra:
            parts.update = _merge(dict(parts.update or {}), extra)
        return parts
