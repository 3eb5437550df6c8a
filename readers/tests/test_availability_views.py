"""The reader's availability editor (readers.availability_views)."""

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from readers import availability
from readers.models import AvailabilityException, AvailabilityRule, ReaderPage
from readings.tests.factories import make_reader

pytestmark = pytest.mark.django_db

URL = "/readers/availability/"


@pytest.fixture
def reader():
    page = make_reader()
    page.user.timezone = "Europe/Paris"
    page.user.save(update_fields=["timezone"])
    return page.user


def logged_in(user, **kwargs):
    browser = Client(**kwargs)
    browser.force_login(user)
    return browser


def rules_of(user):
    return list(
        AvailabilityRule.objects.filter(reader=user).values_list(
            "weekday", "start_time", "end_time"
        )
    )


def test_url_is_named():
    assert reverse("readers:availability") == URL


def test_anonymous_visitors_go_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_clients_are_refused(client):
    client.force_login(UserFactory())
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"start_0": "09:00", "end_0": "12:00"}).status_code == 403
    assert client.post(reverse("readers:availability_exception_add")).status_code == 403
    assert client.post(reverse("readers:availability_auto_accept")).status_code == 403
    assert not AvailabilityRule.objects.exists()


def test_editor_shows_the_readers_zone_and_windows_in_few_queries(
    reader, django_assert_max_num_queries
):
    availability.set_weekly_availability(reader, [(0, time(9), time(12)), (2, time(14), time(18))])
    availability.add_exception(
        reader, date=timezone.localdate() + timedelta(days=3), kind="off", note="Dentist"
    )
    browser = logged_in(reader)
    with django_assert_max_num_queries(9):  # measured 8
        response = browser.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Europe/Paris" in html
    assert 'name="start_0" value="09:00"' in html and 'name="end_2" value="18:00"' in html
    assert "Dentist" in html
    assert reverse("accounts:profile") in html


def test_saving_replaces_the_weekly_windows(reader):
    availability.set_weekly_availability(reader, [(6, time(9), time(10))])
    response = logged_in(reader).post(
        URL,
        {
            "start_0": ["09:00", "14:00", ""],
            "end_0": ["12:00", "17:30", ""],
            "start_4": "18:00",
            "end_4": "21:00",
        },
    )
    assert response.status_code == 302
    assert sorted(rules_of(reader)) == [
        (0, time(9), time(12)),
        (0, time(14), time(17, 30)),
        (4, time(18), time(21)),
    ]


def test_overlapping_windows_are_refused_with_a_message_and_nothing_saved(reader):
    availability.set_weekly_availability(reader, [(1, time(8), time(9))])
    response = logged_in(reader).post(
        URL, {"start_0": ["09:00", "11:00"], "end_0": ["12:00", "13:00"]}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "overlaps another Monday window" in html
    assert "Nothing was saved" in html or "Some windows need fixing" in html
    assert 'value="11:00"' in html  # what was typed stays on the page
    assert rules_of(reader) == [(1, time(8), time(9))]


def test_end_before_start_and_half_filled_rows_are_refused(reader):
    response = logged_in(reader).post(URL, {"start_3": ["17:00", "10:00"], "end_3": ["09:00", ""]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "The end time must be later than the start time." in html
    assert "Enter both a start and an end time" in html
    assert not AvailabilityRule.objects.exists()


def test_weekly_post_without_csrf_is_refused(reader):
    response = logged_in(reader, enforce_csrf_checks=True).post(
        URL, {"start_0": "09:00", "end_0": "12:00"}
    )
    assert response.status_code == 403
    assert not AvailabilityRule.objects.exists()


def test_add_row_fragment(reader):
    browser = logged_in(reader)
    response = browser.get(reverse("readers:availability_row"), {"weekday": 5})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'name="start_5"' in html and "Saturday" in html
    assert browser.get(reverse("readers:availability_row"), {"weekday": 9}).status_code == 404
    assert browser.get(reverse("readers:availability_row"), {"weekday": "x"}).status_code == 404


def test_adding_a_day_off_and_extra_hours(reader):
    browser = logged_in(reader)
    day = timezone.localdate() + timedelta(days=5)
    url = reverse("readers:availability_exception_add")
    off = browser.post(
        url, {"exception-date": day, "exception-kind": "off"}, HTTP_HX_REQUEST="true"
    )
    assert off.status_code == 200 and "whole day" in off.content.decode()
    extra = browser.post(
        url,
        {
            "exception-date": day + timedelta(days=1),
            "exception-kind": "extra",
            "exception-start_time": "19:00",
            "exception-end_time": "22:00",
            "exception-note": "Full moon",
        },
    )
    assert extra.status_code == 302
    kinds = sorted(
        AvailabilityException.objects.filter(reader=reader).values_list("kind", flat=True)
    )
    assert kinds == ["extra", "off"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"exception-kind": "extra"}, "Extra hours need a start and an end time."),
        (
            {"exception-kind": "off", "exception-start_time": "10:00"},
            "Give both times, or leave both empty",
        ),
        (
            {
                "exception-kind": "extra",
                "exception-start_time": "10:00",
                "exception-end_time": "09:00",
            },
            "The end time must be later than the start time.",
        ),
    ],
)
def test_bad_exceptions_show_errors_and_save_nothing(reader, data, message):
    data = {"exception-date": timezone.localdate() + timedelta(days=2), **data}
    response = logged_in(reader).post(
        reverse("readers:availability_exception_add"), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AvailabilityException.objects.exists()


def test_an_exception_in_the_past_is_refused(reader):
    response = logged_in(reader).post(
        reverse("readers:availability_exception_add"),
        {"exception-date": timezone.localdate() - timedelta(days=2), "exception-kind": "off"},
    )
    assert response.status_code == 400
    assert "Pick today or a later date." in response.content.decode()
    assert not AvailabilityException.objects.exists()


def test_removing_another_readers_exception_is_404(reader):
    other = make_reader().user
    theirs = availability.add_exception(
        other, date=timezone.localdate() + timedelta(days=4), kind="off"
    )
    url = reverse("readers:availability_exception_remove", args=[theirs.public_id])
    assert logged_in(reader).post(url).status_code == 404
    assert AvailabilityException.objects.filter(pk=theirs.pk).exists()
    response = logged_in(other).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not AvailabilityException.objects.filter(pk=theirs.pk).exists()


def test_auto_accept_toggle(reader):
    browser = logged_in(reader)
    url = reverse("readers:availability_auto_accept")
    browser.post(url, {"enabled": "1"})
    assert ReaderPage.objects.get(user=reader).auto_accept_bookings is True
    html = browser.get(URL).content.decode()
    assert "Accepted automatically" in html
    browser.post(url, {"enabled": "0"})
    assert ReaderPage.objects.get(user=reader).auto_accept_bookings is False


def test_auto_accept_without_csrf_is_refused(reader):
    response = logged_in(reader, enforce_csrf_checks=True).post(
        reverse("readers:availability_auto_accept"), {"enabled": "1"}
    )
    assert response.status_code == 403
    assert ReaderPage.objects.get(user=reader).auto_accept_bookings is False
