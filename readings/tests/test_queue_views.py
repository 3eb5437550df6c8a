"""'Call me when free' on the reader page: the actions panel in the status fragment, joining and
leaving a busy reader's line (POST + CSRF), the turn (offer) with its countdown, "Start now" and
"Pass", and a lapsed turn moving to the next client."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from readings import services
from readings.models import QueueEntry, ReadingSession
from readings.tasks import sweep_reading_timeouts
from readings.tests.factories import active_session, make_client, make_reader

pytestmark = pytest.mark.django_db


# Enough for the first minute of any channel: joining the line needs it (see presence.join_queue).
QUEUE_BALANCE = 5_000


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def busy_reader():
    reader = make_reader(presence="online", chat=300)
    session = active_session(make_client(balance=10_000), reader)
    reader.refresh_from_db()
    assert reader.presence == "busy"
    return reader, session


def logged_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def status(browser, page):
    response = browser.get(reverse("readers:status", args=[page.pk]))
    assert response.status_code == 200
    return response.content.decode()


def panel(browser, page):
    response = browser.get(reverse("readings:queue_panel", args=[page.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.content.decode()


def post(browser, name, page, **extra):
    return browser.post(
        reverse(f"readings:{name}", args=[page.pk]), HTTP_HX_REQUEST="true", **extra
    )


# Who may queue ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_and_see_sign_up(busy_reader):
    reader, _ = busy_reader
    response = Client().post(reverse("readings:queue_join", args=[reader.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]
    assert not QueueEntry.objects.exists()
    html = status(Client(), reader)
    assert "Sign up to start a reading" in html and "Notify me when free" not in html


def test_joining_needs_a_csrf_token(busy_reader):
    reader, _ = busy_reader
    user = make_client(balance=QUEUE_BALANCE)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert post(strict, "queue_join", reader).status_code == 403
    assert post(strict, "queue_leave", reader).status_code == 403
    assert not QueueEntry.objects.exists()


def test_queue_views_take_posts_only(busy_reader):
    reader, _ = busy_reader
    browser = logged_in(make_client(balance=QUEUE_BALANCE))
    assert browser.get(reverse("readings:queue_join", args=[reader.pk])).status_code == 405
    assert not QueueEntry.objects.exists()


def test_the_reader_cannot_queue_for_themselves(busy_reader):
    reader, _ = busy_reader
    browser = logged_in(reader.user)
    assert "Notify me when free" not in status(browser, reader)
    assert "Open your reading desk" in status(browser, reader)

    response = post(browser, "queue_join", reader)

    assert response.status_code == 200
    assert "You cannot start a reading with yourself." in response.content.decode()
    assert not QueueEntry.objects.exists()


def test_nobody_queues_for_a_free_or_an_offline_reader():
    online = make_reader(presence="online")
    offline = make_reader(presence="offline")
    browser = logged_in(make_client(balance=1_000))

    html = status(browser, online)
    assert "Chat now" in html and "Notify me when free" not in html
    assert "free now: start a reading" in post(browser, "queue_join", online).content.decode()

    html = status(browser, offline)
    assert "offline right now" in html and "Notify me when free" not in html
    assert "offline" in post(browser, "queue_join", offline).content.decode()
    assert not QueueEntry.objects.exists()


def test_a_client_short_of_the_first_minutes_is_offered_a_top_up_link(busy_reader):
    reader, _ = busy_reader
    browser = logged_in(make_client(balance=100))

    html = post(browser, "queue_join", reader).content.decode()

    needed = reader.chat_rate_cents * services.min_start_minutes()
    assert f"You need at least ${needed // 100}.{needed % 100:02d} in your wallet" in html
    assert f'href="{reverse("wallet:topup")}" data-testid="queue-topup-link"' in html
    assert not QueueEntry.objects.exists()
    # Other refusals offer no top-up.
    assert (
        "queue-topup-link"
        not in post(logged_in(reader.user), "queue_join", reader).content.decode()
    )


def test_a_plain_form_post_redirects_back_with_a_message(busy_reader):
    reader, _ = busy_reader
    browser = logged_in(make_client(balance=QUEUE_BALANCE))
    response = browser.post(reverse("readings:queue_join", args=[reader.pk]))
    assert response.status_code == 302
    assert QueueEntry.objects.filter(state="waiting").count() == 1


# In line ----------------------------------------------------------------------------------------


def test_a_client_joins_sees_their_place_and_leaves(busy_reader):
    reader, _ = busy_reader
    first, second = (
        logged_in(make_client(balance=QUEUE_BALANCE)),
        logged_in(make_client(balance=QUEUE_BALANCE)),
    )

    html = status(first, reader)
    assert "is in a reading right now" in html and "Notify me when free" in html

    joined = post(first, "queue_join", reader).content.decode()
    assert "You're #1 in line" in joined and "Leave the line" in joined
    joined = post(second, "queue_join", reader).content.decode()
    assert "You're #2 in line" in joined
    # Joining twice keeps the place.
    assert "You're #2 in line" in post(second, "queue_join", reader).content.decode()
    assert QueueEntry.objects.filter(state="waiting").count() == 2

    # The status fragment (swapped into the page every 30 s) shows the same place and is not
    # cached while the visitor waits; the panel itself polls every few seconds.
    response = second.get(reverse("readers:status", args=[reader.pk]))
    html = response.content.decode()
    assert "You're #2 in line" in html and 'hx-swap-oob="innerHTML"' in html
    assert "max-age=0" in response["Cache-Control"]
    assert reverse("readings:queue_panel", args=[reader.pk]) in html

    left = post(first, "queue_leave", reader).content.decode()
    assert "Notify me when free" in left
    assert "You're #1 in line" in panel(second, reader)


# The turn ---------------------------------------------------------------------------------------


def test_reader_free_first_gets_the_turn_it_lapses_then_the_second_gets_it(busy_reader):
    reader, session = busy_reader
    first_user, second_user = make_client(balance=5_000), make_client(balance=5_000)
    first, second = logged_in(first_user), logged_in(second_user)
    post(first, "queue_join", reader)
    post(second, "queue_join", reader)

    services.end(session, session.client)  # the reader is free

    html = panel(first, reader)
    assert "It's your turn" in html
    assert 'data-testid="offer-countdown"' in html and "data-queue-countdown=" in html
    offer = QueueEntry.objects.get(client=first_user)
    assert offer.state == "offered"
    assert 55 <= (offer.offer_expires_at - offer.offered_at).total_seconds() <= 60
    assert ">60<" in html or ">59<" in html  # seconds left, rendered server-side
    assert "Start chat now" in html and "Pass" in html
    # The presence badge comes along out of band: the reader is no longer shown as busy.
    assert 'id="reader-presence" hx-swap-oob="innerHTML"' in html and "Online now" in html
    html = panel(second, reader)
    assert "You're #2 in line" in html and "It's your turn" not in html
    # Someone else holds the turn: the reader, though online, is not startable by the second.
    assert "Chat now" not in status(second, reader)

    # The first client lets the 60 s run out; the beat sweeper lapses the turn.
    QueueEntry.objects.filter(pk=offer.pk).update(
        offer_expires_at=offer.offer_expires_at - timedelta(seconds=61)
    )
    assert sweep_reading_timeouts()["offers_lapsed"] == 1

    html = panel(first, reader)
    assert "Your turn ran out" in html and "Notify me when free" in html
    html = panel(second, reader)
    assert "It's your turn" in html

    # "Start now" is the normal request flow; the reader is reserved for the second client.
    response = second.post(reverse("readings:start"), {"reader": reader.pk, "channel": "chat"})
    reading = ReadingSession.objects.get(client=second_user)
    assert response.status_code == 302 and str(reading.public_id) in response["Location"]
    assert reading.state == "requested"
    assert QueueEntry.objects.get(client=second_user).state == "taken"


def test_passing_gives_the_turn_to_the_next_client(busy_reader):
    reader, session = busy_reader
    first_user, second_user = make_client(balance=QUEUE_BALANCE), make_client(balance=QUEUE_BALANCE)
    first, second = logged_in(first_user), logged_in(second_user)
    post(first, "queue_join", reader)
    post(second, "queue_join", reader)
    services.end(session, session.client)

    html = post(first, "queue_pass", reader).content.decode()

    assert "Notify me when free" in html  # the reader is reserved for the next client now
    assert QueueEntry.objects.get(client=first_user).state == "left"
    assert QueueEntry.objects.get(client=second_user).state == "offered"
    assert "It's your turn" in panel(second, reader)


def test_a_client_can_wait_behind_an_offer_out_to_someone_else(busy_reader):
    reader, session = busy_reader
    first = logged_in(make_client(balance=QUEUE_BALANCE))
    post(first, "queue_join", reader)
    services.end(session, session.client)  # online, but reserved for the first client

    late = logged_in(make_client(balance=QUEUE_BALANCE))
    html = status(late, reader)
    assert "about to start a reading with the next client in line" in html
    assert "You're #2 in line" in post(late, "queue_join", reader).content.decode()


# Query budget -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ahead", [1, 6])
def test_status_fragment_query_count_is_pinned_and_flat_in_the_line_length(
    busy_reader, ahead, django_assert_num_queries
):
    reader, _ = busy_reader
    for _ in range(ahead):
        post(logged_in(make_client(balance=QUEUE_BALANCE)), "queue_join", reader)
    waiting = logged_in(make_client(balance=QUEUE_BALANCE))
    post(waiting, "queue_join", reader)
    outsider = logged_in(make_client(balance=QUEUE_BALANCE))
    status(waiting, reader)  # warm the session/site caches like a page that already loaded
    status(outsider, reader)
    status(Client(), reader)

    # Page + user (the session lives in the cache) + favourites + the visitor's latest queue
    # entry with its place in line (one query, whatever the length of the line).
    with django_assert_num_queries(4):
        assert f"You're #{ahead + 1} in line" in status(waiting, reader)
    # Not in line: the same four (no "is an offer out?" query while the reader is busy).
    with django_assert_num_queries(4):
        assert "Notify me when free" in status(outsider, reader)
    # Anonymous: the page only.
    with django_assert_num_queries(1):
        assert "Sign up" in status(Client(), reader)


def test_the_readers_desk_shows_how_many_clients_wait_in_line(busy_reader):
    reader, _ = busy_reader
    desk = logged_in(reader.user)
    fragment = desk.get(reverse("readings:reader_incoming"), HTTP_HX_REQUEST="true")
    assert 'data-testid="queue-count"' not in fragment.content.decode()

    for _ in range(2):
        post(logged_in(make_client(balance=QUEUE_BALANCE)), "queue_join", reader)

    html = desk.get(reverse("readings:reader_incoming"), HTTP_HX_REQUEST="true").content.decode()
    assert "<strong>2</strong> clients waiting in your line" in html
