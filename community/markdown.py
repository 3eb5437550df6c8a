"""Posts are written in Markdown and shown as HTML made safe here, once, when they are saved.

CommonMark (markdown-it-py) with raw HTML switched off turns the text into HTML; nh3 (the Rust
``ammonia`` sanitiser) then keeps only an allow-list of tags and attributes, only http, https
and mailto links, and gives every link ``rel="nofollow ugc noopener"``: whatever someone types,
no script, style, event handler or other URL scheme reaches a reader's browser.
"""

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

# "commonmark" with html off: <tags> typed in a post become text; links must be written out.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
# Headings a post may use sit below the page's own (h1 the thread, h2 the posts).
_markdown.disable(["lheading"])


def _demote_headings(tokens):
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = "h3" if token.tag in ("h1", "h2", "h3") else "h4"


def render(text):
    """The sanitised HTML of a post's Markdown ``text``."""
    tokens = _markdown.parse(text or "")
    _demote_headings(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )
