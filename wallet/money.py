"""Money as people read it. Amounts are integer cents everywhere; these are the only functions
that turn them into text, so every page, message and e-mail writes an amount the same way."""


def format_cents(amount):
    """Integer cents as dollars: 399 -> "$3.99", 123456 -> "$1,234.56", -250 -> "-$2.50"."""
    amount = int(amount)
    dollars, cents = divmod(abs(amount), 100)
    return f"{'-' if amount < 0 else ''}${dollars:,}.{cents:02d}"


def decimal_string(amount):
    """Integer cents as a plain decimal for form fields and structured data: 399 -> "3.99"."""
    amount = int(amount)
    dollars, cents = divmod(abs(amount), 100)
    return f"{'-' if amount < 0 else ''}{dollars}.{cents:02d}"
