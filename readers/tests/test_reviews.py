"""Reviews: only after a paid reading of 5+ minutes, once per reading, one reply, staff hide
(audited); the rating aggregate stays exact, also under concurrent reviews."""

import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from readers import services
from readers.models import ReaderPage, Review
from readers.tests.factories import ended_reading, make_reader

pytestmark = pytest.mark.django_db


@pytest.fixture
def luna(reader_index):
    return make_reader(reader_index, "Luna Vale", photo=False)


def test_client_reviews_after_a_qualifying_reading_and_rating_follows(luna):
    client_user = UserFactory()
    services.create_review(
        client_user, ended_reading(client_user, luna), rating=5, text="Warm and precise."
    )
    other = UserFactory()
    services.create_review(other, ended_reading(other, luna), rating=2, text="Too general for me.")
    luna.refresh_from_db()
    assert luna.rating_count == 2
    assert luna.rating_average == Decimal("3.50")


@pytest.mark.parametrize(
    ("paid_minutes", "state"), [(4, "ended"), (0, "ended"), (10, "cancelled"), (10, "declined")]
)
def test_review_without_a_qualifying_reading_is_refused_and_nothing_saved(
    luna, paid_minutes, state
):
    client_user = UserFactory()
    reading = ended_reading(client_user, luna, paid_minutes=paid_minutes, state=state)
    with pytest.raises(ValidationError, match="at least 5 paid minutes"):
        services.create_review(client_user, reading, rating=5, text="Should not be saved.")
    assert not Review.objects.exists()


def test_review_page_refuses_a_short_reading_with_a_clear_message(client, luna):
    client_user = UserFactory()
    reading = ended_reading(client_user, luna, paid_minutes=3)
    client.force_login(client_user)
    url = reverse("readers:review_create", args=[reading.public_id])
    response = client.post(url, {"rating": 5, "text": "Trying anyway, nice reading."})
    assert response.status_code == 400
    assert "at least 5 paid minutes" in response.content.decode()
    assert not Review.objects.exists()


def test_review_page_publishes_a_qualifying_review(client, luna):
    client_user = UserFactory()
    reading = ended_reading(client_user, luna)
    client.force_login(client_user)
    url = reverse("readers:review_create", args=[reading.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"rating": 4, "text": "Clear, kind and to the point."})
    assert response.status_code == 302
    assert Review.objects.get().rating == 4
    assert "Clear, kind and to the point." in client.get(luna.url).content.decode()


def test_someone_elses_reading_cannot_be_reviewed(client, luna):
    owner, intruder = UserFactory(), UserFactory()
    reading = ended_reading(owner, luna)
    client.force_login(intruder)
    response = client.get(reverse("readers:review_create", args=[reading.public_id]))
    assert response.status_code == 404


def test_one_review_per_reading(luna):
    client_user = UserFactory()
    reading = ended_reading(client_user, luna)
    services.create_review(client_user, reading, rating=5, text="Lovely reading indeed.")
    with pytest.raises(ValidationError, match="already reviewed"):
        services.create_review(client_user, reading, rating=1, text="Changing my mind now.")
    assert Review.objects.count() == 1


def test_bad_stars_and_empty_text_are_refused(luna):
    client_user = UserFactory()
    reading = ended_reading(client_user, luna)
    with pytest.raises(ValidationError) as error:
        services.create_review(client_user, reading, rating=6, text="")
    assert set(error.value.message_dict) == {"rating", "text"}
    assert not Review.objects.exists()


def test_reader_replies_once_and_only_the_reviewed_reader(luna, reader_index):
    client_user = UserFactory()
    review = services.create_review(
        client_user, ended_reading(client_user, luna), rating=5, text="Spot on, thank you."
    )
    orion = make_reader(reader_index, "Orion Hart", photo=False)
    with pytest.raises(PermissionDenied):
        services.reply_to_review(orion.user, review, "Not mine to answer")
    services.reply_to_review(luna.user, review, "Thank you for trusting me.")
    with pytest.raises(ValidationError, match="already replied"):
        services.reply_to_review(luna.user, review, "Second reply")
    assert Review.objects.get().reply == "Thank you for trusting me."


def test_staff_hide_a_review_audited_and_rating_recomputed(luna, client):
    staff = UserFactory(staff=True)
    staff.groups.add(Group.objects.get(name="Moderators"))
    a, b = UserFactory(), UserFactory()
    services.create_review(a, ended_reading(a, luna), rating=5, text="Wonderful reading.")
    bad = services.create_review(b, ended_reading(b, luna), rating=1, text="Rude words here.")
    client.force_login(staff)
    response = client.post(
        reverse("readers_review_visibility", args=[bad.pk]), {"reason": "Abusive language"}
    )
    assert response.status_code == 302
    luna.refresh_from_db()
    assert (luna.rating_count, luna.rating_average) == (1, Decimal("5.00"))
    assert AuditEvent.objects.filter(action="review.hidden", target_id=str(bad.pk)).exists()
    assert "Rude words here." not in client.get(luna.url).content.decode()
    with pytest.raises(PermissionDenied):
        services.set_review_hidden(a, bad, hidden=False)


def test_publishing_an_old_revision_keeps_the_live_rating(luna):
    client_user = UserFactory()
    revision = luna.save_revision()
    services.create_review(
        client_user, ended_reading(client_user, luna), rating=3, text="Okay reading."
    )
    revision.publish()
    luna = ReaderPage.objects.get(pk=luna.pk)
    assert luna.rating_count == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_keep_the_aggregate_exact(reader_index):
    luna = make_reader(reader_index, "Luna Vale", photo=False)
    readings = []
    for n in range(8):
        user = UserFactory()
        readings.append((user, ended_reading(user, luna), 1 + n % 5))
    barrier = threading.Barrier(len(readings))
    errors = []

    def review(user, reading, stars):
        try:
            barrier.wait()
            services.create_review(user, reading, rating=stars, text="Concurrent review text.")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=args) for args in readings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    luna.refresh_from_db()
    ratings = [stars for _user, _reading, stars in readings]
    assert luna.rating_count == 8
    expected = (Decimal(sum(ratings)) / 8).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert luna.rating_average == expected
