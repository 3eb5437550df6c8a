"""A client's "My readings": every reading that took place with its cost, summary, transcript,
review and "book again", upcoming bookings, and an empty state."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from readers import services as reader_services
from readings import bookings
from readings.tests.factories import (
    make_booking,
    make_client,
    make_reader,
    open_all_week,
    tomorrow_at,
)
from readings.tests.test_summary_review import ended_with_paid_minutes

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader_page():
    page = make_reader(presence="online", chat=300)
    open_all_week(page.user)
    return page


@pytest.fixture
def client_user():
    return make_client(balance=50_000)


def my_readings(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("readings:mine"), params)
    assert response.status_code == 200
    return response


def test_a_client_without_readings_sees_an_empty_state_with_a_way_to_find_one(client):
    html = my_readings(client, make_client()).content.decode()
    assert 'data-testid="no-readings"' in html
    assert "Find a reader" in html


def test_a_past_reading_shows_its_reader_length_cost_and_links(client, client_user, reader_page):
    session = ended_with_paid_minutes(client_user, reader_page, 6)
    html = my_readings(client, client_user).content.decode()
    assert html.count('data-testid="reading-row"') == 1
    assert reader_page.display_name in html
    assert "6 paid min" in html
    assert '<span data-testid="reading-cost">$18.00</span>' in html
    assert reverse("readings:session", args=[session.public_id]) in html
    assert reverse("readings:transcript", args=[session.public_id]) in html
    assert reverse("readings:book", args=[reader_page.pk]) in html
    assert "Write a review" in html


def test_a_reviewed_reading_shows_the_rating_instead_of_the_review_link(
    client, client_user, reader_page
):
    session = ended_with_paid_minutes(client_user, reader_page, 5)
    reader_services.create_review(client_user, session, rating=4, text="Clear and kind.")
    html = my_readings(client, client_user).content.decode()
    assert "You rated" in html
    assert "Write a review" not in html


def test_a_short_reading_offers_no_review(client, client_user, reader_page):
    ended_with_paid_minutes(client_user, reader_page, 2)
    html = my_readings(client, client_user).content.decode()
    assert html.count('data-testid="reading-row"') == 1
    assert "Write a review" not in html


def test_upcoming_bookings_are_listed_and_cancelled_ones_apart(client, client_user, reader_page):
    make_booking(client_user, reader_page, starts_at=tomorrow_at(10))
    cancelled = make_booking(client_user, reader_page, starts_at=tomorrow_at(14))
    bookings.cancel(cancelled, client_user)
    html = my_readings(client, client_user).content.decode()
    assert 'data-testid="upcoming-readings"' in html
    assert 'data-testid="missed-bookings"' in html
    assert html.count('data-testid="booking-row"') == 2


def test_another_clients_readings_are_not_shown(client, client_user, reader_page):
    ended_with_paid_minutes(client_user, reader_page, 5)
    html = my_readings(client, make_client()).content.decode()
    assert 'data-testid="reading-row"' not in html


def test_my_readings_needs_a_login(client):
    response = client.get(reverse("readings:mine"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_costs_the_same_queries_for_one_reading_or_many(
    client, client_user, reader_page, django_assert_max_num_queries
):
    ended_with_paid_minutes(client_user, reader_page, 5)
    client.force_login(client_user)
    client.get(reverse("readings:mine"))  # warms the per-process caches (site root paths)
    with django_assert_max_num_queries(9) as one:  # measured 8
        client.get(reverse("readings:mine"))
    for _ in range(3):
        ended_with_paid_minutes(client_user, reader_page, 5)
    other = make_reader(presence="online", chat=200)
    ended_with_paid_minutes(client_user, other, 5)
    with django_assert_max_num_queries(9) as many:
        response = client.get(reverse("readings:mine"))
    assert response.content.decode().count('data-testid="reading-row"') == 5
    assert len(many) == len(one)


def test_staff_see_the_page_too(client):
    html = my_readings(client, UserFactory(staff=True)).content.decode()
    assert 'data-testid="no-readings"' in html
