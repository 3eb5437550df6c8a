"""One rule for text written into a spreadsheet export, shared by every CSV the site makes."""

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV
# injection): such text gets a leading apostrophe, which they show as plain text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value):
    value = str(value or "")
    return "'" + value if value.startswith(FORMULA_START) else value
