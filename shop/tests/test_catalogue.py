"""The shop index filters its products (kind, price range, seller reader) and sorts them from the
query string, swaps only its results over HTMX with the URL pushed, ignores bad filters without
failing, and costs the same queries however many products it lists. The product page describes
its product in schema.org JSON-LD."""

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from home import page_cache
from shop.models import ProductPage
from shop.tests.factories import digital, image, physical

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "shop-results"}
BY_NAME = ["Altar candles", "Full moon meditation", "Moon deck"]


def names(response):
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return [link.get_text(strip=True) for link in soup.select("#shop-results article h2 a")]


@pytest.fixture
def luna():
    return UserFactory(reader=True, display_name="Luna Vale")


@pytest.fixture
def catalogue(shop, luna):
    """Three products: a deck by Luna ($34), a download by SoulSeer ($9), candles by SoulSeer
    ($18, the newest)."""
    now = timezone.now()
    deck = physical(shop, "Moon deck", price_cents=3400, seller=luna)
    meditation = digital(shop, "Full moon meditation", price_cents=900)
    candles = physical(shop, "Altar candles", price_cents=1800)
    for days_ago, product in ((3, deck), (2, meditation), (1, candles)):
        ProductPage.objects.filter(pk=product.pk).update(
            first_published_at=now - timedelta(days=days_ago)
        )
    return shop


def test_the_shop_lists_every_product_by_name_when_nothing_is_chosen(client, catalogue):
    assert names(client.get(catalogue.url)) == BY_NAME


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("physical", ["Altar candles", "Moon deck"]), ("digital", ["Full moon meditation"])],
)
def test_the_kind_filter_keeps_only_that_kind(client, catalogue, kind, expected):
    assert names(client.get(f"{catalogue.url}?kind={kind}")) == expected


def test_every_kind_of_product_can_be_chosen(client, catalogue):
    html = client.get(catalogue.url).content.decode()

    for value, label in ProductPage.Kind.choices:
        assert f'<option value="{value}">{label}</option>' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("min_price=10", ["Altar candles", "Moon deck"]),
        ("max_price=18", ["Altar candles", "Full moon meditation"]),
        ("min_price=9&max_price=18.00", ["Altar candles", "Full moon meditation"]),
        ("min_price=18.01&max_price=34", ["Moon deck"]),
    ],
)
def test_the_price_range_is_in_dollars_and_includes_its_ends(client, catalogue, query, expected):
    assert names(client.get(f"{catalogue.url}?{query}")) == expected


def test_the_seller_filter_keeps_one_readers_products_and_lists_only_readers_who_sell(
    client, catalogue, luna
):
    UserFactory(reader=True, display_name="Orion Hart")  # sells nothing
    response = client.get(f"{catalogue.url}?seller={luna.pk}")
    html = response.content.decode()

    assert names(response) == ["Moon deck"]
    assert "1 product matches your filters · sorted by name" in html
    assert f'<option value="{luna.pk}" selected>Luna Vale</option>' in html
    assert "Orion Hart" not in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", BY_NAME),
        ("price", ["Full moon meditation", "Altar candles", "Moon deck"]),
        ("-price", ["Moon deck", "Altar candles", "Full moon meditation"]),
        ("newest", ["Altar candles", "Full moon meditation", "Moon deck"]),
    ],
)
def test_each_sort_orders_the_products(client, catalogue, sort, expected):
    response = client.get(catalogue.url, {"sort": sort})

    assert names(response) == expected
    assert f'<option value="{sort}" selected>' in response.content.decode()


def test_newest_puts_the_latest_published_first(client, catalogue):
    ProductPage.objects.filter(title="Moon deck").update(first_published_at=timezone.now())

    assert names(client.get(f"{catalogue.url}?sort=newest"))[0] == "Moon deck"


