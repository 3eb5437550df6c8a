"""Forms of the shop's pages. They parse what the browser sends; what can be bought, for how
much and whether the wallet can pay is decided by ``shop.services``."""

import uuid

from django import forms

from accounts.forms import StyledFormMixin


def new_checkout_key():
    return uuid.uuid4().hex


class CheckoutForm(StyledFormMixin, forms.Form):
    """Pay for the cart. ``idempotency_key`` is made when the page is rendered, so the same
    page submitted twice pays once. The address fields are asked only when something ships."""

    idempotency_key = forms.RegexField(
        regex=r"^[0-9a-f]{32}$",
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "This page is out of date: reload it and try again.",
            "required": "This page is out of date: reload it and try again.",
        },
    )
    pay_with = forms.ChoiceField(
        choices=[("wallet", "Wallet"), ("card", "Card")],
        initial="wallet",
        required=False,
        widget=forms.HiddenInput,
    )
    # A saved card's Stripe id (the page saves a new card with Stripe.js first).
    payment_method = forms.RegexField(
        regex=r"^pm_[A-Za-z0-9_]{1,200}$",
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "Choose one of your saved cards, or add a card."},
    )
    name = forms.CharField(label="Full name", max_length=120, required=False)
    line1 = forms.CharField(label="Address", max_length=200, required=False)
    line2 = forms.CharField(label="Apartment, suite, etc.", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    postcode = forms.CharField(label="ZIP or postal code", max_length=20, required=False)
    country = forms.CharField(label="Country", max_length=60, required=False)

    gift_email = forms.EmailField(
        label="Send the gift card to",
        required=False,
        help_text="Their email address. Leave it empty to get the code yourself.",
    )
    gift_message = forms.CharField(
        label="A message with it (optional)",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postcode", "country")
    GIFT_FIELDS = ("gift_email", "gift_message")
    REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postcode", "country")
    AUTOCOMPLETE = {
        "name": "shipping name",
        "line1": "shipping address-line1",
        "line2": "shipping address-line2",
        "city": "shipping address-level2",
        "postcode": "shipping postal-code",
        "country": "shipping country-name",
    }

    def __init__(self, *args, needs_shipping=False, has_gift_cards=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_shipping = needs_shipping
        self.has_gift_cards = has_gift_cards
        if not has_gift_cards:
            for name in self.GIFT_FIELDS:
                del self.fields[name]
        if not needs_shipping:
            for name in self.ADDRESS_FIELDS:
                del self.fields[name]
        else:
            for name in self.REQUIRED_ADDRESS_FIELDS:
                self.fields[name].required = True
            for name, hint in self.AUTOCOMPLETE.items():
                self.fields[name].widget.attrs["autocomplete"] = hint
        self.style_fields()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pay_with") == "card" and not cleaned.get("payment_method"):
            self.add_error(None, "Choose one of your saved cards, or add a card.")
        return cleaned

    @property
    def by_card(self):
        return self.cleaned_data.get("pay_with") == "card"

    def shipping(self):
        """The address, for ``services.checkout_with_wallet`` (None when nothing ships)."""
        if not self.needs_shipping:
            return None
        return {name: self.cleaned_data.get(name, "") for name in self.ADDRESS_FIELDS}

    def gift_recipient(self):
        """Who gets the gift cards' codes, for ``services.checkout_with_wallet``."""
        if not self.has_gift_cards:
            return None
        return {
            "email": self.cleaned_data.get("gift_email", ""),
            "message": self.cleaned_data.get("gift_message", ""),
        }

    def gift_fields(self):
        return [self[name] for name in self.GIFT_FIELDS if name in self.fields]

    def address_fields(self):
        return [self[name] for name in self.ADDRESS_FIELDS if name in self.fields]
