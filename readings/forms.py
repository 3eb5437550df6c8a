"""Forms of the reading pages. Business rules stay in the services; forms only check shape."""

from django import forms

from readers.models import ReaderPage

from .chat import MAX_NOTE_LENGTH
from .models import ReadingSession


class StartReadingForm(forms.Form):
    """Which reader and which channel: posted from the reader page's "Start reading" buttons."""

    reader = forms.IntegerField(widget=forms.HiddenInput)
    channel = forms.ChoiceField(choices=ReadingSession.Channel.choices, widget=forms.HiddenInput)

    def clean_reader(self):
        page = (
            ReaderPage.objects.live()
            .filter(pk=self.cleaned_data["reader"])
            .select_related("user", "photo")
            .first()
        )
        if page is None:
            raise forms.ValidationError("This reader does not exist.")
        return page


class ReaderNoteForm(forms.Form):
    body = forms.CharField(
        label="Private notes about this client",
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-input"}),
        help_text="Only you can see these notes. They are kept for your next reading together.",
    )


class PresenceForm(forms.Form):
    # Busy is not a choice: it follows a live reading (readings.presence).
    presence = forms.ChoiceField(
        choices=[
            (value, label)
            for value, label in ReaderPage.Presence.choices
            if value != ReaderPage.Presence.BUSY
        ]
    )
