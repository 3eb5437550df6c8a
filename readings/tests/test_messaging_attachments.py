"""Message attachments are checked by their content, not their name (images, audio, PDF), by
size and by count, and saved into the private storage under names of our own."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from readings import messaging
from readings.errors import AttachmentRefused
from readings.models import MessageAttachment, MessageRequest
from readings.tests.factories import make_client, make_reader
from wallet.selectors import wallet_summary

PAD = b"\x00" * 200

GOOD = [
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF" + PAD, "image/jpeg", "jpg"),
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + PAD, "image/png", "png"),
    ("photo.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + PAD, "image/webp", "webp"),
    ("moon.gif", b"GIF89a\x01\x00\x01\x00" + PAD, "image/gif", "gif"),
    ("voice.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + PAD, "audio/mpeg", "mp3"),
    ("voice.mp3", b"\xff\xfb\x90\x64" + PAD, "audio/mpeg", "mp3"),
    ("memo.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom" + PAD, "audio/mp4", "m4a"),
    ("memo.ogg", b"OggS\x00\x02" + PAD, "audio/ogg", "ogg"),
    ("memo.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + PAD, "audio/wav", "wav"),
    ("chart.pdf", b"%PDF-1.7\n" + PAD, "application/pdf", "pdf"),
]

# Good names on files whose content is something else.
BAD = [
    ("photo.jpg", b"<html><script>alert(1)</script></html>"),
    ("image.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'),
    ("song.mp3", b"MZ\x90\x00\x03\x00\x00\x00" + PAD),
    ("voice.m4a", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + PAD),
    ("chart.pdf", b"PK\x03\x04\x14\x00\x00\x00" + PAD),
    ("notes.pdf", b"Just some text pretending to be a PDF"),
]


def upload(name, content, content_type="application/octet-stream"):
    # The browser's claimed type is ignored: only the bytes decide.
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(("name", "content", "content_type", "extension"), GOOD)
def test_allowed_files_are_recognised_by_their_content(name, content, content_type, extension):
    checked = messaging.validate_attachment(upload(name, content))
    assert (checked.content_type, checked.extension, checked.size) == (
        content_type,
        extension,
        len(content),
    )


@pytest.mark.parametrize(("name", "content"), BAD)
def test_a_file_of_another_type_is_refused_whatever_its_name(name, content):
    with pytest.raises(AttachmentRefused, match="images .* audio .* PDF"):
        messaging.validate_attachment(upload(name, content, "image/jpeg"))


def test_a_file_named_like_something_else_gets_the_extension_of_its_content():
    checked = messaging.validate_attachment(upload("../../etc/holiday.png", GOOD[0][1]))
    assert checked.name == "holiday.jpg"


def test_an_oversized_file_is_refused(settings):
    settings.MESSAGE_ATTACHMENT_MAX_BYTES = 1_000
    content = b"%PDF-1.7\n" + b"0" * 991
    assert messaging.validate_attachment(upload("ok.pdf", content)).size == 1_000

    with pytest.raises(AttachmentRefused, match="at most 1000"):
        messaging.validate_attachment(upload("big.pdf", content + b"0"))


def test_an_empty_file_is_refused():
    with pytest.raises(AttachmentRefused, match="empty"):
        messaging.validate_attachment(upload("empty.pdf", b""))


def test_more_files_than_a_message_takes_are_refused(settings):
    settings.MESSAGE_ATTACHMENTS_PER_MESSAGE = 3
    files = [upload(f"p{i}.pdf", GOOD[-1][1]) for i in range(4)]

    with pytest.raises(AttachmentRefused, match="at most 3 files"):
        messaging.validate_attachments(files)
    assert len(messaging.validate_attachments(files[:3])) == 3


# Through the services ----------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def parties(db):
    reader = make_reader().user
    offer = messaging.save_offer(reader, title="24-hour reading", price_cents=2_000, reply_hours=24)
    return make_client(balance=5_000), reader, offer


def ask(client, reader, offer, attachments):
    return messaging.ask(
        client,
        reader,
        offer,
        "What does this card mean?",
        attachments,
        idempotency_key=str(uuid.uuid4()),
    )


def test_a_question_keeps_its_files_in_the_private_storage(media, parties):
    client, reader, offer = parties
    request = ask(
        client,
        reader,
        offer,
        [upload("spread.png", GOOD[0][1]), upload("memo.ogg", GOOD[7][1], "video/ogg")],
    )

    stored = list(MessageAttachment.objects.filter(message=request.question).order_by("id"))
    assert [(a.content_type, a.name, a.size) for a in stored] == [
        ("image/jpeg", "spread.jpg", len(GOOD[0][1])),
        ("audio/ogg", "memo.ogg", len(GOOD[7][1])),
    ]
    for attachment in stored:
        assert "spread" not in attachment.file.name  # our own name, not the uploader's
        assert (media / "private" / attachment.file.name).exists()
        with pytest.raises(ValueError):
            attachment.file.url  # noqa: B018 - private files have no public URL


def test_a_disallowed_attachment_refuses_the_question_and_charges_nothing(media, parties):
    client, reader, offer = parties

    with pytest.raises(AttachmentRefused):
        ask(client, reader, offer, [upload("photo.jpg", BAD[0][1])])

    assert not MessageRequest.objects.exists()
    assert wallet_summary(client).reserved == 0
    assert not (media / "private").exists() or not any((media / "private").rglob("*.*"))


def test_a_message_that_fails_after_its_files_were_stored_leaves_no_file_behind(
    media, parties, monkeypatch
):
    client, reader, offer = parties

    def broken(*args, **kwargs):
        raise RuntimeError("notification failed")

    monkeypatch.setattr(messaging, "_notify", broken)
    with pytest.raises(RuntimeError):
        ask(client, reader, offer, [upload("chart.pdf", GOOD[-1][1])])

    assert not MessageAttachment.objects.exists()
    assert wallet_summary(client).reserved == 0
    assert not any((media / "private").rglob("*.pdf"))
