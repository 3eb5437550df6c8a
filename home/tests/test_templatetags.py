import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.base import Message
from django.template import Context, Template
from django.test import RequestFactory

from home.templatetags.soulseer_tags import (
    alert_class,
    cents,
    initials,
    page_kind,
    per_minute,
    rating_display,
    topics_in_order,
)


def render(source, **context):
    return Template("{% load soulseer_tags %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (399, "$3.99"),
        (5, "$0.05"),
        (0, "$0.00"),
        (100, "$1.00"),
        (123456, "$1,234.56"),
        (-250, "-$2.50"),
        ("299", "$2.99"),
        (None, ""),
        ("", ""),
        ("not a number", ""),
    ],
)
def test_cents_formats_minor_units_as_dollars(value, expected):
    assert cents(value) == expected


def test_per_minute_appends_the_unit():
    assert per_minute(399) == "$3.99/min"
    assert per_minute(0) == "$0.00/min"


def test_per_minute_of_nothing_is_empty():
    assert per_minute(None) == ""


def test_cents_filter_works_in_a_template():
    assert render("{{ rate|per_minute }} / {{ price|cents }}", rate=299, price=1999) == (
        "$2.99/min / $19.99"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Decimal("4.85"), "4.9"), (Decimal("5.00"), "5.0"), (None, "0.0"), (7, "5.0"), (-1, "0.0")],
)
def test_rating_display_rounds_and_clamps(value, expected):
    assert rating_display(value) == expected


def test_stars_show_rating_as_text_and_fill_width():
    html = render("{% stars rating count %}", rating=Decimal("4.50"), count=12)
    assert "width: 90%" in html
    assert "4.5" in html
    assert "out of 5" in html
    assert "(12 reviews)" in html


def test_stars_use_singular_for_one_review():
    assert "(1 review)" in render("{% stars 5 1 %}")


def test_stars_without_reviews_say_so_instead_of_zero_stars():
    html = render("{% stars 0 0 %}")
    assert "no reviews yet" in html
    assert "width:" not in html


def test_nav_current_marks_the_section_being_viewed():
    request = RequestFactory().get("/readers/luna/")
    assert render("{% nav_current '/readers/' %}", request=request) == ' aria-current="page"'
    assert render("{% nav_current '/shop/' %}", request=request) == ""


def test_nav_current_without_request_is_empty():
    assert render("{% nav_current '/readers/' %}") == ""


def test_canonical_url_uses_site_url_and_path_outside_wagtail_pages():
    request = RequestFactory().get("/search/?q=tarot")
    html = render("{% canonical_url %}", request=request, SITE_URL="https://soulseer.example")
    assert html == "https://soulseer.example/search/"


def test_canonical_url_prefers_the_page_url():
    page = SimpleNamespace(get_url=lambda request=None: "/readers/luna/")
    html = render("{% canonical_url %}", page=page, SITE_URL="https://soulseer.example")
    assert html == "https://soulseer.example/readers/luna/"


def test_absolute_url_keeps_urls_that_are_already_absolute():
    assert render("{% absolute_url u %}", u="https://cdn.example/x.jpg", SITE_URL="https://s") == (
        "https://cdn.example/x.jpg"
    )
    assert render("{% absolute_url u %}", u="/media/x.jpg", SITE_URL="https://s") == (
        "https://s/media/x.jpg"
    )


def test_initials_take_the_first_two_words():
    assert initials("luna vale moon") == "LV"
    assert initials("") == ""
    assert initials(None) == ""


def test_alert_class_maps_message_levels():
    assert alert_class(Message(message_levels.ERROR, "x")) == "alert-error"
    assert alert_class(Message(message_levels.SUCCESS, "x")) == "alert-success"
    assert alert_class(Message(message_levels.INFO, "x")) == "alert-info"


def test_page_kind_labels_known_page_types_and_falls_back_to_page():
    reader = SimpleNamespace(_meta=SimpleNamespace(model_name="readerpage"))
    other = SimpleNamespace(_meta=SimpleNamespace(model_name="standardpage"))
    assert page_kind(reader) == "Reader"
    assert page_kind(other) == "Page"


class FakeSpecialties:
    def __init__(self, names):
        self.names = names

    def all(self):
        return [SimpleNamespace(name=name) for name in self.names]


def test_reader_json_ld_describes_prices_and_rating_and_cannot_break_out_of_script():
    reader = SimpleNamespace(
        display_name="Luna </script><b>",
        title="Luna",
        tagline="Tarot & love",
        rates=[("chat", "Chat", 299), ("voice", "Voice", 399), ("video", "Video", 1005)],
        specialties=FakeSpecialties(["Tarot"]),
        language_list=["English", "Spanish"],
        rating_count=3,
        rating_average=Decimal("4.67"),
        get_url=lambda request=None: "/readers/luna/",
    )
    html = render("{% reader_json_ld reader %}", reader=reader, page=reader, SITE_URL="https://s")
    assert html.startswith('<script type="application/ld+json">')
    assert "</script><b>" not in html
    payload = json.loads(
        html.removeprefix('<script type="application/ld+json">')[: -len("</script>")]
    )
    assert payload["url"] == "https://s/readers/luna/"
    assert [offer["price"] for offer in payload["offers"]] == ["2.99", "3.99", "10.05"]
    assert payload["aggregateRating"]["ratingValue"] == "4.7"
    assert payload["provider"]["knowsAbout"] == ["Tarot"]
    assert payload["provider"]["name"] == "Luna </script><b>"


def test_topics_in_order_puts_getting_started_first():
    topics = {"Readings": ["r"], "Account and privacy": ["a"], "Getting started": ["g"]}
    labels = [label for label, _articles in topics_in_order(topics)]
    assert labels == ["Getting started", "Readings", "Account and privacy"]
