from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import User


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True)
    display_name = forms.CharField(max_length=80, required=False, label="Display name")

    class Meta:
        model = User
        fields = ("username", "email", "display_name")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists.")
        return email


class ProfileForm(forms.ModelForm):
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
        labels = {"marketing_opt_in": "Send me news and offers"}

    def clean_timezone(self):
        import zoneinfo

        tz = self.cleaned_data["timezone"]
        if tz not in zoneinfo.available_timezones():
            raise forms.ValidationError("Choose a valid time zone, e.g. Europe/London.")
        return tz
