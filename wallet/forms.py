"""Wallet forms. Money is typed in dollars and handled in cents."""

from decimal import Decimal

from django import forms

from .money import format_cents
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
            raise forms.ValidationError(
                f"At most {format_cents(self.remaining)} can still be credited."
            )
        return cents


# Top-ups, auto-reload and payouts (owner: Stripe flows) -----------------------------------------


def _dollars_to_cents_field(label, **kwargs):
    # No max_digits: Django's "no more than 9 digits" would answer before the bound in
    # _amount_in_cents, which names the largest amount allowed.
    return forms.DecimalField(
        label=label,
        decimal_places=2,
        error_messages={
            "invalid": "Enter an amount in dollars, like 25 or 25.50.",
            "max_decimal_places": "Use at most two digits after the point (whole cents).",
        },
        widget=forms.NumberInput(
            attrs={"step": "0.01", "min": "0", "inputmode": "decimal", "class": "form-input"}
        ),
        **kwargs,
    )


def _amount_in_cents(value, *, minimum, maximum, noun="amount"):
    """Dollars (Decimal) → whole cents within bounds, or a ValidationError with a clear message."""

    if value is None:
        raise forms.ValidationError(f"Enter an {noun}.")
    if value <= 0:
        raise forms.ValidationError("Amounts must be greater than zero.")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise forms.ValidationError("Use whole cents (at most two digits after the point).")
    cents = int(cents)
    if minimum is not None and cents < minimum:
        raise forms.ValidationError(f"The smallest {noun} is {format_cents(minimum)}.")
    if maximum is not None and cents > maximum:
        raise forms.ValidationError(f"The largest {noun} is {format_cents(maximum)}.")
    return cents


class TopUpForm(forms.Form):
    """Preset or custom amount, a saved card (the page saves a new card first with Stripe.js)."""

    CUSTOM = "custom"

    amount = forms.ChoiceField(label="Amount", widget=forms.RadioSelect)
    custom_amount = _dollars_to_cents_field("Other amount (USD)", required=False)
    currency = forms.CharField(widget=forms.HiddenInput, initial="usd", required=False)
    payment_method = forms.CharField(
        widget=forms.HiddenInput,
        required=True,
        error_messages={"required": "Choose a saved card or add a new one."},
    )

    def __init__(self, *args, cards=(), presets=(), bounds=(500, 50000), **kwargs):
        super().__init__(*args, **kwargs)

        self.bounds = bounds
        self.card_ids = {card["id"] for card in cards}
        self.fields["amount"].choices = [(str(p), format_cents(p)) for p in presets] + [
            (self.CUSTOM, "Other")
        ]
        self.fields[
            "custom_amount"
        ].help_text = f"Between {format_cents(bounds[0])} and {format_cents(bounds[1])}."
        if not self.is_bound and presets:
            self.initial.setdefault("amount", str(presets[1] if len(presets) > 1 else presets[0]))
            if cards:
                self.initial.setdefault("payment_method", cards[0]["id"])

    def clean_currency(self):
        currency = (self.cleaned_data.get("currency") or "usd").strip().lower()
        if currency != "usd":
            # A hidden field: the message goes to the top of the form, where it is shown.
            self.add_error(None, "Top-ups are in US dollars (USD) only.")
        return currency

    def clean_payment_method(self):
        value = self.cleaned_data["payment_method"]
        if value not in self.card_ids:
            raise forms.ValidationError("Choose one of your saved cards.")
        return value

    def clean(self):
        data = super().clean()
        choice = data.get("amount")
        low, high = self.bounds
        try:
            if choice == self.CUSTOM:
                if "custom_amount" in self.errors:
                    return data
                data["amount_cents"] = _amount_in_cents(
                    data.get("custom_amount"), minimum=low, maximum=high, noun="top-up"
                )
            elif choice:
                data["amount_cents"] = _amount_in_cents(
                    Decimal(choice) / 100, minimum=low, maximum=high, noun="top-up"
                )
        except forms.ValidationError as error:
            self.add_error("custom_amount" if choice == self.CUSTOM else "amount", error)
        return data


class AutoReloadForm(forms.Form):
    enabled = forms.BooleanField(label="Turn on auto-reload", required=False)
    threshold = _dollars_to_cents_field("When my balance drops under")
    amount = _dollars_to_cents_field("Add this amount")
    payment_method = forms.ChoiceField(label="Charge this card")
    daily_limit = forms.IntegerField(
        label="At most this many reloads a day",
        min_value=1,
        widget=forms.NumberInput(attrs={"class": "form-input", "inputmode": "numeric"}),
    )

    def __init__(self, *args, cards=(), bounds=(500, 50000), max_per_day=5, **kwargs):
        super().__init__(*args, **kwargs)
        self.bounds = bounds
        self.fields["payment_method"].choices = [
            (card["id"], f"{card['brand']} ending {card['last4']} (exp {card['exp']})")
            for card in cards
        ]
        self.fields["daily_limit"].max_value = max_per_day
        self.fields["daily_limit"].validators.append(
            forms.IntegerField(max_value=max_per_day).validators[-1]
        )
        self.fields["enabled"].widget.attrs["class"] = (
            "mt-1 h-5 w-5 rounded border-slate-300 text-accent-600 focus:ring-accent-500"
        )

    def clean_threshold(self):
        return _amount_in_cents(
            self.cleaned_data.get("threshold"), minimum=100, maximum=self.bounds[1], noun="balance"
        )

    def clean_amount(self):
        low, high = self.bounds
        return _amount_in_cents(
            self.cleaned_data.get("amount"), minimum=low, maximum=high, noun="top-up"
        )


class PayoutForm(forms.Form):
    amount = _dollars_to_cents_field("Amount to pay out")
    request_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, minimum=2500, available=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum = minimum
        self.available = available

    def clean_amount(self):
        return _amount_in_cents(
            self.cleaned_data.get("amount"),
            minimum=self.minimum,
            maximum=None,
            noun="payout",
        )


class RedeemGiftCardForm(forms.Form):
    code = forms.CharField(
        label="Gift card code",
        max_length=40,
        help_text="16 letters and digits, as in the email: ABCD-EFGH-JKMN-PQRS.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
