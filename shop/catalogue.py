"""The shop catalogue: the shop index's products filtered (kind, price range, seller reader) and
sorted from the query string, with their queries fixed once (3 or 30 products cost the same).

A filter that does not validate is dropped on its own and named back to the visitor in a note
above the results; the others still apply. Nothing a visitor types into the URL can fail the page.

``ShopConfig.ready`` hands this module to ``ShopIndexPage`` (``ShopIndexPage.catalogue``), whose
``get_context`` calls ``page_context``: the module reads the models, so they do not import it.
"""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F

from .models import ProductPage

# Query value -> label, in the order the select shows them; the first is the default.
SORTS = {
    "name": "Name",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "newest": "Newest",
}
DEFAULT_SORT = "name"
# The query string's fields, in the order a clean URL lists them.
FIELDS = ("kind", "min_price", "max_price", "seller", "sort")
MAX_PRICE = Decimal("100000")
ORDER = {
    "name": ["title", "pk"],
    "price": ["price_cents", "title", "pk"],
    "-price": ["-price_cents", "title", "pk"],
    "newest": [F("first_published_at").desc(nulls_last=True), "title", "pk"],
}
# The catalogue's results element: an HTMX request aimed at it gets only the results back.
RESULTS_TARGET = "shop-results"


class FilterForm(forms.Form):
    """Bound to ``request.GET``; ``seller_choices`` are the readers selling live products,
    ``(user id, name)``, already read for the select, so validating one costs no query."""

    kind = forms.ChoiceField(required=False, label="Kind")
    min_price = forms.DecimalField(
        required=False, label="Lowest price", min_value=0, max_value=MAX_PRICE, decimal_places=2
    )
    max_price = forms.DecimalField(
        required=False, label="Highest price", min_value=0, max_value=MAX_PRICE, decimal_places=2
    )
    seller = forms.TypedChoiceField(required=False, label="Reader", coerce=int, empty_value=None)
    sort = forms.ChoiceField(required=False, label="Sort by", choices=list(SORTS.items()))

    def __init__(self, data=None, *, seller_choices=()):
        super().__init__(data)
        # Read when the form is made, so kinds added to ProductPage.Kind show up here too.
        self.fields["kind"].choices = [("", "All kinds"), *ProductPage.Kind.choices]
        self.fields["seller"].choices = [
            ("", "Any reader"),
            *((str(pk), name) for pk, name in seller_choices),
        ]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The highest price is below the lowest.")
        return cleaned

    def filters(self):
        """The valid filters (an invalid one is left out), with prices in cents."""
        cleaned = {}
        if self.is_bound:
            self.is_valid()  # keeps the fields that passed in cleaned_data (add_error drops one)
            cleaned = self.cleaned_data
        return {
            "kind": cleaned.get("kind") or "",
            "min_cents": _cents(cleaned.get("min_price")),
            "max_cents": _cents(cleaned.get("max_price")),
            "seller": cleaned.get("seller"),
            "sort": cleaned.get("sort") or DEFAULT_SORT,
        }

    def problems(self):
        """What was ignored, one sentence per field ("Lowest price: Enter a number.")."""
        if not self.is_bound:
            return []
        return [
            f"{self.fields[name].label}: {' '.join(errors)}"
            for name, errors in self.errors.items()
            if name in self.fields
        ]


def sellers(index):
    """The readers with a live product in the shop, by name, as ``(user id, name)`` (one query)."""
    products = ProductPage.objects.live().child_of(index).filter(seller__isnull=False)
    readers = (
        get_user_model()
        .objects.filter(pk__in=products.values("seller_id"))
        .only("pk", "display_name", "first_name", "username")
        .order_by("display_name", "first_name", "username", "pk")
    )
    return [(reader.pk, reader.public_name) for reader in readers]


def products(index, params, seller_choices=None):
    """The shop's live products filtered and sorted by ``params`` (the query string), with their
    photos and stock counts, and the bound filter form (invalid filters are left out; the form
    says which). ``seller_choices``: ``sellers(index)``, when the caller has read it already."""
    if seller_choices is None:
        seller_choices = sellers(index)
    form = FilterForm(params, seller_choices=seller_choices)
    filters = form.filters()
    found = ProductPage.objects.live().child_of(index).select_related("image", "stock_level")
    if filters["kind"]:
        found = found.filter(kind=filters["kind"])
    if filters["min_cents"] is not None:
        found = found.filter(price_cents__gte=filters["min_cents"])
    if filters["max_cents"] is not None:
        found = found.filter(price_cents__lte=filters["max_cents"])
    if filters["seller"] is not None:
        found = found.filter(seller_id=filters["seller"])
    return found.order_by(*ORDER[filters["sort"]]), form


def page_context(index, request):
    """What ``shop/shop_index_page.html`` shows: the products, the filters' options, the values
    of the filters in force (for the form's inputs), and which layout to render (the results alone
    when HTMX swaps them after a filter change, the whole page otherwise)."""
    seller_choices = sellers(index)
    found, form = products(index, request.GET, seller_choices)
    # The valid values as the query string writes them; an invalid one is shown empty.
    values = {
        name: "" if form.cleaned_data.get(name) is None else str(form.cleaned_data[name])
        for name in FIELDS
    }
    values["sort"] = values["sort"] or DEFAULT_SORT
    htmx = getattr(request, "htmx", None)
    return {
        "products": found,
        "filter_values": values,
        "filter_problems": form.problems(),
        "filters_active": any(values[name] for name in FIELDS if name != "sort"),
        "kind_options": form.fields["kind"].choices[1:],
        "seller_options": seller_choices,
        "sort_options": SORTS,
        "catalogue_layout": (
            "shop/_catalogue_fragment.html"
            if htmx and htmx.target == RESULTS_TARGET
            else "base.html"
        ),
    }


def _cents(amount):
    return None if amount is None else int(amount * 100)
