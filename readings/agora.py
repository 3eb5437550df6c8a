"""Agora RTC credentials for voice and video readings.

Three rules keep a reading's media private and bounded:

- Channel names are derived from the session's UUID with a keyed HMAC (the site's secret), never
  from the integer id: one reading's channel tells nothing about another's, and nobody can compute
  a channel name without the server's key.
- Tokens carry the publisher role (both sides speak and show video), bound to one uid per side.
- A token expires when the session can no longer run: the time the client's balance pays for (plus
  the intro minutes and the reconnect grace), capped by ``READING_MAX_SESSION_MINUTES``. After an
  in-session top-up the page asks for a fresh token (the SDK warns 30 s before expiry).

Without ``AGORA_APP_ID`` voice and video are switched off and only chat is offered.
"""

import time
from dataclasses import dataclass

from agora_token_builder.RtcTokenBuilder import Role_Publisher, RtcTokenBuilder
from django.conf import settings
from django.utils.crypto import salted_hmac

CHANNEL_SALT = "readings.agora.channel"
CLIENT_UID = 1
READER_UID = 2
# A token is always good for at least this long, so a session that is about to be topped up does
# not lose its media while the page asks for a new one.
MIN_TOKEN_SECONDS = 120


def is_configured():
    return bool(settings.AGORA_APP_ID)


def channel_name(session):
    """The Agora channel of a reading: ``r-`` and 40 hex digits of an HMAC over its UUID.

    Agora allows up to 64 ASCII characters; a 160-bit digest cannot be guessed or enumerated."""
    digest = salted_hmac(CHANNEL_SALT, str(session.public_id), algorithm="sha256").hexdigest()
    return f"r-{digest[:40]}"


def uid_for(session, user):
    if user.pk == session.client_id:
        return CLIENT_UID
    if user.pk == session.reader_id:
        return READER_UID
    raise PermissionError("Only the client and the reader of a reading get media credentials.")


def session_seconds_left(session, balance_cents, *, now):
    """How long the session can still run from ``now`` (Unix seconds): the intro time not yet used,
    the paid minutes the balance covers and the reconnect grace, capped by the longest session we
    allow. Wall-clock time since the start counts against the intro minutes (paused time too), so
    the bound can only come out shorter than the truth, never longer."""
    free_seconds = session.free_minutes * 60
    if session.started_at:
        free_seconds = max(free_seconds - int(now - session.started_at.timestamp()), 0)
    paid_seconds = (balance_cents // session.rate_cents) * 60 if session.rate_cents else 0
    grace = getattr(settings, "READING_RECONNECT_GRACE_SECONDS", 300)
    cap = getattr(settings, "READING_MAX_SESSION_MINUTES", 240) * 60
    return max(MIN_TOKEN_SECONDS, min(free_seconds + paid_seconds + grace, cap))


@dataclass(frozen=True)
class RtcCredentials:
    app_id: str
    channel: str
    uid: int
    token: str
    expires_at: int  # Unix seconds

    def as_dict(self):
        return {
            "app_id": self.app_id,
            "channel": self.channel,
            "uid": self.uid,
            "token": self.token,
            "expires_at": self.expires_at,
        }


def rtc_credentials(session, user, *, balance_cents, now=None):
    """Publisher credentials for ``user`` (the session's client or reader) in ``session``'s channel.

    Raises ``PermissionError`` for anyone else and ``RuntimeError`` when Agora is not configured."""
    if not is_configured():
        raise RuntimeError("Agora is not configured (AGORA_APP_ID is empty).")
    uid = uid_for(session, user)
    now = int(now if now is not None else time.time())
    expires_at = now + session_seconds_left(session, balance_cents, now=now)
    channel = channel_name(session)
    token = RtcTokenBuilder.buildTokenWithUid(
        settings.AGORA_APP_ID,
        settings.AGORA_APP_CERTIFICATE,
        channel,
        uid,
        Role_Publisher,
        expires_at,
    )
    return RtcCredentials(settings.AGORA_APP_ID, channel, uid, token, expires_at)
