"""Favorites: the heart (POST + CSRF, HTMX), My readers, and online alerts at most every 6 hours."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from readers import services
from readers.models import Favorite, Notification
from readers.tests.factories import make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def luna(reader_index):
    return make_reader(reader_index, "Luna Vale", photo=False)


def test_heart_toggles_with_htmx_and_needs_csrf(luna):
    user = UserFactory()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    url = reverse("readers:favorite_toggle", args=[luna.pk])
    assert csrf_client.post(url, HTTP_HX_REQUEST="true").status_code == 403
    assert not Favorite.objects.exists()

    client = Client()
    client.force_login(user)
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert Favorite.objects.filter(client=user, reader_page=luna).exists()
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false"' in response.content.decode()
    assert not Favorite.objects.exists()


def test_anonymous_heart_goes_to_login(client, luna):
    response = client.post(reverse("readers:favorite_toggle", args=[luna.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_my_readers_lists_favorites_and_alerts(client, luna):
    user = UserFactory()
    services.toggle_favorite(user, luna)
    services.notify_favorites_online(luna)
    client.force_login(user)
    html = client.get(reverse("readers:my_readers")).content.decode()
    assert "Luna Vale" in html
    assert "Luna Vale is online now" in html
    assert Notification.objects.get(user=user).read_at is not None


def test_online_alert_is_sent_once_per_six_hours(luna, django_capture_on_commit_callbacks):
    user = UserFactory()
    quiet = UserFactory()
    services.toggle_favorite(user, luna)
    services.toggle_favorite(quiet, luna)
    services.set_favorite_notifications(quiet, luna, False)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notify_favorites_online(luna) == 1
        assert services.notify_favorites_online(luna) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert Notification.objects.filter(user=user).count() == 1
    assert not Notification.objects.filter(user=quiet).exists()

    Favorite.objects.filter(client=user).update(
        last_notified_at=timezone.now() - timedelta(hours=6, minutes=1)
    )
    assert services.notify_favorites_online(luna) == 1
    assert Notification.objects.filter(user=user).count() == 2


def test_status_fragment_carries_presence_prices_and_the_visitors_heart(client, luna):
    user = UserFactory()
    services.toggle_favorite(user, luna)
    client.force_login(user)
    response = client.get(reverse("readers:status", args=[luna.pk]))
    html = response.content.decode()
    assert 'id="reader-presence"' in html and "Online now" in html
    assert "$2.99/min" in html
    assert 'aria-pressed="true"' in html
    assert "private" in response["Cache-Control"]
