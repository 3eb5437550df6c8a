"""Reads for the directory, reader pages and My readers, with their joins decided once."""

from decimal import Decimal, InvalidOperation

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Case, F, IntegerField, Prefetch, Value, When
from django.db.models.functions import Least
from django.http import QueryDict
from wagtail.images import get_image_model

from readers.models import Favorite, ReaderPage, Review, Specialty, startable_channels

PAGE_SIZE = 12
CARD_RENDITION = "fill-400x400"
CHANNELS = {"chat": "Chat", "voice": "Voice", "video": "Video"}
SORTS = {
    "recommended": "Recommended",
    "rating": "Highest rated",
    "price": "Lowest price",
    "newest": "Newest",
}
MIN_RATINGS = {"4.5": "4.5 ★ and up", "4": "4 ★ and up", "3": "3 ★ and up"}


def with_card_relations(queryset):
    """What a reader card touches: the photo with its card rendition, and specialties."""
    images = get_image_model().objects.prefetch_renditions(CARD_RENDITION)
    return queryset.select_related(None).prefetch_related(
        Prefetch("photo", queryset=images), "specialties"
    )


def _dollars_to_cents(value):
    try:
        amount = Decimal(str(value).strip().lstrip("$"))
    except (InvalidOperation, ValueError):
        return None
    if amount < 0 or amount > 1000:
        return None
    return int(amount * 100)


def parse_filters(params):
    """Validated filters from the query string; unknown or malformed values are dropped."""
    filters = {
        "specialty": params.get("specialty", "").strip()[:60],
        "channel": params.get("channel", "")
        if params.get("channel") in startable_channels()
        else "",
        "min_price": params.get("min_price", "").strip()[:8],
        "max_price": params.get("max_price", "").strip()[:8],
        "rating": params.get("rating", "") if params.get("rating") in MIN_RATINGS else "",
        "language": params.get("language", "").strip()[:40],
        "online": params.get("online") in {"1", "on", "true"},
        "sort": params.get("sort", "") if params.get("sort") in SORTS else "recommended",
    }
    filters["min_price_cents"] = (
        _dollars_to_cents(filters["min_price"]) if filters["min_price"] else None
    )
    filters["max_price_cents"] = (
        _dollars_to_cents(filters["max_price"]) if filters["max_price"] else None
    )
    return filters


def filtered_readers(index, filters):
    readers = ReaderPage.objects.live().public().child_of(index)
    channel = filters["channel"]
    if channel:
        readers = readers.filter(**{f"offers_{channel}": True})
        price = F(f"{channel}_rate_cents")
    else:
        startable = [f"{key}_rate_cents" for key in startable_channels()]
        price = Least(*startable) if len(startable) > 1 else F(startable[0])
    readers = readers.annotate(price_cents=price)
    if filters["specialty"]:
        readers = readers.filter(specialties__slug=filters["specialty"])
    if filters["min_price_cents"] is not None:
        readers = readers.filter(price_cents__gte=filters["min_price_cents"])
    if filters["max_price_cents"] is not None:
        readers = readers.filter(price_cents__lte=filters["max_price_cents"])
    if filters["rating"]:
        readers = readers.filter(rating_count__gt=0, rating_average__gte=Decimal(filters["rating"]))
    if filters["language"]:
        readers = readers.filter(languages__icontains=filters["language"])
    if filters["online"]:
        readers = readers.filter(presence=ReaderPage.Presence.ONLINE)
    order = {
        # Online first, then the best rated; stable by title.
        "recommended": [
            Case(
                When(presence=ReaderPage.Presence.ONLINE, then=Value(0)),
                When(presence=ReaderPage.Presence.BUSY, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ).asc(),
            "-rating_average",
            "-rating_count",
            "title",
        ],
        "rating": ["-rating_average", "-rating_count", "title"],
        "price": ["price_cents", "-rating_average", "title"],
        "newest": [F("first_published_at").desc(nulls_last=True), "title"],
    }[filters["sort"]]
    return readers.order_by(*order)


def language_options(index):
    languages = set()
    for value in ReaderPage.objects.live().child_of(index).values_list("languages", flat=True):
        languages.update(lang.strip() for lang in value.split(",") if lang.strip())
    return sorted(languages)


def directory_context(index, params):
    filters = parse_filters(params)
    readers = with_card_relations(filtered_readers(index, filters))
    paginator = Paginator(readers, PAGE_SIZE)
    try:
        page_obj = paginator.page(params.get("page", 1))
    except (PageNotAnInteger, EmptyPage):
        page_obj = paginator.page(1)
    # The query string without ``page`` for pagination links and the pushed URL.
    query = QueryDict(mutable=True)
    for key in ("specialty", "channel", "min_price", "max_price", "rating", "language", "sort"):
        if filters[key] and not (key == "sort" and filters[key] == "recommended"):
            query[key] = filters[key]
    if filters["online"]:
        query["online"] = "1"
    active = (
        any(
            filters[key]
            for key in ("specialty", "channel", "min_price", "max_price", "rating", "language")
        )
        or filters["online"]
    )
    return {
        "filters": filters,
        "readers": page_obj,
        "page_obj": page_obj,
        "filter_query": query.urlencode(),
        "filters_active": active,
        "specialty_options": Specialty.objects.all(),
        "language_options": language_options(index),
        "channel_options": {
            key: label for key, label in CHANNELS.items() if key in startable_channels()
        },
        "sort_options": SORTS,
        "rating_options": MIN_RATINGS,
    }


def visible_reviews(page, limit=10):
    return list(
        Review.objects.filter(reader_page=page, is_hidden=False)
        .select_related("client")
        .only(
            "rating",
            "text",
            "reply",
            "replied_at",
            "created_at",
            "client__display_name",
            "client__first_name",
            "client__username",
        )[:limit]
    )


def favorite_page_ids(user, page_ids):
    if not user.is_authenticated:
        return set()
    return set(
        Favorite.objects.filter(client=user, reader_page_id__in=page_ids).values_list(
            "reader_page_id", flat=True
        )
    )


def my_favorites(user):
    images = get_image_model().objects.prefetch_renditions(CARD_RENDITION)
    return list(
        Favorite.objects.filter(client=user, reader_page__live=True)
        .select_related("reader_page")
        .prefetch_related(
            Prefetch("reader_page__photo", queryset=images), "reader_page__specialties"
        )
    )
