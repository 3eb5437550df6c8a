"""Template helpers shared by every SoulSeer page: money, ratings, navigation, SEO."""

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlencode

from django import template
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from home import csp
from wallet.money import decimal_string, format_cents

register = template.Library()

STAR_COUNT = 5


def _to_int(value):
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@register.filter
def cents(value):
    """Integer cents as dollars: 399 -> "$3.99", 123456 -> "$1,234.56", None -> ""."""
    amount = _to_int(value)
    return "" if amount is None else format_cents(amount)


@register.filter
def per_minute(value):
    """Integer cents as a per-minute rate: 399 -> "$3.99/min"."""
    amount = cents(value)
    return f"{amount}/min" if amount else ""


def _rating(value):
    try:
        rating = Decimal(str(value or 0))
    except (InvalidOperation, ValueError):
        rating = Decimal(0)
    return max(Decimal(0), min(Decimal(STAR_COUNT), rating))


@register.filter
def rating_display(value):
    """A rating rounded to one decimal for display: Decimal("4.85") -> "4.9"."""
    return str(_rating(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@register.inclusion_tag("components/stars.html")
def stars(rating, count=None, size="md", show_count=True):
    """Star rating: a gold fill over a muted track, with the number as the accessible text."""
    value = _rating(rating)
    count = _to_int(count)
    return {
        "rating": rating_display(value),
        "percent": f"{value / STAR_COUNT * 100:.0f}",
        "count": count,
        "has_reviews": bool(value) and count != 0,
        "size": size,
        "show_count": show_count,
        "glyphs": "★" * STAR_COUNT,
    }


@register.simple_tag(takes_context=True)
def csp_allow(context, *features):
    """``{% csp_allow "stripe_js" %}``: this response's Content-Security-Policy lets the page load
    what the feature needs (home.csp.FEATURES). Put it next to the tag that loads it."""
    request = context.get("request")
    if request is not None:
        csp.allow(request, *features)
    return ""


@register.simple_tag(takes_context=True)
def nav_current(context, prefix):
    """`aria-current="page"` when the request path is inside ``prefix`` (for nav links)."""
    request = context.get("request")
    if request is None:
        return ""
    path = request.path
    current = path == prefix if prefix == "/" else path.startswith(prefix)
    return mark_safe(' aria-current="page"') if current else ""  # noqa: S308 - constant string


@register.simple_tag(takes_context=True)
def editor_userbar(context):
    """Wagtail's userbar (edit link, accessibility checker) on CMS pages, for the people who edit
    them: staff on any page, a reader on their own profile page. App pages (desk, reading room,
    wallet) and clients never get it. Clients are ruled out before Wagtail's own permission
    queries run."""
    request = context.get("request")
    page = getattr(request, "cms_page", None)
    user = getattr(request, "user", None)
    if page is None or user is None or not user.is_authenticated:
        return ""
    staff = user.is_staff or user.is_superuser or user.is_staff_role
    own_profile = user.is_reader and getattr(page, "user_id", None) == user.pk
    if not (staff or own_profile):
        return ""
    from wagtail.admin.templatetags.wagtailuserbar import wagtailuserbar

    return wagtailuserbar(context)


@register.simple_tag(takes_context=True)
def return_here(context):
    """``?next=<this page>`` for the header's Log in and Sign up links, so logging in brings a
    visitor back to the page they were on (not for the home page or the account pages)."""
    request = context.get("request")
    if request is None or request.path == "/" or request.path.startswith("/accounts/"):
        return ""
    return "?" + urlencode({"next": request.get_full_path()})


def _absolute(context, url):
    if not url:
        return ""
    if url.startswith(("http://", "https://")):
        return url
    return f"{context.get('SITE_URL', '')}{url}"


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """The canonical absolute URL: the Wagtail page's URL, else the request path, on SITE_URL."""
    page = context.get("page")
    request = context.get("request")
    url = ""
    if page is not None and hasattr(page, "get_url"):
        url = page.get_url(request=request) or ""
    if not url and request is not None:
        url = request.path
    return _absolute(context, url)


@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    """Make a site-relative URL (e.g. an image rendition's) absolute on SITE_URL."""
    return _absolute(context, url)


@register.simple_tag
def prefetch_readers(readers, rendition_spec="fill-400x400"):
    """Live reader pages from a chooser list, with specialties, photos and renditions prefetched.

    Reader cards touch ``specialties`` and ``photo``; without this a featured-readers block
    costs several queries per card.
    """
    from wagtail.images import get_image_model

    pages = [reader for reader in (readers or []) if reader is not None and reader.live]
    if pages:
        images = get_image_model().objects.prefetch_renditions(rendition_spec)
        prefetch_related_objects(pages, "specialties", Prefetch("photo", queryset=images))
    return pages


@register.simple_tag(takes_context=True)
def reader_json_ld(context, reader):
    """schema.org JSON-LD for a reader page: a Person offering a Service, with its rating."""
    url = canonical_url(context)
    data = {
        "@context": "https://schema.org",
        "@type": "Service",
        "name": f"Psychic readings with {reader.display_name or reader.title}",
        "url": url,
        "serviceType": "Psychic reading",
        "provider": {
            "@type": "Person",
            "name": reader.display_name or reader.title,
            "url": url,
        },
        "offers": [
            {
                "@type": "Offer",
                "name": f"{label} reading",
                "price": decimal_string(rate),
                "priceCurrency": "USD",
                "unitText": "MINUTE",
            }
            for _key, label, rate in reader.rates
        ],
    }
    if reader.tagline:
        data["provider"]["description"] = reader.tagline
    specialties = [specialty.name for specialty in reader.specialties.all()]
    if specialties:
        data["provider"]["knowsAbout"] = specialties
    languages = reader.language_list
    if languages:
        data["provider"]["knowsLanguage"] = languages
    if reader.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": rating_display(reader.rating_average),
            "reviewCount": reader.rating_count,
            "bestRating": "5",
            "worstRating": "1",
        }
    # Escape the characters that could end the script element early (same as json_script).
    payload = (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
        .replace("&", "\\u0026")
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.filter
def initials(name):
    """Up to two initials for an avatar placeholder: "Luna Vale" -> "LV"."""
    parts = [part for part in str(name or "").split() if part]
    return "".join(part[0] for part in parts[:2]).upper()


MESSAGE_ALERT_CLASSES = {
    "debug": "alert-info",
    "info": "alert-info",
    "success": "alert-success",
    "warning": "alert-warning",
    "error": "alert-error",
}


@register.filter
def alert_class(message):
    """The alert CSS class for a django.contrib.messages message."""
    level_tag = getattr(message, "level_tag", "") or "info"
    return MESSAGE_ALERT_CLASSES.get(level_tag, "alert-info")


PAGE_KIND_LABELS = {
    "homepage": "Home",
    "readerpage": "Reader",
    "readerindexpage": "Readers",
    "helppage": "Help article",
    "helpindexpage": "Help centre",
    "productpage": "Shop",
    "shopindexpage": "Shop",
}


@register.filter
def page_kind(page):
    """A short, human label for a page's type in search results ("Reader", "Help article")."""
    model_name = getattr(getattr(page, "_meta", None), "model_name", "")
    return PAGE_KIND_LABELS.get(model_name, "Page")


@register.filter
def topics_in_order(topics):
    """Help-centre topics as (label, articles) pairs in the order HelpPage.Topic declares them.

    The page groups articles by topic label; readers expect "Getting started" first, not A-Z.
    """
    from home.models import HelpPage

    order = {label: index for index, (_value, label) in enumerate(HelpPage.Topic.choices)}
    return sorted(
        (topics or {}).items(), key=lambda item: (order.get(item[0], len(order)), item[0])
    )
