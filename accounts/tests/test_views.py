import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.views import View

from accounts.decorators import RoleRequiredMixin, role_required
from accounts.models import User
from accounts.views import (
    LOGIN_ACCOUNT_FAILURE_LIMIT,
    LOGIN_FAILURE_LIMIT,
    LOGIN_IP_FAILURE_LIMIT,
    SIGNUP_LIMIT,
)

from .factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
SIGNUP_URL = reverse("accounts:signup")
PROFILE_URL = reverse("accounts:profile")
AFTER_LOGIN_URL = reverse("accounts:after_login")
LOGOUT_URL = reverse("accounts:logout")


def signup_data(**overrides):
    data = {
        "username": "moonchild",
        "email": "moon@example.com",
        "display_name": "Moon",
        "password1": "a-Long-unguessable-pass-42",
        "password2": "a-Long-unguessable-pass-42",
    }
    data.update(overrides)
    return data


def profile_data(user, **overrides):
    data = {
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "timezone": user.timezone,
    }
    data.update(overrides)
    return data


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# Sign-up


def test_sign_up_creates_a_signed_in_client(client):
    response = client.post(SIGNUP_URL, signup_data())

    assert response.status_code == 302
    assert response.url == AFTER_LOGIN_URL
    assert client.get(AFTER_LOGIN_URL).url == "/"
    user = User.objects.get(username="moonchild")
    assert user.role == User.Role.CLIENT
    assert user.email == "moon@example.com"
    assert user.display_name == "Moon"
    assert user.check_password("a-Long-unguessable-pass-42")
    assert logged_in_user_id(client) == str(user.pk)


def test_sign_up_follows_a_safe_next_url_and_ignores_an_external_one(client):
    response = client.post(SIGNUP_URL, signup_data(next="/readers/"))
    assert response.url == "/readers/"

    client.post(LOGOUT_URL)
    response = client.post(
        SIGNUP_URL,
        signup_data(username="other", email="other@example.com", next="https://evil.example/"),
    )
    assert response.url == AFTER_LOGIN_URL


def test_sign_up_refuses_an_email_already_in_use_whatever_its_case(client):
    UserFactory(email="moon@example.com")

    response = client.post(SIGNUP_URL, signup_data(email="Moon@Example.COM"))

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email already exists."
    ]
    assert b"An account with this email already exists." in response.content
    assert not User.objects.filter(username="moonchild").exists()
    assert logged_in_user_id(client) is None


def test_sign_up_refuses_a_username_already_in_use(client):
    UserFactory(username="MoonChild")

    response = client.post(SIGNUP_URL, signup_data())

    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username__iexact="moonchild").count() == 1


def test_sign_up_refuses_mismatched_passwords_with_an_inline_error(client):
    response = client.post(SIGNUP_URL, signup_data(password2="something-else-entirely-9"))

    assert response.status_code == 200
    form = response.context["form"]
    assert "password2" in form.errors
    # The error text sits under the field and the field points at it.
    assert b'id="id_password2_error"' in response.content
    assert b'aria-describedby="id_password2_error' in response.content
    assert not User.objects.filter(username="moonchild").exists()


def test_sign_up_page_sends_signed_in_users_to_their_profile(client):
    client.force_login(UserFactory())
    assert client.get(SIGNUP_URL).url == PROFILE_URL


def test_sign_up_submissions_are_rate_limited_per_address(client):
    for _ in range(SIGNUP_LIMIT):
        assert client.post(SIGNUP_URL, signup_data(password2="nope")).status_code == 200

    response = client.post(SIGNUP_URL, signup_data())

    assert response.status_code == 429
    assert b"Too many sign-up attempts" in response.content
    assert not User.objects.filter(username="moonchild").exists()


# Login and logout


def test_a_client_who_logs_in_without_a_next_page_lands_on_the_home_page(client):
    user = UserFactory(username="luna")

    response = client.post(LOGIN_URL, {"username": "luna", "password": DEFAULT_PASSWORD})

    assert response.status_code == 302
    assert response.url == AFTER_LOGIN_URL
    assert client.get(AFTER_LOGIN_URL).url == "/"
    assert logged_in_user_id(client) == str(user.pk)


