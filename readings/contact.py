"""Finding contact details in a message: email addresses, phone numbers, links and handles
on other platforms. Every marketplace bans taking clients off-site, so a message that shares
them is held for staff to check (``readings.messaging``).

The patterns lean towards holding a message that only looks like it shares details (staff clear
it in a moment) but leave ordinary prose alone: dates of birth, times, prices, ages and years
are not phone numbers, and naming a platform in a sentence ("my ex posted it on Facebook") is
not a handle unless a name or "find me on" comes with it. Messaging and payment apps
(WhatsApp, Telegram, Venmo ...) are always flagged: there is little reason to name them here
but to move the conversation or the money elsewhere.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings

_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# "jane (at) gmail (dot) com", "jane at gmail dot com", "jane[at]mail.com"
_EMAIL_SPELLED = re.compile(
    r"\b[\w.+-]+\s*(?:\(at\)|\[at\]|\{at\}|\sat\s)\s*[A-Za-z0-9-]+\s*"
    r"(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s|\.)\s*(?:com|net|org|co|io|me|uk|us|ca|de|fr|info)\b",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_TLDS = (
    "com|net|org|io|me|ly|co|app|gg|to|tv|link|info|biz|us|uk|ca|de|fr|au|in|page|site|"
    "online|xyz|club|live|chat|store|shop"
)
_DOMAIN = re.compile(rf"\b(?:[a-z0-9-]+\.)+(?:{_TLDS})\b(?:/[^\s<>\"']*)?(?![\w@])", re.IGNORECASE)
# Digits with spaces, dots, dashes or brackets between them, maybe a leading +.
_PHONE = re.compile(r"(?<![\w$€£¥.,:/])\+?\(?\d(?:[\d\s().-]*\d)?(?![\w%:/]|[.,]\d)")
_DATE = re.compile(
    r"^\s*(?:\d{1,2}[\s./-]\d{1,2}[\s./-](?:\d{2}|\d{4})|\d{4}[\s./-]\d{1,2}[\s./-]\d{1,2})\s*$"
)
_HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?\b")
_ALWAYS = re.compile(
    r"\b(?:whats\s?app|telegram|wechat|viber|kik|skype|signal\s+app|cash\s?app|venmo|zelle|"
    r"paypal(?:\.me)?|t\.me|wa\.me|imessage)\b",
    re.IGNORECASE,
)
_SOCIAL = (
    r"(?:insta(?:gram)?|ig|facebook|fb|messenger|tik\s?tok|twitter|snap(?:chat)?|discord|zoom|"
    r"x\.com|threads|youtube|onlyfans|linkedin)"
)
_SOCIAL_HANDLE = re.compile(
    rf"\b{_SOCIAL}\s*(?:[:=-]|is|handle|name|username|id)?\s*@[A-Za-z0-9_.]{{2,}}",
    re.IGNORECASE,
)
_SOCIAL_COLON = re.compile(rf"\b{_SOCIAL}\s*:\s*@?[A-Za-z0-9_.]{{2,}}", re.IGNORECASE)
_SOCIAL_INVITE = re.compile(
    r"\b(?:my|find\s+me\s+on|add\s+me\s+on|follow\s+me\s+on|message\s+me\s+on|dm\s+me\s+on|"
    rf"reach\s+me\s+on|contact\s+me\s+on|talk\s+on|chat\s+on|call\s+me\s+on)\s+{_SOCIAL}\b",
    re.IGNORECASE,
)
_INVITE = re.compile(
    r"\b(?:text|call|email|e-mail|mail|reach|contact|ring)\s+me\s+(?:at|on|directly|outside|"
    r"privately)\b|\bdm\s+me\b|\bmy\s+(?:number|cell|mobile|phone|email|e-mail)\s+is\b",
    re.IGNORECASE,
)


def _own_host():
    return (urlsplit(getattr(settings, "SITE_URL", "") or "").hostname or "").lower()


def _is_own_link(text):
    host = urlsplit(text if "://" in text else f"http://{text}").hostname or ""
    own = _own_host()
    return bool(own) and (host == own or host.endswith(f".{own}"))


def _is_phone(candidate):
    digits = re.sub(r"\D", "", candidate)
    if not 7 <= len(digits) <= 15 or _DATE.match(candidate):
        return False
    # A run of plain digits with no separator and no "+" is an order number or an amount
    # more often than a phone number, unless it is as long as a full one.
    return not (candidate.isdigit() and len(digits) < 10)


def find_contact_details(text):
    """The contact details ``text`` shares (emails, phone numbers, links, handles, names of
    messaging apps), as the pieces of text found, in order, each once. Empty: nothing found."""
    if not text:
        return []
    found = []
    spans = []

    def add(piece, span):
        piece = piece.strip()
        if not piece or any(start <= span[0] < end for start, end in spans):
            return
        spans.append(span)
        found.append((span[0], piece))

    for match in _EMAIL.finditer(text):
        add(match.group(), match.span())
    for match in _EMAIL_SPELLED.finditer(text):
        add(match.group(), match.span())
    for match in _URL.finditer(text):
        if not _is_own_link(match.group()):
            add(match.group().rstrip(".,;:!?)"), match.span())
    for match in _DOMAIN.finditer(text):
        if not _is_own_link(match.group()):
            add(match.group(), match.span())
    for pattern in (_ALWAYS, _SOCIAL_INVITE, _SOCIAL_COLON, _SOCIAL_HANDLE, _HANDLE, _INVITE):
        for match in pattern.finditer(text):
            add(match.group(), match.span())
    for match in _PHONE.finditer(text):
        candidate = match.group().strip(" .-()")
        if _is_phone(candidate):
            add(candidate, match.span())
    seen, result = set(), []
    for _start, piece in sorted(found):
        if piece.lower() not in seen:
            seen.add(piece.lower())
            result.append(piece)
    return result
