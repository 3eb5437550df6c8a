from django.conf import settings


def site_chrome(request):
    """Values every page's header and footer need."""
    return {
        "AUTH0_ENABLED": settings.AUTH0_ENABLED,
        "SITE_URL": settings.SITE_URL.rstrip("/"),
    }
