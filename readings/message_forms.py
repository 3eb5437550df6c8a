"""Forms of the inbox: a message (text and files), a paid question, the reader's offers, search.

They check shape only (text present and not too long, how many files, a price in dollars); what
may be sent, to whom and at what price is decided by ``readings.messaging``, whose refusals the
views show beside the form. Files are checked by the same ``messaging.validate_attachment`` the
services apply, so a wrong file is named under the field before anything is reserved.
"""

import uuid
from decimal import Decimal

from django import forms
from django.conf import settings

from accounts.forms import StyledFormMixin
from wallet.money import format_cents

from . import messaging
from .models import MessageOffer

TEXTAREA_CLASSES = "form-input min-h-[7rem] resize-y"
FILE_INPUT_CLASSES = (
    "block w-full text-sm text-slate-700 file:mr-4 file:min-h-[40px] file:cursor-pointer "
    "file:rounded-full file:border-0 file:bg-accent-50 file:px-4 file:py-2 file:text-sm "
    "file:font-semibold file:text-accent-700 hover:file:bg-accent-100"
)
ATTACHMENT_TYPES = "image/jpeg,image/png,image/webp,image/gif,audio/*,application/pdf"


def new_idempotency_key():
    return uuid.uuid4().hex


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to ``MESSAGE_ATTACHMENTS_PER_MESSAGE`` files (a list, maybe empty)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data or []) if f] if isinstance(data, list | tuple) else data
        if not files:
            return []
        if not isinstance(files, list):
            files = [files]
        limit = settings.MESSAGE_ATTACHMENTS_PER_MESSAGE
        if len(files) > limit:
            raise forms.ValidationError(f"Attach at most {limit} files to one message.")
        errors = []
        for uploaded in files:
            try:
                messaging.validate_attachment(uploaded)
            except messaging.MessagingError as refused:
                errors.append(f"{uploaded.name}: {refused}")
            except forms.ValidationError as refused:
                errors.extend(f"{uploaded.name}: {message}" for message in refused.messages)
        if errors:
            raise forms.ValidationError(errors)
        for uploaded in files:
            uploaded.seek(0)
        return files


def _attachment_help():
    limit = settings.MESSAGE_ATTACHMENT_MAX_BYTES // (1024 * 1024)
    count = settings.MESSAGE_ATTACHMENTS_PER_MESSAGE
    return f"Images, audio or PDF, up to {count} files of {limit} MB each."


class MessageForm(StyledFormMixin, forms.Form):
    """A message of a thread: a free follow-up, the reader's free message or their paid reply."""

    body = forms.CharField(
        label="Message",
        max_length=settings.MESSAGE_MAX_CHARS,
        error_messages={
            "required": "Write your message first.",
            "max_length": f"Keep it under {settings.MESSAGE_MAX_CHARS:,} characters.",
        },
        widget=forms.Textarea(attrs={"rows": 4, "class": TEXTAREA_CLASSES}),
    )
    attachments = AttachmentsField(label="Attach files", required=False)

    def __init__(self, *args, body_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if body_label:
            self.fields["body"].label = body_label
        self.fields["attachments"].help_text = _attachment_help()
        self.fields["attachments"].widget.attrs.update(
            {"accept": ATTACHMENT_TYPES, "class": FILE_INPUT_CLASSES}
        )
        self.style_fields()


class AskForm(MessageForm):
    """A paid question: one of the reader's offers, the question, files, and a key chosen when
    the page was rendered, so the same form sent twice reserves once."""

    offer = forms.ModelChoiceField(
        queryset=MessageOffer.objects.none(),
        label="Choose a reading",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose one of the readings first.",
            "invalid_choice": "That reading is no longer offered. Choose another one.",
        },
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    field_order = ["offer", "body", "attachments", "idempotency_key"]

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, body_label="Your question", **kwargs)
        self.fields["offer"].queryset = offers
        self.fields["body"].widget.attrs["rows"] = 7
        self.fields[
            "body"
        ].help_text = "Give as much context as you like: names, dates, what you hope to understand."


class OfferForm(StyledFormMixin, forms.Form):
    """A reader's message offer: name, price in dollars, promised reply time in hours. The
    staff's limits are named in the help text; ``messaging.save_offer`` enforces them."""

    title = forms.CharField(
        label="Name of the reading",
        max_length=80,
        error_messages={"required": "Give the reading a name, like “24-hour reading”."},
        widget=forms.TextInput(attrs={"placeholder": "24-hour reading"}),
    )
    price = forms.DecimalField(
        label="Price (USD)",
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "required": "Enter a price in dollars, like 25 or 24.99.",
            "invalid": "Enter a price in dollars, like 25 or 24.99.",
            "max_decimal_places": "Use whole cents (at most two digits after the point).",
            "min_value": "The price must be more than zero.",
        },
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    reply_hours = forms.IntegerField(
        label="You reply within (hours)",
        min_value=1,
        max_value=32767,
        error_messages={
            "required": "Say within how many hours you reply.",
            "invalid": "Enter a whole number of hours.",
            "min_value": "At least one hour.",
            "max_value": "That is far too long.",
        },
        widget=forms.NumberInput(attrs={"min": "1", "inputmode": "numeric"}),
    )

    def __init__(self, *args, limits=None, **kwargs):
        super().__init__(*args, **kwargs)
        if limits is not None:
            self.fields["price"].help_text = (
                f"Between {format_cents(limits.message_price_min_cents)} and "
                f"{format_cents(limits.message_price_max_cents)}."
            )
            self.fields["reply_hours"].help_text = (
                f"Between {limits.message_reply_hours_min} and "
                f"{limits.message_reply_hours_max} hours. If you don't reply in time, the "
                "client's money goes back to them."
            )
        self.style_fields()

    @property
    def price_cents(self):
        return int(self.cleaned_data["price"] * 100)


class InboxSearchForm(forms.Form):
    q = forms.CharField(label="Search messages", required=False, max_length=100)

    def query(self):
        return self.cleaned_data.get("q", "").strip() if self.is_valid() else ""
