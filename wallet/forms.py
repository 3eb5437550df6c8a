"""Wallet forms. Money is typed in dollars and handled in cents."""

from decimal import Decimal

from django import forms

from .selectors import HISTORY_CATEGORIES

DATE_WIDGET = forms.DateInput(attrs={"type": "date", "class": "form-input"}, format="%Y-%m-%d")


def to_cents(value):
    return None if value is None else int((value * 100).to_integral_value())


def dollars_field(label, **kwargs):
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0.01"),
        max_value=Decimal("100000"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        **kwargs,
    )


class HistoryFilterForm(forms.Form):
    type = forms.ChoiceField(
        label="Type",
        required=False,
        widget=forms.Select(attrs={"class": "form-input"}),
        choices=[("", "All activity")]
        + [(key, label) for key, (label, _kinds) in HISTORY_CATEGORIES.items()],
    )
    date_from = forms.DateField(label="From", required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label="To", required=False, widget=DATE_WIDGET)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return data


class SpendingLimitForm(forms.Form):
    daily = dollars_field("Per day", required=False)
    weekly = dollars_field("Per 7 days", required=False)
    monthly = dollars_field("Per 30 days", required=False)

    def cents(self):
        return {
            name: to_cents(self.cleaned_data.get(name)) for name in ("daily", "weekly", "monthly")
        }


class SatisfactionCreditForm(forms.Form):
    amount = dollars_field("Credit to give back")
    reason = forms.CharField(
        label="Reason (kept in the audit log)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    request_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, remaining=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.remaining = remaining

    def clean_amount(self):
        cents = to_cents(self.cleaned_data["amount"])
        if cents > self.remaining:
            dollars, rest = divmod(self.remaining, 100)
            raise forms.ValidationError(f"At most ${dollars:,}.{rest:02d} can still be credited.")
        return cents
