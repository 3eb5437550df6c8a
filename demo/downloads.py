"""The files the demo shop's downloads deliver: a one-page PDF per product with its title and
summary, written by hand (a page of text needs no PDF library). The same product always gives
the same bytes, so the demo is identical on every machine.

The page says what the file is: the demo's stand-in for the download its product describes.
"""

import textwrap

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4, in points
MARGIN = 72
TITLE_SIZE, TITLE_LEADING, TITLE_CHARS = 24, 30, 32
BODY_SIZE, BODY_LEADING, BODY_CHARS = 12, 17, 78

NOTE = (
    "This page stands in for the real download in the SoulSeer demo shop: buying this product "
    "in the demo gives you this file, through the same private, signed and counted download "
    "links as a real one."
)


def _text(value):
    """A PDF string literal of ``value`` in WinAnsi (what the standard fonts read)."""
    raw = value.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _lines(font, size, leading, x, y, lines):
    shown = b" T* ".join(_text(line) + b" Tj" for line in lines)
    return b"BT /%s %d Tf %d TL %d %d Td %s ET\n" % (font, size, leading, x, y, shown)


def product_pdf(title, summary=""):
    """A valid one-page PDF: ``title`` as its heading and document title, ``summary`` under
    it, and a line saying it is the demo's stand-in."""
    title_lines = textwrap.wrap(title, TITLE_CHARS) or [""]
    body = []
    if summary:
        body += textwrap.wrap(summary, BODY_CHARS) + [""]
    body += textwrap.wrap(NOTE, BODY_CHARS)
    top = PAGE_HEIGHT - MARGIN - TITLE_SIZE
    body_top = top - TITLE_LEADING * len(title_lines) - BODY_LEADING
    content = _lines(b"F1", TITLE_SIZE, TITLE_LEADING, MARGIN, top, title_lines) + _lines(
        b"F2", BODY_SIZE, BODY_LEADING, MARGIN, body_top, body
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        % (PAGE_WIDTH, PAGE_HEIGHT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%sendstream" % (len(content), content),
        b"<< /Title %s /Producer (SoulSeer demo content) >>" % _text(title),
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body_of in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body_of)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)
