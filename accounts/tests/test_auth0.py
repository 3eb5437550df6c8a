"""The real Auth0 backend end to end, offline: only Auth0's JWKS and token endpoints are stubbed
(any other outbound request fails the test), and id_tokens are signed with a key made here.
See /work/shared/notes/auth0-offline.md for the facts this relies on."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse
from social_core.backends import utils as social_backend_utils
from social_core.backends.auth0 import Auth0OAuth2
from social_django.models import UserSocialAuth

from accounts.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db

DOMAIN = "soulseer-test.eu.auth0.com"
CLIENT_ID = "soulseer-test-client"
KEY_ID = "test-signing-key"
JWKS_URL = f"https://{DOMAIN}/.well-known/jwks.json"
TOKEN_URL = f"https://{DOMAIN}/oauth/token"
BEGIN_URL = reverse("social:begin", args=["auth0"])
COMPLETE_URL = reverse("social:complete", args=["auth0"])
LOGIN_ERROR_URL = "/accounts/login/"
PROFILE_URL = reverse("accounts:profile")
AFTER_LOGIN_URL = reverse("accounts:after_login")


def make_rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def signing_key():
    return make_rsa_key()


@pytest.fixture(scope="session")
def other_key():
    return make_rsa_key()


@pytest.fixture(scope="session")
def jwks(signing_key):
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwk.update(kid=KEY_ID, use="sig", alg="RS256")
    return {"keys": [jwk]}


@pytest.fixture
def auth0_enabled(settings):
    # base.py builds AUTHENTICATION_BACKENDS at import time, so switch Auth0 on here.
    settings.AUTHENTICATION_BACKENDS = [
        "social_core.backends.auth0.Auth0OAuth2",
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.SOCIAL_AUTH_AUTH0_DOMAIN = DOMAIN
    settings.SOCIAL_AUTH_AUTH0_KEY = CLIENT_ID
    settings.SOCIAL_AUTH_AUTH0_SECRET = "test-client-secret"  # noqa: S105
    settings.AUTH0_ENABLED = True
    settings.SOCIAL_AUTH_LOGIN_ERROR_URL = LOGIN_ERROR_URL
    # Both caches are process-wide: signing keys (24 h) and the discovered backend classes.
    Auth0OAuth2.get_jwks_keys_for_uri.invalidate()
    yield
    Auth0OAuth2.get_jwks_keys_for_uri.invalidate()
    social_backend_utils.BACKENDSCACHE.clear()


class FakeAuth0:
    """Drives a browser through Auth0's redirect dance against stubbed endpoints."""

    def __init__(self, mock, signing_key, jwks):
        self.signing_key = signing_key
        self.token_reply = {}
        mock.get(JWKS_URL, json=jwks)
        mock.add_callback(responses.POST, TOKEN_URL, callback=self._token)

    def _token(self, request):
        return 200, {"Content-Type": "application/json"}, json.dumps(self.token_reply)

    @staticmethod
    def claims(**overrides):
        now = int(time.time())
        claims = {
            "iss": f"https://{DOMAIN}/",
            "aud": CLIENT_ID,
            "sub": "auth0|5f1c0ffee",
            "iat": now,
            "exp": now + 3600,
            "email": "stella@example.com",
            "email_verified": True,
            "name": "Stella Nova",
            "nickname": "stella",
            "picture": "https://example.com/stella.png",
        }
        claims.update(overrides)
        return claims

    def login(self, client, *, key=None, next_url=None, **claim_overrides):
        """POST the login button, then come back from Auth0 with a signed id_token."""
        begin = client.post(BEGIN_URL, {"next": next_url} if next_url else {})
        assert begin.status_code == 302
        authorize = urlsplit(begin.url)
        assert authorize.netloc == DOMAIN and authorize.path == "/authorize"
        state = parse_qs(authorize.query)["state"][0]

        id_token = jwt.encode(
            self.claims(**claim_overrides),
            key or self.signing_key,
            algorithm="RS256",
            headers={"kid": KEY_ID},
        )
        self.token_reply = {
            "access_token": "test-access-token",
            "id_token": id_token,
            "token_type": "Bearer",
            "expires_in": 86400,
        }
        return client.get(COMPLETE_URL, {"code": "test-code", "state": state})


