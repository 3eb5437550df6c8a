"""Small HTTP helpers shared by the apps' views."""

import logging

from django.core.exceptions import DisallowedHost
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect

logger = logging.getLogger("soulseer.http")


def redirect_for(request, url):
    """Send the browser to ``url``: a normal redirect, or for an HTMX request a 204 with
    ``HX-Redirect`` (htmx would follow a 3xx inside its XHR and swap the next page into the
    fragment's target). django-htmx's ``HttpResponseClientRedirect`` answers 200, which htmx
    would still try to swap."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class RejectDisallowedHostMiddleware:
    """Answer a request whose Host is not in ALLOWED_HOSTS with a plain 400 and one warning line.

    First in MIDDLEWARE because the page cache (its key) and SecurityMiddleware's HTTPS redirect
    both read the host: left to them, the DisallowedHost they raise is logged by Django at error
    level with a full traceback, and scanners send such requests all day.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.get_host()
        except DisallowedHost:
            logger.warning(
                "Refused a request for host %r (not in ALLOWED_HOSTS): %s %s",
                request.META.get("HTTP_HOST", ""),
                request.method,
                request.path,
            )
            return HttpResponseBadRequest(
                "Bad Request: unknown host.", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
