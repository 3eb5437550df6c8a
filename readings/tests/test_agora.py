"""Agora RTC credentials: token structure and signature, publisher privileges, expiry bound to what
the session can still run, channel names that cannot be guessed."""

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from zlib import crc32

import pytest
from agora_token_builder.AccessToken import (
    kJoinChannel,
    kPublishAudioStream,
    kPublishDataStream,
    kPublishVideoStream,
    unPackContent,
    unPackMessages,
)

from readings import agora

APP_ID = "0123456789abcdef0123456789abcdef"
CERTIFICATE = "fedcba9876543210fedcba9876543210"
NOW = 1_900_000_000


@pytest.fixture
def agora_settings(settings):
    settings.AGORA_APP_ID = APP_ID
    settings.AGORA_APP_CERTIFICATE = CERTIFICATE
    settings.READING_RECONNECT_GRACE_SECONDS = 300
    settings.READING_MAX_SESSION_MINUTES = 240
    return settings


def a_session(**overrides):
    values = {
        "public_id": uuid.uuid4(),
        "pk": 7,
        "id": 7,
        "client_id": 10,
        "reader_id": 20,
        "rate_cents": 100,
        "free_minutes": 0,
        "started_at": None,
    }
    values.update(overrides)
    return SimpleNamespace(**values)


CLIENT = SimpleNamespace(pk=10)
READER = SimpleNamespace(pk=20)
STRANGER = SimpleNamespace(pk=30)


def decode(token):
    assert token[:3] == "006"
    app_id = token[3:35]
    signature, crc_channel, crc_uid, message = unPackContent(base64.b64decode(token[35:]))
    salt, ts, privileges = unPackMessages(message)
    return SimpleNamespace(
        app_id=app_id,
        signature=signature,
        crc_channel=crc_channel,
        crc_uid=crc_uid,
        message=message,
        privileges=privileges,
    )


def test_token_is_signed_for_the_channel_and_the_users_uid(agora_settings):
    session = a_session()
    credentials = agora.rtc_credentials(session, CLIENT, balance_cents=1000, now=NOW)

    decoded = decode(credentials.token)
    assert decoded.app_id == APP_ID
    assert credentials.channel == agora.channel_name(session)
    assert decoded.crc_channel == crc32(credentials.channel.encode()) & 0xFFFFFFFF
    assert decoded.crc_uid == crc32(str(credentials.uid).encode()) & 0xFFFFFFFF
    expected = hmac.new(
        CERTIFICATE.encode(),
        APP_ID.encode()
        + credentials.channel.encode()
        + str(credentials.uid).encode()
        + decoded.message,
        hashlib.sha256,
    ).digest()
    assert hmac.compare_digest(decoded.signature, expected)


def test_token_from_another_certificate_does_not_verify(agora_settings):
    session = a_session()
    credentials = agora.rtc_credentials(session, CLIENT, balance_cents=1000, now=NOW)
    decoded = decode(credentials.token)
    forged = hmac.new(
        b"not-the-certificate",
        APP_ID.encode() + credentials.channel.encode() + b"1" + decoded.message,
        hashlib.sha256,
    ).digest()
    assert not hmac.compare_digest(decoded.signature, forged)


def test_both_sides_get_publisher_privileges_with_different_uids(agora_settings):
    session = a_session()
    client = agora.rtc_credentials(session, CLIENT, balance_cents=1000, now=NOW)
    reader = agora.rtc_credentials(session, READER, balance_cents=1000, now=NOW)

    assert client.uid != reader.uid
    assert client.channel == reader.channel
    for credentials in (client, reader):
        privileges = decode(credentials.token).privileges
        assert set(privileges) == {
            kJoinChannel,
            kPublishAudioStream,
            kPublishVideoStream,
            kPublishDataStream,
        }
        assert set(privileges.values()) == {credentials.expires_at}


def test_a_stranger_gets_no_credentials(agora_settings):
    with pytest.raises(PermissionError):
        agora.rtc_credentials(a_session(), STRANGER, balance_cents=1000, now=NOW)


def test_no_credentials_without_an_app_id(settings):
    settings.AGORA_APP_ID = ""
    assert not agora.is_configured()
    with pytest.raises(RuntimeError):
        agora.rtc_credentials(a_session(), CLIENT, balance_cents=1000, now=NOW)


def test_expiry_covers_the_minutes_the_balance_pays_for_plus_the_grace(agora_settings):
    # $10.00 at $1.00/min = 10 paid minutes, 3 intro minutes, 5 min grace.
    session = a_session(rate_cents=100, free_minutes=3)
    credentials = agora.rtc_credentials(session, CLIENT, balance_cents=1050, now=NOW)
    assert credentials.expires_at == NOW + (3 + 10) * 60 + 300


def test_expiry_counts_intro_time_already_used(agora_settings):
    started = datetime.fromtimestamp(NOW - 120, tz=UTC)
    session = a_session(rate_cents=100, free_minutes=3, started_at=started)
    credentials = agora.rtc_credentials(session, CLIENT, balance_cents=500, now=NOW)
    assert credentials.expires_at == NOW + 60 + 5 * 60 + 300


def test_expiry_is_capped_by_the_longest_session(agora_settings):
    credentials = agora.rtc_credentials(
        a_session(rate_cents=1), CLIENT, balance_cents=10**8, now=NOW
    )
    assert credentials.expires_at == NOW + 240 * 60


def test_expiry_never_shorter_than_the_renewal_margin(agora_settings):
    agora_settings.READING_RECONNECT_GRACE_SECONDS = 0
    credentials = agora.rtc_credentials(a_session(), CLIENT, balance_cents=0, now=NOW)
    assert credentials.expires_at == NOW + agora.MIN_TOKEN_SECONDS


def test_channel_name_is_stable_but_not_derived_from_the_integer_id(agora_settings):
    public_id = uuid.uuid4()
    one = agora.channel_name(a_session(public_id=public_id, pk=1, id=1))
    same = agora.channel_name(a_session(public_id=public_id, pk=2, id=2))
    other = agora.channel_name(a_session(pk=1, id=1))

    assert one == same  # both sides compute the same channel
    assert one != other  # the integer id does not decide it
    assert str(public_id) not in one and public_id.hex not in one
    assert len(one) <= 64 and one.startswith("r-") and len(one) == 42


def test_channel_name_depends_on_the_server_secret(agora_settings):
    session = a_session()
    before = agora.channel_name(session)
    agora_settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert agora.channel_name(session) != before
