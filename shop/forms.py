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
    name = forms.CharField(label="Full name", max_length=120, required=False)
    line1 = forms.CharField(label="Address", max_length=200, required=False)
    line2 = forms.CharField(label="Apartment, suite, etc.", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100, required=False)
    postcode = forms.CharField(label="ZIP or postal code", max_length=20, required=False)
    country = forms.CharField(label="Country", max_length=60, required=False)

    ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postcode", "country")
    REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postcode", "country")
    AUTOCOMPLETE = {
        "name": "shipping name",
        "line1": "shipping address-line1",
        "line2": "shipping address-line2",
        "city": "shipping address-level2",
        "postcode": "shipping postal-code",
        "country": "shipping country-name",
    }

    def __init__(self, *args, needs_shipping=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_shipping = needs_shipping
        if not needs_shipping:
            for name in self.ADDRESS_FIELDS:
                del self.fields[name]
        else:
            for name in self.REQUIRED_ADDRESS_FIELDS:
                self.fields[name].required = True
            for name, hint in self.AUTOCOMPLETE.items():
                self.fields[name].widget.attrs["autocomplete"] = hint
        self.style_fields()

    def shipping(self):
        """The address, for ``services.checkout_with_wallet`` (None when nothing ships)."""
        if not self.needs_shipping:
            return None
        return {name: self.cleaned_data.get(name, "") for name in self.ADDRESS_FIELDS}

    def address_fields(self):
        return [self[name] for name in self.ADDRESS_FIELDS if name in self.fields]