@pytest.mark.parametrize(
    "query",
    [
        "min_price=cheap",
        "max_price=-5",
        "min_price=NaN",
        "min_price=1e400",
        "max_price=12.345",
        "min_price=30&max_price=10",
        "kind=spells",
        "seller=nobody",
        "seller=999999999999999999999999",
        "sort=random",
        "kind=physical&kind=%00",
    ],
)
def test_a_bad_filter_is_ignored_with_a_note_and_never_fails_the_page(client, catalogue, query):
    response = client.get(f"{catalogue.url}?{query}")

    assert response.status_code == 200
    assert 'data-testid="filter-problems"' in response.content.decode()
    assert names(response)  # the other filters (here none) still apply


def test_a_bad_filter_leaves_the_good_ones_in_force(client, catalogue):
    response = client.get(f"{catalogue.url}?kind=physical&min_price=lots&sort=-price")
    html = response.content.decode()

    assert names(response) == ["Moon deck", "Altar candles"]
    assert "2 products match your filters · sorted by price: high to low" in html
    assert "Lowest price: Enter a number." in html
    assert 'value=""' in html.split('id="f-min"')[1].split(">")[0]  # not refilled with it


def test_an_htmx_filter_change_returns_only_the_results(client, catalogue):
    response = client.get(f"{catalogue.url}?kind=digital", **HTMX)
    html = response.content.decode()

    assert html.lstrip().startswith('<section id="shop-results"')
    assert "<html" not in html and 'id="shop-filters"' not in html
    assert names(response) == ["Full moon meditation"]


def test_an_htmx_request_aimed_elsewhere_gets_the_whole_page(client, catalogue):
    html = client.get(catalogue.url, HTTP_HX_REQUEST="true").content.decode()

    assert "<html" in html and 'id="shop-filters"' in html


def test_the_filter_form_swaps_the_results_and_pushes_its_url(client, catalogue):
    soup = BeautifulSoup(client.get(catalogue.url).content, "html.parser")
    form = soup.select_one("form#shop-filters")

    assert form["method"] == "get" and form["action"] == catalogue.url
    assert form["hx-get"] == catalogue.url
    assert form["hx-target"] == "#shop-results" and form["hx-swap"] == "outerHTML"
    assert form["hx-push-url"] == "true"
    assert soup.select_one("#shop-results") is not None
    # The pushed URL lists every field, the empty ones too: it shows the same products.
    pushed = f"{catalogue.url}?kind=physical&min_price=&max_price=&seller=&sort=name"
    assert names(client.get(pushed)) == ["Altar candles", "Moon deck"]


def test_a_pushed_url_opened_later_shows_the_page_with_its_filters_chosen(client, catalogue):
    response = client.get(f"{catalogue.url}?kind=digital&max_price=20&sort=-price")
    html = response.content.decode()

    assert "<html" in html
    assert '<option value="digital" selected>' in html
    assert 'value="20"' in html
    assert '<option value="-price" selected>' in html
    assert '<meta name="robots" content="noindex, follow">' in html


def test_no_match_says_so_with_a_link_that_clears_the_filters(client, catalogue):
    response = client.get(f"{catalogue.url}?min_price=500", **HTMX)
    soup = BeautifulSoup(response.content, "html.parser")

    assert "No products match these filters" in soup.get_text()
    clear = soup.find("a", string="Clear filters")
    assert clear is not None and clear["href"] == catalogue.url


def test_an_empty_shop_is_not_mistaken_for_a_filter_with_no_match(client, shop):
    html = client.get(shop.url).content.decode()

    assert "The shop is being stocked" in html and "Clear filters" not in html


def test_filtered_and_htmx_pages_are_stored_apart_by_the_page_cache(client, catalogue, settings):
    settings.PAGE_CACHE_SECONDS = 600
    settings.PAGE_CACHE_LIVE_SECONDS = 15
    page_cache.bump()

    full = client.get(catalogue.url)
    digital_only = client.get(f"{catalogue.url}?kind=digital")
    partial = client.get(f"{catalogue.url}?kind=digital", **HTMX)

    assert full["X-Page-Cache"] == digital_only["X-Page-Cache"] == "miss"
    assert partial["X-Page-Cache"] == "miss"
    assert names(client.get(catalogue.url)) == BY_NAME
    again = client.get(f"{catalogue.url}?kind=digital")
    assert again["X-Page-Cache"] == "hit" and b"<html" in again.content
    assert names(again) == ["Full moon meditation"]
    again_partial = client.get(f"{catalogue.url}?kind=digital", **HTMX)
    assert again_partial["X-Page-Cache"] == "hit" and b"<html" not in again_partial.content
    assert "HX-Target" in again_partial["Vary"]
    # Nothing per visitor on the stored page: the note about a bad filter sets no cookie.
    ignored = client.get(f"{catalogue.url}?min_price=cheap")
    assert not ignored.cookies and ignored["X-Page-Cache"] == "miss"


