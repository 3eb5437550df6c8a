from django.http import HttpResponsePermanentRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors here: the database may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


def favicon(request):
    """Browsers and crawlers ask for /favicon.ico whatever the page links; send them to the
    icon (hashed static URL in production) instead of rendering a 404 page each time."""
    return HttpResponsePermanentRedirect(static("favicon-32.png"))
