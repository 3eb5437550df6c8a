import zoneinfo

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UserCreationForm,
)

from . import services
from .models import User

# Text inputs, selects and textareas get their look from site.css (.form-field rules); checkboxes
# sit outside those rules.
CHECKBOX_CLASSES = "mt-0.5 h-5 w-5 rounded border-slate-300 text-accent-600 focus:ring-accent-500"

# Offered in the profile's time zone select; a user's current zone is added when not listed.
COMMON_TIMEZONES = (
    ("Americas", ("America/Anchorage", "America/Los_Angeles", "America/Phoenix", "America/Denver",
                  "America/Chicago", "America/New_York", "America/Halifax", "America/St_Johns",
                  "America/Mexico_City", "America/Bogota", "America/Sao_Paulo",
                  "America/Argentina/Buenos_Aires", "Pacific/Honolulu")),
    ("Europe", ("Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris",
                "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam",
                "Europe/Stockholm", "Europe/Warsaw", "Europe/Athens", "Europe/Helsinki",
                "Europe/Istanbul", "Europe/Moscow")),
    ("Africa", ("Africa/Casablanca", "Africa/Lagos", "Africa/Cairo", "Africa/Johannesburg",
                "Africa/Nairobi")),
    ("Asia", ("Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok",
              "Asia/Jakarta", "Asia/Singapore", "Asia/Manila", "Asia/Hong_Kong",
              "Asia/Shanghai", "Asia/Seoul", "Asia/Tokyo")),
    ("Australia and Pacific", ("Australia/Perth", "Australia/Adelaide", "Australia/Brisbane",
                               "Australia/Sydney", "Pacific/Auckland")),
    ("Other", ("UTC",)),
)  # fmt: skip


def _label(zone):
    return zone.replace("_", " ")


def timezone_choices(current=None):
    """Grouped choices for a select; ``current`` is kept selectable if it is valid but unlisted."""
    listed = {zone for _, zones in COMMON_TIMEZONES for zone in zones}
    groups = [
        (group, [(zone, _label(zone)) for zone in zones]) for group, zones in COMMON_TIMEZONES
    ]
    if current and current not in listed and current in zoneinfo.available_timezones():
        groups.insert(0, ("Your current zone", [(current, _label(current))]))
    return groups


class StyledFormMixin:
    """Checkbox classes, and ARIA links from invalid fields to their inline error text."""

    def style_fields(self):
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = CHECKBOX_CLASSES

    def full_clean(self):
        super().full_clean()
        # Django adds aria-invalid itself; the description must name the error text (rendered
        # by accounts/_field.html with this id) as well as any help text.
        for name in self._errors or ():
            if name not in self.fields:
                continue
            field = self.fields[name]
            ids = [f"{self[name].auto_id}_error"]
            if field.help_text:
                ids.append(f"{self[name].auto_id}_helptext")
            field.widget.attrs["aria-describedby"] = " ".join(ids)


class LoginForm(StyledFormMixin, AuthenticationForm):
    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.style_fields()


class SignUpForm(StyledFormMixin, UserCreationForm):
    email = forms.EmailField(
        required=True, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    display_name = forms.CharField(
        max_length=80,
        required=False,
        label="Display name",
        help_text="Shown to readers instead of your username.",
    )

    class Meta:
        model = User
        fields = ("username", "email", "display_name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = "Letters, digits and @ . + - _ only."
        self.style_fields()

    def clean_email(self):
        email = services.normalize_email(self.cleaned_data["email"])
        if services.email_in_use(email):
            raise forms.ValidationError(services.DUPLICATE_EMAIL)
        return email


class ProfileForm(StyledFormMixin, forms.ModelForm):
    timezone = forms.ChoiceField(label="Time zone")

    class Meta:
        model = User
        fields = (
            "display_name",
            "first_name",
            "last_name",
            "email",
            "timezone",
            "marketing_opt_in",
        )
        labels = {
            "display_name": "Display name",
            "marketing_opt_in": "Send me news and offers by email",
        }
        help_texts = {
            "display_name": "Shown to readers and in the community instead of your username.",
            "email": "We send receipts and reading reminders here.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["timezone"].choices = timezone_choices(self.instance.timezone)
        self.fields["timezone"].help_text = "Reading times and bookings are shown in this zone."
        self.style_fields()

    def clean_email(self):
        email = services.normalize_email(self.cleaned_data["email"])
        if services.email_in_use(email, exclude_user=self.instance):
            raise forms.ValidationError(services.DUPLICATE_EMAIL)
        return email

    def clean_timezone(self):
        # The select already limits the choices; this guards the stored value's meaning too.
        tz = self.cleaned_data["timezone"]
        if tz not in zoneinfo.available_timezones():
            raise forms.ValidationError("Choose a valid time zone, e.g. Europe/London.")
        return tz


class StyledPasswordResetForm(StyledFormMixin, PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.style_fields()


class StyledSetPasswordForm(StyledFormMixin, SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class StyledPasswordChangeForm(StyledFormMixin, PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()