def _queries(client, url, **headers):
    client.get(url, **headers)  # the first render makes the renditions
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **headers).status_code == 200
    return len(queries)


def _add(shop, count, seller, start=0):
    for n in range(start, start + count):
        physical(shop, f"Product {n}", price_cents=1000 + n, seller=seller, image=image(f"P{n}"))


def test_the_filtered_index_costs_the_same_with_3_or_12_products(client, shop, luna):
    url = f"{shop.url}?kind=physical&min_price=5&max_price=100&seller={luna.pk}&sort=-price"
    _add(shop, 3, luna)
    with_3 = (_queries(client, url), _queries(client, url, **HTMX))
    _add(shop, 9, luna, start=3)
    with_12 = (_queries(client, url), _queries(client, url, **HTMX))

    assert len(names(client.get(url))) == 12
    assert with_3 == with_12 == (FILTERED_INDEX_QUERIES, FILTERED_RESULTS_QUERIES)


# Pinned like shop/tests/test_queries.py: site, the page and its ancestors, view restrictions,
# the readers for the seller filter, the products, marketplace settings.
FILTERED_INDEX_QUERIES = 9
# The results alone skip the header's marketplace settings.
FILTERED_RESULTS_QUERIES = 8


def _json_ld(response):
    soup = BeautifulSoup(response.content, "html.parser")
    scripts = soup.find_all("script", type="application/ld+json")
    products = [json.loads(script.string) for script in scripts]
    return next(data for data in products if data.get("@type") == "Product")


def test_a_product_page_describes_the_product_and_its_offer_in_json_ld(client, shop, settings):
    product = physical(
        shop, "Moon deck", price_cents=3400, stock=3, summary="78 cards.", image=image("Deck")
    )

    data = _json_ld(client.get(product.url))

    assert data["@context"] == "https://schema.org"
    assert data["name"] == "Moon deck" and data["description"] == "78 cards."
    assert data["sku"] == str(product.pk)
    [photo] = data["image"]
    assert photo.startswith(("http://", "https://")) and ".jpg" in photo
    offer = data["offers"]
    assert offer["@type"] == "Offer"
    assert offer["price"] == "34.00" and offer["priceCurrency"] == "USD"
    assert offer["availability"] == "https://schema.org/InStock"
    assert offer["url"].endswith(product.url) and offer["url"].startswith("http")
    assert offer["seller"] == {"@type": "Organization", "name": "SoulSeer"}


def test_a_sold_out_product_is_out_of_stock_and_a_readers_product_names_its_reader(
    client, shop, luna
):
    product = physical(shop, price_cents=1250, stock=0, seller=luna)

    offer = _json_ld(client.get(product.url))["offers"]

    assert offer["price"] == "12.50"
    assert offer["availability"] == "https://schema.org/OutOfStock"
    assert offer["seller"] == {"@type": "Person", "name": "Luna Vale"}


def test_a_title_cannot_break_out_of_the_json_ld_script(client, shop):
    title = '</script><script>alert("x")</script> & <!-- deck'
    product = physical(shop, title, summary="</SCRIPT>")
    html = client.get(product.url).content.decode()
    start = html.index('<script type="application/ld+json">')
    script = html[start : html.index("</script>", start)]

    assert "<" not in script.removeprefix('<script type="application/ld+json">')
    assert _json_ld(client.get(product.url))["name"] == title
    assert '<script>alert("x")</script>' not in html
