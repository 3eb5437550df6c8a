from django import forms

from accounts.forms import StyledFormMixin
from readers.models import ReaderApplication, Specialty


class ReaderApplicationForm(StyledFormMixin, forms.ModelForm):
    specialties = forms.ModelMultipleChoiceField(
        queryset=Specialty.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose up to five.",
    )
    id_check_consent = forms.BooleanField(
        required=True,
        label="I agree to an identity check before my profile goes live.",
        error_messages={"required": "We need your consent to check your ID."},
    )

    class Meta:
        model = ReaderApplication
        fields = [
            "display_name",
            "years_experience",
            "languages",
            "specialties",
            "experience",
            "sample_reading",
            "id_check_consent",
        ]
        labels = {
            "display_name": "Name clients will see",
            "years_experience": "Years of experience",
            "languages": "Languages you read in",
            "experience": "Your experience",
            "sample_reading": "A sample reading",
        }
        help_texts = {
            "languages": "Comma-separated, e.g. English, Spanish.",
            "experience": "How you came to this work, your training, where you have read.",
            "sample_reading": (
                "Answer this as you would for a client: “Will the job I applied for "
                "come through?” At least 300 characters."
            ),
        }
        widgets = {
            "experience": forms.Textarea(attrs={"rows": 5}),
            "sample_reading": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean_specialties(self):
        specialties = self.cleaned_data["specialties"]
        if len(specialties) > 5:
            raise forms.ValidationError("Choose at most five specialties.")
        return specialties

    def clean_sample_reading(self):
        text = self.cleaned_data["sample_reading"].strip()
        if len(text) < 300:
            raise forms.ValidationError(
                f"Your sample reading is {len(text)} characters; we need at least 300."
            )
        return text


class ReviewForm(StyledFormMixin, forms.Form):
    rating = forms.TypedChoiceField(
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose between 1 and 5 stars."},
    )
    text = forms.CharField(
        label="Your review",
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What was helpful? Other clients read this. Don't share private details.",
    )


class ReplyForm(StyledFormMixin, forms.Form):
    reply = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
