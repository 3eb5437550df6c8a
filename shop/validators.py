"""Checks on the files a product sells: a size limit and the file's first bytes, so a download
is what its name says (a ``.pdf`` that is really something else is refused)."""

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

# File type -> the extensions a file of that type may carry.
EXTENSIONS = {
    "pdf": {"pdf"},
    "zip": {"zip", "epub"},  # an EPUB is a ZIP archive
    "mp3": {"mp3"},
    "png": {"png"},
    "jpeg": {"jpg", "jpeg"},
}


def sniff(head):
    """The type of a file from its first bytes, or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    # An ID3 tag, or an MPEG audio frame header (11 sync bits set).
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def validate_download(file):
    """A product's download: at most ``SHOP_DOWNLOAD_MAX_BYTES``, a PDF, ZIP (or EPUB), MP3,
    PNG or JPEG by its content, with an extension that agrees."""
    if getattr(file, "_committed", False):
        return  # already stored: checked when it was uploaded
    limit = settings.SHOP_DOWNLOAD_MAX_BYTES
    if file.size is not None and file.size > limit:
        raise ValidationError(
            f"This file is {filesizeformat(file.size)}; downloads can be at most "
            f"{filesizeformat(limit)}."
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    kind = sniff(head)
    extension = os.path.splitext(file.name or "")[1].lower().lstrip(".")
    allowed = ", ".join(sorted({ext.upper() for exts in EXTENSIONS.values() for ext in exts}))
    if kind is None:
        raise ValidationError(f"Downloads can be {allowed} files; this file is none of those.")
    if extension not in EXTENSIONS[kind]:
        raise ValidationError(
            f"This file's content is {kind.upper()} but its name ends in .{extension or '?'}; "
            f"rename it to .{sorted(EXTENSIONS[kind])[0]}."
        )
