"""Recovering and changing a local password, through Django's own auth views (their tokens,
their checks), each rate-limited. The reset page answers the same whether or not an account has
that email, so it tells nobody who has one; a reset link works once and for
``PASSWORD_RESET_TIMEOUT`` seconds."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator

from .forms import StyledPasswordChangeForm, StyledPasswordResetForm, StyledSetPasswordForm
from .ratelimit import client_ip, rate_limit

RESET_REQUESTS_PER_HOUR = 5
RESET_CONFIRMS_PER_HOUR = 20
CHANGES_PER_HOUR = 10


def _limited(template):
    def refuse(request):
        html = render_to_string(template, {"limited": True}, request=request)
        return HttpResponse(html, status=429)

    return refuse


def _reset_key(request):
    return f"password-reset:{client_ip(request)}"


def _reset_email_key(request):
    return f"password-reset-email:{request.POST.get('email', '').strip().lower()}"


@method_decorator(
    rate_limit(
        key=_reset_key,
        limit=RESET_REQUESTS_PER_HOUR,
        window_seconds=3600,
        on_limited=_limited("accounts/password_reset_form.html"),
    ),
    name="dispatch",
)
@method_decorator(
    rate_limit(
        key=_reset_email_key,
        limit=RESET_REQUESTS_PER_HOUR,
        window_seconds=3600,
        on_limited=_limited("accounts/password_reset_form.html"),
    ),
    name="dispatch",
)
class PasswordResetView(auth_views.PasswordResetView):
    form_class = StyledPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Links in the email start from the public address, not whatever Host this request had.
        self.extra_email_context = {
            "site_url": settings.SITE_URL.rstrip("/"),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(
    rate_limit(
        key=lambda request: f"password-reset-confirm:{client_ip(request)}",
        limit=RESET_CONFIRMS_PER_HOUR,
        window_seconds=3600,
        methods=("GET", "POST"),
        on_limited=_limited("accounts/password_reset_confirm.html"),
    ),
    name="dispatch",
)
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = StyledSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@method_decorator(
    rate_limit(
        key=lambda request: f"password-change:{request.user.pk}",
        limit=CHANGES_PER_HOUR,
        window_seconds=3600,
        on_limited=_limited("accounts/password_change_form.html"),
    ),
    name="dispatch",
)
class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = StyledPasswordChangeForm
    template_name = "accounts/password_change_form.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed. Other devices are signed out.")
        return response
