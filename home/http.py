"""Small HTTP helpers shared by the apps' views."""

from django.http import HttpResponse
from django.shortcuts import redirect


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
