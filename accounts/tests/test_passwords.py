"""Recovering and changing a password: the reset page tells nobody whether an account exists,
its link works once and not when forged or expired, changing needs the old password, and each
is rate-limited."""

import re
import uuid

import pytest

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a much better passphrase 42"


@pytest.fixture(autouse=True)
def _own_rate_limits(settings):
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"
    settings.SITE_URL = "https://soulseer.example"


def reset_link(mail):
    match = re.search(r"https://soulseer\.example(/accounts/password/reset/[^/\s]+/[^/\s]+/)", mail)
    assert match, mail
    return match.group(1)


def test_a_reset_link_by_email_sets_a_new_password_once(client, mailoutbox):
    user = UserFactory(email="ann@example.com")

    response = client.post("/accounts/password/reset/", {"email": "ANN@example.com"})

    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ann@example.com"]
    assert mailoutbox[0].subject == "Reset your SoulSeer password"
    html = mailoutbox[0].alternatives[0][0]
    assert "Choose a new password" in html and "3 hours" in mailoutbox[0].body
    link = reset_link(mailoutbox[0].body)
    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password/reset/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The same link again: the token changed with the password.
    again = client.get(link, follow=True)
    assert b"This link doesn't work" in again.content


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mailoutbox == []


def test_a_forged_or_expired_link_sets_nothing(client, mailoutbox, settings):
    user = UserFactory(email="bea@example.com")
    client.post("/accounts/password/reset/", {"email": "bea@example.com"})
    link = reset_link(mailoutbox[0].body)
    forged = link.rsplit("/", 2)[0] + "/abc-0123456789abcdef/"

    assert b"This link doesn't work" in client.get(forged, follow=True).content
    settings.PASSWORD_RESET_TIMEOUT = -1  # every link has expired
    assert b"This link doesn't work" in client.get(link, follow=True).content
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_reset_requests_are_limited_per_address_and_per_network(client, mailoutbox):
    UserFactory(email="cat@example.com")
    for _ in range(5):
        client.post("/accounts/password/reset/", {"email": "cat@example.com"})

    limited = client.post("/accounts/password/reset/", {"email": "cat@example.com"})

    assert limited.status_code == 429 and b"Too many reset requests" in limited.content
    assert len(mailoutbox) == 5


def test_changing_a_password_needs_the_old_one(client):
    user = UserFactory()
    client.force_login(user)

    wrong = client.post(
        "/accounts/password/change/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and b"old password was entered incorrectly" in wrong.content
    right = client.post(
        "/accounts/password/change/",
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert right.status_code == 302 and right["Location"] == "/accounts/profile/"
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert client.get("/accounts/profile/").status_code == 200  # this session stays signed in


def test_the_login_page_offers_a_reset_and_the_profile_a_change(client):
    assert b"Forgot your password?" in client.get("/accounts/login/").content
    client.force_login(UserFactory())
    assert b"Change password" in client.get("/accounts/profile/").content
    assert client.get("/accounts/password/change/").status_code == 200
    client.logout()
    assert client.get("/accounts/password/change/").status_code == 302
