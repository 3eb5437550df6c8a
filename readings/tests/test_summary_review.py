"""The summary of an ended reading is where a client reviews it: the form when the reading
qualifies, the reason when it does not, the review itself once written."""

import pytest
from django.urls import reverse

from readers import services as reader_services
from readings import services
from readings.tests.factories import active_session, make_client, make_reader, shift_back

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader_page():
    return make_reader(presence="online", chat=300)


@pytest.fixture
def client_user():
    return make_client(balance=5000)


def ended_with_paid_minutes(client_user, reader_page, minutes):
    """A reading billed through the services for ``minutes`` paid minutes, then ended."""
    session = active_session(client_user, reader_page, free_minutes=0)
    shift_back(session, (minutes - 1) * 60 + 10)
    services.end(session, client_user)
    session.refresh_from_db()
    assert session.paid_minutes == minutes
    return session


def summary_html(client, user, session):
    client.force_login(user)
    response = client.get(reverse("readings:session", kwargs={"public_id": session.public_id}))
    assert response.status_code == 200
    return response.content.decode()


def test_summary_of_a_qualifying_reading_shows_the_review_form(client, client_user, reader_page):
    session = ended_with_paid_minutes(client_user, reader_page, 6)

    html = summary_html(client, client_user, session)

    action = reverse("readers:review_create", args=[session.public_id])
    assert f'action="{action}"' in html
    assert 'name="rating"' in html and 'name="text"' in html
    assert "open here soon" not in html


def test_review_posted_from_the_summary_is_saved_and_then_shown_there(
    client, client_user, reader_page
):
    session = ended_with_paid_minutes(client_user, reader_page, 6)
    client.force_login(client_user)
    client.post(
        reverse("readers:review_create", args=[session.public_id]),
        {"rating": 4, "text": "Clear and kind, thank you."},
    )

    html = summary_html(client, client_user, session)

    assert "Clear and kind, thank you." in html
    assert 'name="text"' not in html
    assert 'Rated </span>4.0<span class="sr-only"> out of 5' in html


def test_summary_of_a_short_reading_says_when_reviews_open(client, client_user, reader_page):
    session = ended_with_paid_minutes(client_user, reader_page, 3)

    html = summary_html(client, client_user, session)

    assert "at least 5 paid minutes" in html
    assert "This reading had 3 paid minutes" in html
    assert 'name="text"' not in html


def test_the_reader_sees_no_review_form_on_the_summary(client, client_user, reader_page):
    session = ended_with_paid_minutes(client_user, reader_page, 6)

    html = summary_html(client, reader_page.user, session)

    assert 'name="rating"' not in html
    assert "How was your reading?" not in html


def test_the_reader_sees_the_clients_review_on_the_summary(client, client_user, reader_page):
    session = ended_with_paid_minutes(client_user, reader_page, 6)
    reader_services.create_review(client_user, session, rating=5, text="Spot on about my move.")

    html = summary_html(client, reader_page.user, session)

    assert "Spot on about my move." in html