@pytest.mark.parametrize(
    "role, landing",
    [
        (User.Role.READER, reverse("readings:reader_desk")),
        (User.Role.STAFF, reverse("wagtailadmin_home")),
        (User.Role.CLIENT, "/"),
    ],
)
def test_each_role_lands_where_its_work_starts(client, role, landing):
    UserFactory(username="luna", role=role)

    client.post(LOGIN_URL, {"username": "luna", "password": DEFAULT_PASSWORD})

    assert client.get(AFTER_LOGIN_URL).url == landing


def test_login_returns_to_a_safe_next_page_and_ignores_an_external_one(client):
    UserFactory(username="luna")

    response = client.post(
        LOGIN_URL, {"username": "luna", "password": DEFAULT_PASSWORD, "next": "/readers/"}
    )
    assert response.url == "/readers/"

    client.post(LOGOUT_URL)
    response = client.post(
        LOGIN_URL,
        {"username": "luna", "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )
    assert response.url == AFTER_LOGIN_URL


def test_the_header_login_link_brings_a_visitor_back_to_the_page_they_were_on(client):
    page = client.get("/readers/?specialty=tarot").content.decode()

    assert 'href="/accounts/login/?next=%2Freaders%2F%3Fspecialty%3Dtarot"' in page
    assert 'href="/accounts/signup/?next=%2Freaders%2F%3Fspecialty%3Dtarot"' in page
    login_page = client.get(LOGIN_URL + "?next=/readers/").content.decode()
    assert '<input type="hidden" name="next" value="/readers/">' in login_page


def test_the_start_page_needs_a_login(client):
    assert client.get(AFTER_LOGIN_URL).url == f"{LOGIN_URL}?next={AFTER_LOGIN_URL}"


def test_login_with_a_wrong_password_shows_an_error_and_signs_nobody_in(client):
    UserFactory(username="luna")

    response = client.post(LOGIN_URL, {"username": "luna", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert b'role="alert"' in response.content
    assert logged_in_user_id(client) is None


def test_login_page_offers_auth0_only_when_it_is_enabled(client, settings):
    settings.AUTH0_ENABLED = False
    page = client.get(LOGIN_URL).content.decode()
    assert "Continue with Auth0" not in page
    assert 'name="password"' in page

    settings.AUTH0_ENABLED = True
    page = client.get(LOGIN_URL + "?next=/readers/").content.decode()
    assert "Continue with Auth0" in page
    assert f'action="{reverse("social:begin", args=["auth0"])}" method="post"' in page
    assert '<input type="hidden" name="next" value="/readers/">' in page
    # Local login stays available beside Auth0.
    assert 'name="password"' in page


def test_login_is_refused_with_429_after_ten_failures_for_an_address_and_username(client):
    UserFactory(username="luna")
    for _ in range(LOGIN_FAILURE_LIMIT):
        response = client.post(LOGIN_URL, {"username": "luna", "password": "wrong"})
        assert response.status_code == 200

    response = client.post(LOGIN_URL, {"username": "luna", "password": DEFAULT_PASSWORD})

    assert response.status_code == 429
    assert b"Too many failed login attempts" in response.content
    assert b'name="username"' in response.content  # the form is still there
    assert logged_in_user_id(client) is None


def test_login_rate_limit_counts_each_username_separately(client):
    UserFactory(username="luna")
    UserFactory(username="sol")
    for _ in range(LOGIN_FAILURE_LIMIT + 1):
        client.post(LOGIN_URL, {"username": "luna", "password": "wrong"})

    response = client.post(LOGIN_URL, {"username": "sol", "password": DEFAULT_PASSWORD})

    assert response.status_code == 302


def test_failed_logins_from_one_address_for_many_usernames_are_limited(client):
    for number in range(LOGIN_IP_FAILURE_LIMIT):
        response = client.post(LOGIN_URL, {"username": f"guess{number}", "password": "wrong"})
        assert response.status_code == 200
    UserFactory(username="luna")

    response = client.post(LOGIN_URL, {"username": "luna", "password": DEFAULT_PASSWORD})

    assert response.status_code == 429
    assert b"Too many failed login attempts from your network" in response.content
    assert logged_in_user_id(client) is None


def test_failed_logins_for_one_account_from_many_addresses_are_limited(client):
    UserFactory(username="luna")
    for number in range(LOGIN_ACCOUNT_FAILURE_LIMIT):
        response = client.post(
            LOGIN_URL,
            {"username": "Luna", "password": "wrong"},
            REMOTE_ADDR=f"198.51.100.{number}",
        )
        assert response.status_code == 200

    response = client.post(
        LOGIN_URL, {"username": "luna", "password": DEFAULT_PASSWORD}, REMOTE_ADDR="203.0.113.5"
    )

    assert response.status_code == 429
    assert b"Too many failed login attempts for this account" in response.content
    assert logged_in_user_id(client) is None
    # Another account from those addresses is not affected.
    UserFactory(username="sol")
    response = client.post(
        LOGIN_URL, {"username": "sol", "password": DEFAULT_PASSWORD}, REMOTE_ADDR="198.51.100.1"
    )
    assert response.status_code == 302


def test_successful_logins_do_not_use_up_the_login_rate_limit(client):
    UserFactory(username="luna")
    for _ in range(LOGIN_FAILURE_LIMIT + 2):
        response = client.post(LOGIN_URL, {"username": "luna", "password": DEFAULT_PASSWORD})
        assert response.status_code == 302
        client.post(LOGOUT_URL)


def test_logout_by_get_is_refused(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get(LOGOUT_URL).status_code == 405
    assert logged_in_user_id(client) == str(user.pk)


def test_logout_by_post_signs_out(client):
    client.force_login(UserFactory())

    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert logged_in_user_id(client) is None


# Profile


def test_profile_requires_login(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={PROFILE_URL}"


def test_profile_shows_the_role_and_a_wallet_section(client):
    client.force_login(UserFactory(reader=True))

    page = client.get(PROFILE_URL).content.decode()

    assert 'data-role="reader"' in page
    assert ">Reader<" in page
    assert 'id="wallet"' in page


def test_profile_saves_changes(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        PROFILE_URL,
        profile_data(
            user,
            display_name="Star Gazer",
            first_name="Stella",
            email="Stella@Example.com",
            timezone="Europe/London",
            marketing_opt_in="on",
        ),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Star Gazer"
    assert user.first_name == "Stella"
    assert user.email == "stella@example.com"
    assert user.timezone == "Europe/London"
    assert user.marketing_opt_in is True
    assert user.role == User.Role.CLIENT


def test_profile_refuses_an_unknown_time_zone(client):
    user = UserFactory(timezone="UTC")
    client.force_login(user)

    response = client.post(PROFILE_URL, profile_data(user, timezone="Mars/Olympus_Mons"))

    assert response.status_code == 200
    assert "timezone" in response.context["form"].errors
    user.refresh_from_db()
    assert user.timezone == "UTC"


def test_profile_keeps_a_valid_time_zone_that_is_not_in_the_common_list(client):
    user = UserFactory(timezone="Asia/Kathmandu")
    client.force_login(user)

    response = client.post(PROFILE_URL, profile_data(user, display_name="Kathmandu"))

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.timezone == "Asia/Kathmandu"


def test_profile_refuses_an_email_used_by_another_account(client):
    UserFactory(email="taken@example.com")
    user = UserFactory()
    client.force_login(user)

    response = client.post(PROFILE_URL, profile_data(user, email="TAKEN@example.com"))

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email already exists."
    ]


def test_profile_ignores_an_attempt_to_change_the_role(client):
    user = UserFactory()
    client.force_login(user)

    client.post(PROFILE_URL, profile_data(user, role="staff"))

    user.refresh_from_db()
    assert user.role == User.Role.CLIENT


# Role checks


@role_required("reader")
def reader_only_view(request):
    return HttpResponse("reader area")


class ReaderOnlyView(RoleRequiredMixin, View):
    required_roles = ("reader",)

    def get(self, request):
        return HttpResponse("reader area")


def get_as(user, path="/reader-area/?tab=1"):
    request = RequestFactory().get(path)
    request.user = user
    return request


@pytest.mark.parametrize("traits", [{"reader": True}, {"staff": True}])
def test_role_required_lets_readers_and_staff_through(traits):
    response = reader_only_view(get_as(UserFactory(**traits)))
    assert response.status_code == 200


def test_role_required_sends_anonymous_visitors_to_login():
    response = reader_only_view(get_as(AnonymousUser()))

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next=/reader-area/%3Ftab%3D1"


def test_role_required_refuses_the_wrong_role_with_403():
    with pytest.raises(PermissionDenied):
        reader_only_view(get_as(UserFactory(client=True)))


def test_role_required_mixin_applies_the_same_rules():
    view = ReaderOnlyView.as_view()

    assert view(get_as(UserFactory(reader=True))).status_code == 200
    assert view(get_as(AnonymousUser())).status_code == 302
    with pytest.raises(PermissionDenied):
        view(get_as(UserFactory(client=True)))