@pytest.fixture
def auth0(auth0_enabled, signing_key, jwks):
    # Unmatched requests raise ConnectionError: nothing but these two endpoints may be called.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeAuth0(mock, signing_key, jwks)


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_first_auth0_login_creates_a_signed_in_client(client, auth0):
    response = auth0.login(client)

    assert response.status_code == 302
    assert response.url == AFTER_LOGIN_URL
    assert client.get(AFTER_LOGIN_URL).url == "/"
    user = User.objects.get()
    assert signed_in_user(client) == user
    assert user.role == User.Role.CLIENT
    assert user.email == "stella@example.com"
    assert (user.first_name, user.last_name) == ("Stella", "Nova")
    assert user.has_usable_password() is False
    social = UserSocialAuth.objects.get(user=user)
    assert (social.provider, social.uid) == ("auth0", "auth0|5f1c0ffee")
    assert client.session["_auth_user_backend"] == "social_core.backends.auth0.Auth0OAuth2"


def test_begin_is_post_only(client, auth0_enabled):
    assert client.get(BEGIN_URL).status_code == 405


def test_auth0_login_returns_to_a_safe_next_url(client, auth0):
    response = auth0.login(client, next_url="/readers/")
    assert response.url == "/readers/"


def test_second_auth0_login_signs_in_the_same_user(client, auth0):
    auth0.login(client)
    first = User.objects.get()
    client.post(reverse("accounts:logout"))

    response = auth0.login(client, name="Stella Renamed")

    assert response.url == AFTER_LOGIN_URL
    assert User.objects.count() == 1
    assert UserSocialAuth.objects.count() == 1
    assert signed_in_user(client) == first


def test_a_role_set_by_staff_survives_the_next_auth0_login(client, auth0):
    auth0.login(client)
    user = User.objects.get()
    user.role = User.Role.READER
    user.save(update_fields=["role"])
    client.post(reverse("accounts:logout"))

    auth0.login(client)

    user.refresh_from_db()
    assert user.role == User.Role.READER
    assert signed_in_user(client) == user


def test_profile_name_edits_survive_the_next_auth0_login(client, auth0):
    auth0.login(client)
    User.objects.update(first_name="Estelle")
    client.post(reverse("accounts:logout"))

    auth0.login(client)

    assert User.objects.get().first_name == "Estelle"


def test_a_token_signed_by_another_key_creates_nothing(client, auth0, other_key):
    response = auth0.login(client, key=other_key)

    assert response.status_code == 302
    assert response.url == LOGIN_ERROR_URL
    assert not User.objects.exists()
    assert not UserSocialAuth.objects.exists()
    assert signed_in_user(client) is None


def test_a_token_for_another_audience_creates_nothing(client, auth0):
    response = auth0.login(client, aud="someone-elses-app")

    assert response.url == LOGIN_ERROR_URL
    assert not User.objects.exists()


def test_a_verified_email_links_auth0_to_the_existing_account(client, auth0):
    existing = UserFactory(email="stella@example.com", reader=True)

    auth0.login(client, email="Stella@Example.com", email_verified=True)

    assert User.objects.count() == 1
    assert signed_in_user(client) == existing
    assert UserSocialAuth.objects.get().user == existing
    existing.refresh_from_db()
    assert existing.role == User.Role.READER


def test_an_unverified_email_never_takes_over_an_existing_account(client, auth0):
    existing = UserFactory(email="stella@example.com")

    response = auth0.login(client, email="stella@example.com", email_verified=False)

    assert response.url == LOGIN_ERROR_URL
    assert list(User.objects.all()) == [existing]
    assert not UserSocialAuth.objects.exists()
    assert signed_in_user(client) is None
    page = client.get(LOGIN_ERROR_URL).content.decode()
    assert "This email address is already in use." in page
