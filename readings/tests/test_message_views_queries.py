"""The inbox's pages cost the same number of queries however many threads or messages they
show, and the header reads its unread count from the cache (one query when it must count)."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readings import message_selectors, messaging
from readings.tests.message_helpers import (
    ask,
    logged_in,
    make_client,
    png,
    reader_with_offer,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def count_queries(web, url, **extra):
    web.get(url, **extra)  # warm per-process caches (site root paths, settings row)
    with CaptureQueriesContext(connection) as captured:
        response = web.get(url, **extra)
    assert response.status_code in (200, 204), url
    return len(captured)


def client_inbox(threads):
    """A client with ``threads`` answered questions to as many readers, one reply unread each."""
    client = make_client(balance=threads * 3_000)
    for _ in range(threads):
        page, offer = reader_with_offer()
        request = ask(client, page, offer)
        messaging.reply(page.user, request, "Here is your reading.")
    return client


def reader_inbox(threads):
    """A reader with ``threads`` clients, each with a question waiting (deadlines differ)."""
    page, offer = reader_with_offer()
    for _ in range(threads):
        ask(make_client(balance=3_000), page, offer)
    return page.user


@pytest.mark.parametrize("make_inbox", [client_inbox, reader_inbox])
def test_the_inbox_costs_the_same_queries_for_one_thread_or_ten(make_inbox):
    url = reverse("readings:message_inbox")
    one = count_queries(logged_in(make_inbox(1)), url)
    ten = count_queries(logged_in(make_inbox(10)), url)

    assert one == ten
    # The user (the session is in the cache), the paginator's count, the page's threads with
    # previews, unread counts and deadlines (one query), the wallet chip, the footer's site and
    # settings; the header's unread count comes from the cache.
    assert ten == 6


def test_searching_the_inbox_costs_the_same_queries_for_one_thread_or_ten():
    url = reverse("readings:message_inbox") + "?q=reading"
    one = count_queries(logged_in(client_inbox(1)), url, HTTP_HX_TARGET="inbox-results", **HTMX)
    ten = count_queries(logged_in(client_inbox(10)), url, HTTP_HX_TARGET="inbox-results", **HTMX)
    assert one == ten == 3  # the user, the count, the rows (no header in the fragment)


def thread_with(messages, files=0):
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer, attachments=[png(f"p{i}.png") for i in range(files)])
    messaging.reply(page.user, request, "Here is your reading.")
    for number in range(messages):
        messaging.send(client, request.thread, f"Follow-up {number}")
    return client, request.thread


def test_a_thread_page_costs_the_same_queries_for_one_message_or_ten():
    client, thread = thread_with(1, files=1)
    url = reverse("readings:message_thread", args=[thread.public_id])
    one = count_queries(logged_in(client), url)
    client, thread = thread_with(10, files=3)
    ten = count_queries(
        logged_in(client), reverse("readings:message_thread", args=[thread.public_id])
    )

    assert one == ten
    # The user, the thread, its messages, their attachments, the waiting request, blocks, the
    # reader's page, the offers, the wallet chip, the footer's site and settings.
    assert ten == 11


def test_the_thread_poll_costs_the_same_queries_for_one_message_or_ten():
    counts = []
    for messages in (1, 10):
        client, thread = thread_with(messages)
        web = logged_in(client)
        url = reverse("readings:message_thread", args=[thread.public_id])
        context = web.get(url).context
        poll = f"{url}?v={context['version']}&mode={context['mode_key']}"
        counts.append(count_queries(web, poll, **HTMX))
    assert counts[0] == counts[1] == 8  # the page's less the header and footer


def test_the_header_reads_the_unread_count_from_the_cache_and_counts_once_when_it_must(
    django_assert_num_queries,
):
    client = client_inbox(3)
    template = Template(
        "{% load message_tags %}{% inbox_link %}{% inbox_link 'mobile' %}{% inbox_link 'menu' %}"
    )
    cache.delete(message_selectors._unread_key(client.pk))

    def render():
        request = RequestFactory().get("/")
        request.user = client
        return template.render(Context({"request": request, "user": client}))

    with django_assert_num_queries(1):
        html = render()
    assert html.count("Inbox: 3 unread messages") == 2 and '3<span class="sr-only"> unread' in html
    with django_assert_num_queries(0):
        assert "Inbox: 3 unread messages" in render()


def test_the_header_badge_poll_is_one_query_after_the_session():
    client = client_inbox(2)
    web = logged_in(client)
    assert count_queries(web, reverse("readings:message_unread_badge")) == 2  # user, count
    many = logged_in(client_inbox(10))
    assert count_queries(many, reverse("readings:message_unread_badge")) == 2


def test_the_desk_card_and_the_reader_page_box_cost_the_same_for_one_request_or_ten():
    one, ten = reader_inbox(1), reader_inbox(10)
    desk = reverse("readings:message_desk")
    # The user, the requests shown, how many wait, how many were missed.
    assert count_queries(logged_in(one), desk) == count_queries(logged_in(ten), desk) == 4

    page, offer = reader_with_offer()
    for number in range(4):
        messaging.save_offer(
            page.user, title=f"Reading {number}", price_cents=1_000 + number, reply_hours=12
        )
    box = reverse("readings:message_reader_offers", args=[page.pk])
    visitor = logged_in(make_client())
    # The user, the page, its offers, blocks between the visitor and the reader.
    assert count_queries(visitor, box) == 4
