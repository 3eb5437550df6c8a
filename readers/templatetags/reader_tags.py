"""SEO helpers for reader pages: schema.org Person JSON-LD and breadcrumbs."""

import hashlib
import json

from django import template
from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from home import page_cache
from home.templatetags.soulseer_tags import absolute_url, canonical_url, rating_display
from wallet.money import decimal_string

register = template.Library()


def _script(data):
    # Escape what could end the script element early (same as json_script).
    payload = (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
        .replace("&", "\\u0026")
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag(takes_context=True)
def reader_person_json_ld(context, reader, image_url=""):
    """A schema.org Person who makesOffer per-minute readings (Service) with their rating."""
    url = canonical_url(context)
    name = reader.display_name or reader.title
    # Prefetched onto the page itself: the template lists the same specialties further down
    # (page.specialties.all), which then costs no second query.
    prefetch_related_objects([reader], "specialties")
    specialties = [specialty.name for specialty in reader.specialties.all()]
    service = {
        "@type": "Service",
        "name": f"Psychic readings with {name}",
        "serviceType": "Psychic reading",
        "url": url,
        "provider": {"@type": "Person", "name": name, "url": url},
    }
    if reader.rating_count:
        service["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": rating_display(reader.rating_average),
            "reviewCount": reader.rating_count,
            "bestRating": "5",
            "worstRating": "1",
        }
    data = {
        "@context": "https://schema.org",
        "@type": "Person",
        "@id": f"{url}#reader",
        "name": name,
        "url": url,
        "jobTitle": "Psychic reader",
        "makesOffer": [
            {
                "@type": "Offer",
                "name": f"{label} reading",
                "price": decimal_string(rate),
                "priceCurrency": "USD",
                "unitText": "MINUTE",
                "priceSpecification": {
                    "@type": "UnitPriceSpecification",
                    "price": decimal_string(rate),
                    "priceCurrency": "USD",
                    "unitCode": "MIN",
                },
                "itemOffered": dict(service, name=f"{label} reading with {name}"),
            }
            for _key, label, rate in reader.rates
        ],
    }
    if image_url:
        data["image"] = absolute_url(context, image_url)
    if reader.tagline:
        data["description"] = reader.tagline
    if specialties:
        data["knowsAbout"] = specialties
    if reader.language_list:
        data["knowsLanguage"] = reader.language_list
    return _script(data)


@register.simple_tag(takes_context=True)
def breadcrumbs_json_ld(context, page):
    """BreadcrumbList from the site root to ``page`` (ancestors below the root).

    Cached so the page costs no query for its ancestors. The crumbs name the ancestors too, so
    the entry is only good for the site-wide page generation it was built in: publishing,
    moving or deleting any page (e.g. renaming the directory) or editing a Site starts a new
    generation (home.page_cache.bump). Generation and entry come in one round trip.
    """
    digest = hashlib.sha256(f"{page.url_path}\n{page.title}".encode()).hexdigest()[:32]
    key = f"readers:breadcrumbs:{page.pk}:{digest}"
    found = cache.get_many([page_cache.GENERATION_KEY, key])
    generation = found.get(page_cache.GENERATION_KEY) or page_cache.current_generation()
    stored = found.get(key)
    if stored is not None and stored[0] == generation:
        return stored[1]
    html = _breadcrumbs(context, page)
    cache.set(key, (generation, html), 3600)
    return html


def _breadcrumbs(context, page):
    request = context.get("request")
    site = page.get_site()
    root_path = site.root_page.url_path if site else "/"
    crumbs = [
        ancestor
        for ancestor in page.get_ancestors(inclusive=True)
        if ancestor.depth > 1 and ancestor.url_path.startswith(root_path)
    ]
    items = []
    for position, crumb in enumerate(crumbs, start=1):
        items.append(
            {
                "@type": "ListItem",
                "position": position,
                "name": "Home" if crumb.url_path == root_path else crumb.title,
                "item": absolute_url(context, crumb.get_url(request=request) or ""),
            }
        )
    return _script(
        {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items}
    )
