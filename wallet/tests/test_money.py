"""Amounts as people read them: one formatter for every page and message."""

import pytest

from home.templatetags.soulseer_tags import cents
from wallet.money import decimal_string, format_cents


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "$0.00"), (5, "$0.05"), (399, "$3.99"), (123456, "$1,234.56"), (-250, "-$2.50")],
)
def test_cents_are_written_as_dollars_with_grouped_thousands(amount, text):
    assert format_cents(amount) == text


def test_large_amounts_are_exact_where_floats_would_round():
    # 2**53 + 1 cents: a float division would print ...992.00 instead of ...992.01
    assert format_cents(9_007_199_254_740_993) == "$90,071,992,547,409.93"


@pytest.mark.parametrize(("amount", "text"), [(0, "0.00"), (399, "3.99"), (123456, "1234.56")])
def test_form_fields_and_structured_data_get_a_plain_decimal(amount, text):
    assert decimal_string(amount) == text


def test_the_template_filter_writes_what_the_formatter_writes():
    assert cents(123456) == format_cents(123456)
    assert cents(None) == ""
