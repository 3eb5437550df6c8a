"""The directory: filters, sorts, HTMX partial, pagination, bounded queries; cacheable pages."""

import re

import pytest
from django.urls import reverse

from readers.models import ReaderPage, Specialty
from readers.tests.factories import make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(reader_index):
    tarot = Specialty.objects.create(name="Tarot", slug="tarot")
    love = Specialty.objects.create(name="Love", slug="love")
    make_reader(
        reader_index,
        "Luna Vale",
        specialties=[tarot],
        presence="online",
        rating_average="4.90",
        rating_count=30,
        chat_rate_cents=199,
        languages="English, Spanish",
    )
    make_reader(
        reader_index,
        "Orion Hart",
        specialties=[love],
        presence="offline",
        rating_average="4.20",
        rating_count=8,
        chat_rate_cents=599,
        voice_rate_cents=699,
        video_rate_cents=799,
    )
    make_reader(
        reader_index,
        "Sage Moon",
        specialties=[tarot, love],
        presence="busy",
        rating_average="3.10",
        rating_count=2,
        chat_rate_cents=350,
        offers_video=False,
    )
    return reader_index


def names(response):
    return [reader.display_name for reader in response.context["readers"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Luna Vale", "Orion Hart", "Sage Moon"]),
        ("?specialty=tarot", ["Luna Vale", "Sage Moon"]),
        ("?channel=video", ["Luna Vale", "Orion Hart"]),
        ("?online=1", ["Luna Vale"]),
        ("?rating=4.5", ["Luna Vale"]),
        ("?language=spanish", ["Luna Vale"]),
        ("?max_price=3.50", ["Luna Vale", "Sage Moon"]),
        ("?min_price=4&channel=chat", ["Orion Hart"]),
        ("?specialty=love&rating=4", ["Orion Hart"]),
        ("?max_price=abc&rating=bogus", ["Luna Vale", "Orion Hart", "Sage Moon"]),
    ],
)
def test_filters_return_exactly_the_matching_readers(client, directory, query, expected, settings):
    settings.AGORA_APP_ID = "0123456789abcdef0123456789abcdef"  # voice and video can start
    response = client.get(
        f"{directory.url}{query}&sort=rating" if query else directory.url + "?sort=rating"
    )
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(expected)


def test_without_voice_and_video_the_directory_filters_and_prices_by_chat_only(
    client, directory, settings
):
    settings.AGORA_APP_ID = ""

    response = client.get(directory.url + "?channel=video&sort=rating")
    html = response.content.decode()

    # The video filter is not offered and a crafted one is ignored.
    assert sorted(names(response)) == ["Luna Vale", "Orion Hart", "Sage Moon"]
    assert 'value="video"' not in html and 'value="voice"' not in html
    assert "Call</a>" not in html
    assert "Voice" not in html and "Video" not in html
    reader_html = client.get(directory.get_children().live().first().url).content.decode()
    prices = re.search(r'id="reader-prices">(.*?)</ul>', reader_html, re.S).group(1)
    assert "Chat" in prices and "Voice" not in prices and "Video" not in prices
    assert (
        "voice"
        not in re.search(r'<meta name="description" content="([^"]*)"', reader_html)
        .group(1)
        .lower()
    )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("rating", ["Luna Vale", "Orion Hart", "Sage Moon"]),
        ("price", ["Luna Vale", "Sage Moon", "Orion Hart"]),
        ("newest", ["Sage Moon", "Orion Hart", "Luna Vale"]),
        # Online first, then busy, then offline; best rated first within each.
        ("recommended", ["Luna Vale", "Sage Moon", "Orion Hart"]),
    ],
)
def test_sorts_order_readers(client, directory, sort, expected):
    assert names(client.get(f"{directory.url}?sort={sort}")) == expected


def test_htmx_filter_change_returns_only_the_results(client, directory):
    response = client.get(
        f"{directory.url}?specialty=love",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="directory-results",
    )
    html = response.content.decode()
    assert html.lstrip().startswith("{% load") is False
    assert '<section id="directory-results"' in html
    assert "<html" not in html
    assert "Orion Hart" in html and "Luna Vale" not in html


def test_filtered_empty_result_says_what_to_do(client, directory):
    html = client.get(f"{directory.url}?language=Klingon").content.decode()
    assert "No readers match these filters" in html
    assert "Clear all filters" in html


def test_pagination_keeps_the_filters(client, reader_index, settings):
    from readers import selectors

    tarot = Specialty.objects.create(name="Tarot", slug="tarot")
    for n in range(selectors.PAGE_SIZE + 2):
        make_reader(reader_index, f"Reader {n:02d}", specialties=[tarot], photo=False)
    response = client.get(f"{reader_index.url}?specialty=tarot&sort=price")
    html = response.content.decode()
    assert "specialty=tarot&amp;sort=price&amp;page=2" in html
    page_two = client.get(f"{reader_index.url}?specialty=tarot&sort=price&page=2")
    assert len(page_two.context["readers"]) == 2


def test_directory_queries_do_not_grow_with_readers(
    client, reader_index, django_assert_max_num_queries
):
    tarot = Specialty.objects.create(name="Tarot", slug="tarot")
    for n in range(3):
        make_reader(reader_index, f"Few {n}", specialties=[tarot])
    client.get(reader_index.url)
    with django_assert_max_num_queries(16) as few:
        client.get(reader_index.url)
    for n in range(9):
        make_reader(reader_index, f"Many {n}", specialties=[tarot])
    client.get(reader_index.url)
    with django_assert_max_num_queries(16) as many:
        response = client.get(reader_index.url)
    assert len(response.context["readers"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_directory_status_fragment_swaps_presence_and_hearts_out_of_band(client, directory):
    ids = ",".join(str(reader.pk) for reader in directory.get_children().specific())
    response = client.get(f"{reverse('readers:directory_status')}?ids={ids},junk")
    html = response.content.decode()
    assert html.count('hx-swap-oob="innerHTML"') == 6
    assert "Busy in a reading" in html


def test_directory_html_holds_no_per_user_favorite_state(client, directory):
    from accounts.tests.factories import UserFactory
    from readers import services

    user = UserFactory()
    luna = directory.get_children().get(slug="luna-vale").specific
    services.toggle_favorite(user, luna)
    anonymous_html = client.get(directory.url).content.decode()
    client.force_login(user)
    html = client.get(directory.url).content.decode()
    assert 'aria-pressed="true"' not in html
    # Every card has a heart: an empty one for the client, a link to log in for a visitor (no
    # form, so no CSRF token and the anonymous page stays cacheable).
    hearts = html.count('aria-pressed="false"')
    assert hearts == ReaderPage.objects.live().child_of(directory).count()
    assert anonymous_html.count("Log in to save") == hearts
    assert "csrfmiddlewaretoken" not in anonymous_html
