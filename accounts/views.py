"""Login, sign-up, logout and profile.

Local username/password login is always available, with or without Auth0: in development, in a
production without AUTH0_* configured, and beside "Continue with Auth0" when it is configured
(staff and accounts created before Auth0 keep working, and an Auth0 outage does not lock
everyone out). Both local login and sign-up are rate-limited per client.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from wallet.selectors import wallet_summary

from . import services
from .forms import LoginForm, ProfileForm, SignUpForm
from .models import User
from .ratelimit import client_ip, rate_limit

# Failed logins allowed in the window: per IP and username (someone mistyping their own password),
# per IP across usernames (one address trying many accounts) and per account across addresses
# (many addresses trying one account; higher, so one attacker cannot lock a person out cheaply).
LOGIN_FAILURE_LIMIT = 10
LOGIN_IP_FAILURE_LIMIT = 20
LOGIN_ACCOUNT_FAILURE_LIMIT = 30
LOGIN_WINDOW_SECONDS = 15 * 60
# At most this many sign-up submissions (successful or not) per IP in the window.
SIGNUP_LIMIT = 20
SIGNUP_WINDOW_SECONDS = 60 * 60

LOGIN_LIMITED_MESSAGE = (
    "Too many failed login attempts. Please wait 15 minutes before trying again."
)
LOGIN_IP_LIMITED_MESSAGE = (
    "Too many failed login attempts from your network. Please wait 15 minutes before trying again."
)
LOGIN_ACCOUNT_LIMITED_MESSAGE = (
    "Too many failed login attempts for this account. Its local login is paused for 15 minutes;"
    " please try again later."
)
SIGNUP_LIMITED_MESSAGE = "Too many sign-up attempts from your network. Please try again later."


def _login_username(request):
    return request.POST.get("username", "").strip().lower()


def login_rate_key(request):
    return f"login:{client_ip(request)}:{_login_username(request)}"


def login_ip_rate_key(request):
    return f"login-ip:{client_ip(request)}"


def login_account_rate_key(request):
    return f"login-account:{_login_username(request)}"


def signup_rate_key(request):
    return f"signup:{client_ip(request)}"


def login_failed(request, response):
    # A failed login re-renders the form (200); success redirects, and a CSRF failure (403)
    # never reached the password check.
    return response.status_code == 200


def _login_refusal(message):
    def refuse(request):
        form = LoginForm(request, initial={"username": request.POST.get("username", "")})
        context = {"form": form, "form_error": message, **_redirect_context(request)}
        return render(request, "accounts/login.html", context, status=429)

    return refuse


def _login_failure_limit(key, limit, message):
    # Each limit counts failures only (a success gives its hit back), and one that refuses
    # answers 429, which the limits around it do not count either.
    return method_decorator(
        rate_limit(
            key=key,
            limit=limit,
            window_seconds=LOGIN_WINDOW_SECONDS,
            counts=login_failed,
            on_limited=_login_refusal(message),
        ),
        name="dispatch",
    )


def signup_limited(request):
    form = SignUpForm(initial={"username": request.POST.get("username", "")})
    context = {"form": form, "form_error": SIGNUP_LIMITED_MESSAGE}
    return render(request, "accounts/signup.html", context, status=429)


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _redirect_context(request):
    return {"next": _safe_next(request)}


@_login_failure_limit(login_ip_rate_key, LOGIN_IP_FAILURE_LIMIT, LOGIN_IP_LIMITED_MESSAGE)
@_login_failure_limit(
    login_account_rate_key, LOGIN_ACCOUNT_FAILURE_LIMIT, LOGIN_ACCOUNT_LIMITED_MESSAGE
)
@_login_failure_limit(login_rate_key, LOGIN_FAILURE_LIMIT, LOGIN_LIMITED_MESSAGE)
class LoginView(auth_views.LoginView):
    """Returns to a safe ``next``; otherwise to where the person's role starts (``after_login``)."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def landing_url(user):
    """Where a person starts after logging in when no page asked for them: readers at their desk,
    staff in the admin, clients on the home page."""
    if user.is_reader:
        return reverse("readings:reader_desk")
    if user.is_staff_role:
        return reverse("wagtailadmin_home")
    return "/"


@login_required
def after_login(request):
    """LOGIN_REDIRECT_URL and Auth0's: one place decides the landing page for every login path."""
    return redirect(landing_url(request.user))


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5 refuses GET with 405), so a link or image cannot sign people out."""


@require_http_methods(["GET", "POST"])
@rate_limit(
    key=signup_rate_key,
    limit=SIGNUP_LIMIT,
    window_seconds=SIGNUP_WINDOW_SECONDS,
    on_limited=signup_limited,
)
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.register_client(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data.get("display_name", ""),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to SoulSeer! Your account is ready.")
            return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form, **_redirect_context(request)})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    # The form edits a copy, so an invalid submission never leaks into request.user.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(
                request.user, **{name: form.cleaned_data[name] for name in form.fields}
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:profile")
    wallet = wallet_summary(request.user, request)
    return render(request, "accounts/profile.html", {"form": form, "wallet": wallet})
