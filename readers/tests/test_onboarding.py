"""Reader onboarding: the application form, staff approve/reject in Wagtail admin, provisioning."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from readers.models import ReaderApplication, ReaderPage, Specialty

pytestmark = pytest.mark.django_db

SAMPLE = "The cards show a door half open. " * 12


@pytest.fixture
def specialty():
    return Specialty.objects.create(name="Tarot", slug="tarot")


@pytest.fixture
def moderator(home):
    user = UserFactory(staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def application_data(specialty, **overrides):
    data = {
        "display_name": "Iris Dawn",
        "years_experience": 7,
        "languages": "English",
        "specialties": [specialty.pk],
        "experience": "Seven years of tarot at fairs and online.",
        "sample_reading": SAMPLE,
        "id_check_consent": "on",
    }
    data.update(overrides)
    return data


def test_apply_needs_login(client):
    response = client.get(reverse("readers:apply"))
    assert response.status_code == 302


def test_application_is_recorded_once_and_shows_its_status(client, specialty):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("readers:apply")).status_code == 200
    response = client.post(reverse("readers:apply"), application_data(specialty))
    assert response.status_code == 302
    application = ReaderApplication.objects.get()
    assert application.status == "pending" and list(application.specialties.all()) == [specialty]
    html = client.get(reverse("readers:apply")).content.decode()
    assert "Waiting for review" in html
    client.post(reverse("readers:apply"), application_data(specialty))
    assert ReaderApplication.objects.count() == 1


def test_application_without_consent_or_with_a_short_sample_is_refused(client, specialty):
    client.force_login(UserFactory())
    data = application_data(specialty, sample_reading="Too short.")
    del data["id_check_consent"]
    response = client.post(reverse("readers:apply"), data)
    html = response.content.decode()
    assert "We need your consent to check your ID." in html
    assert "we need at least 300" in html
    assert not ReaderApplication.objects.exists()


def test_staff_approval_makes_a_reader_with_a_provisioned_draft_page(
    client, specialty, moderator, reader_index, django_capture_on_commit_callbacks
):
    applicant = UserFactory()
    client.force_login(applicant)
    client.post(reverse("readers:apply"), application_data(specialty))
    application = ReaderApplication.objects.get()

    client.force_login(moderator)
    listing = client.get(reverse("readers_readerapplication_modeladmin_index"))
    assert listing.status_code == 200 and "Iris Dawn" in listing.content.decode()
    decide = reverse("readers_application_decide", args=[application.pk])
    assert client.get(decide).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide, {"approve": "1", "note": "Strong sample"})
    assert response.status_code == 302

    applicant.refresh_from_db()
    assert applicant.role == User.Role.READER
    page = ReaderPage.objects.get(user=applicant)
    assert not page.live and page.get_parent().pk == reader_index.pk
    assert list(page.specialties.all()) == [specialty]
    assert applicant.groups.filter(name="Reader: Iris Dawn").exists()
    assert AuditEvent.objects.filter(action="reader.application_approved").exists()

    client.force_login(applicant)
    assert client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).status_code == 200
    dashboard = client.get(reverse("readers:dashboard")).content.decode()
    assert "Draft, not public yet" in dashboard
    assert "Set up payouts" in dashboard


def test_rejection_and_no_double_decision(client, specialty, moderator):
    applicant = UserFactory()
    client.force_login(applicant)
    client.post(reverse("readers:apply"), application_data(specialty))
    application = ReaderApplication.objects.get()
    client.force_login(moderator)
    decide = reverse("readers_application_decide", args=[application.pk])
    client.post(decide, {"reject": "1"})
    client.post(decide, {"approve": "1"})
    application.refresh_from_db()
    assert application.status == "rejected"
    assert not ReaderPage.objects.filter(user=applicant).exists()


def test_clients_cannot_open_the_review_queue(client, specialty):
    client.force_login(UserFactory())
    response = client.get(reverse("readers_readerapplication_modeladmin_index"))
    assert response.status_code in (302, 403)
