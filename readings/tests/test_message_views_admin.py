"""Staff's queue of held messages in Wagtail admin: oldest first with sender, thread, text and
why it is held; Clear delivers through ``messaging.clear_held`` and Remove, with a reason, goes
through ``messaging.remove_held``; both audited, both behind ``readings.change_message``. And an
attachment in a private S3 bucket is a presigned redirect that no cache keeps."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.tests.factories import UserFactory
from home.models import AuditEvent
from readings import messaging
from readings.models import Message, MessageAttachment, MessageRequest
from readings.tests.message_helpers import (
    answered_thread,
    ask,
    logged_in,
    make_client,
    png,
    reader_with_offer,
)
from wallet.selectors import wallet_summary

pytestmark = pytest.mark.django_db

LISTING = "/admin/readings/message/"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def staff_with(*codenames):
    user = UserFactory(staff=True)
    admin = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    group = Group.objects.create(name=f"message staff {user.pk}")
    group.permissions.add(
        admin,
        *Permission.objects.filter(content_type__app_label="readings", codename__in=codenames),
    )
    user.groups.add(group)
    return user


def held_messages():
    page, _offer, client, request = answered_thread()
    first = messaging.send(client, request.thread, "My number is +44 7700 900123")
    second = messaging.send(client, request.thread, "or write to me at me@example.com")
    Message.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(hours=1))
    return page, client, request, first, second


def test_the_held_queue_lists_oldest_first_with_sender_thread_text_and_reason():
    page, client, _request, first, second = held_messages()
    web = logged_in(staff_with("change_message"))

    body = web.get(LISTING).content.decode()

    assert "<h1" in body and "Held messages" in body
    assert body.index("+44 7700 900123") < body.index("me@example.com")
    assert client.public_name in body and page.user.public_name in body
    assert body.count("Shares: ") == 2 and "me@example.com</td>" in body
    assert reverse("readings_held_message_clear", args=[first.pk]) in body
    assert reverse("readings_held_message_remove", args=[second.pk]) in body
    assert "The cards say yes" not in body  # only held messages are listed


def test_without_the_moderation_permission_the_queue_and_its_actions_are_refused():
    _page, _client, _request, first, _second = held_messages()
    web = logged_in(staff_with("view_message"))

    # Wagtail answers a refused admin page by sending staff back to the dashboard.
    for response in (
        web.get(LISTING),
        web.post(reverse("readings_held_message_clear", args=[first.pk])),
        web.post(reverse("readings_held_message_remove", args=[first.pk]), {"reason": "x"}),
    ):
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"] == "/admin/"
    first.refresh_from_db()
    assert first.review == Message.Review.HELD


def test_clearing_delivers_the_message_and_is_audited():
    page, _client, request, first, _second = held_messages()
    staff = staff_with("change_message")
    web = logged_in(staff)
    url = reverse("readings_held_message_clear", args=[first.pk])
    assert "Clear and deliver" in web.get(url).content.decode()

    response = web.post(url)

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.review == Message.Review.CLEARED and first.reviewed_by == staff
    assert AuditEvent.objects.filter(action="message.cleared", actor=staff).exists()
    thread = logged_in(page.user).get(
        reverse("readings:message_thread", args=[request.thread.public_id])
    )
    assert "+44 7700 900123" in thread.content.decode()


def test_removing_needs_a_reason_then_the_sender_sees_why():
    _page, client, request, first, _second = held_messages()
    staff = staff_with("change_message")
    web = logged_in(staff)
    url = reverse("readings_held_message_remove", args=[first.pk])

    refused = web.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    first.refresh_from_db()
    assert first.review == Message.Review.HELD

    web.post(url, {"reason": "Phone numbers are not allowed"})

    first.refresh_from_db()
    assert first.review == Message.Review.REMOVED
    assert AuditEvent.objects.filter(action="message.removed", actor=staff).exists()
    mine = logged_in(client).get(
        reverse("readings:message_thread", args=[request.thread.public_id])
    )
    assert "Removed by our team: Phone numbers are not allowed" in mine.content.decode()


def test_removing_a_held_question_releases_its_reservation():
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    request = ask(client, page, offer, body="Text me on 07700 900123 please")
    assert request.question.review == Message.Review.HELD
    assert wallet_summary(client).reserved == 2_000
    # The reader does not see a question that is not theirs yet, nor a deadline for it.
    reader_body = logged_in(page.user).get(reverse("readings:message_inbox")).content.decode()
    assert "07700" not in reader_body and 'data-testid="inbox-row"' not in reader_body
    thread_page = logged_in(page.user).get(
        reverse("readings:message_thread", args=[request.thread.public_id])
    )
    assert "07700" not in thread_page.content.decode()
    assert 'data-testid="request-status"' not in thread_page.content.decode()

    logged_in(staff_with("change_message")).post(
        reverse("readings_held_message_remove", args=[request.question.pk]),
        {"reason": "Contact details"},
    )

    request.refresh_from_db()
    assert request.state == MessageRequest.State.CANCELLED
    assert wallet_summary(client).reserved == 0 and wallet_summary(client).balance == 5_000


# Attachments in a private S3 bucket --------------------------------------------------------------


def test_an_attachment_in_s3_is_a_presigned_redirect_that_no_cache_keeps(settings):
    page, offer = reader_with_offer()
    client = make_client(balance=5_000)
    ask(client, page, offer, attachments=[png("moon.png")])
    attachment = MessageAttachment.objects.get()
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "soulseer-private",
                "access_key": "TESTKEY",
                "secret_key": "test-secret",
                "region_name": "auto",
                "endpoint_url": "https://r2.example.com",
                "default_acl": None,
                "querystring_auth": True,
                "signature_version": "s3v4",
            },
        },
    }

    response = logged_in(page.user).get(
        reverse("readings:message_attachment", args=[attachment.public_id])
    )

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://r2.example.com/soulseer-private/messages/")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    assert "response-content-disposition=inline" in location
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    # Nobody else is sent one.
    stranger = logged_in(make_client())
    assert (
        stranger.get(
            reverse("readings:message_attachment", args=[attachment.public_id])
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "environ",
    [
        {  # AWS, a bucket of its own for private files, public media on a custom domain
            "AWS_STORAGE_BUCKET_NAME": "soulseer-media",
            "AWS_PRIVATE_STORAGE_BUCKET_NAME": "soulseer-private",
            "AWS_S3_REGION_NAME": "eu-west-2",
            "AWS_S3_CUSTOM_DOMAIN": "media.soulseer.example",
        },
        {  # R2: one endpoint for every bucket
            "AWS_STORAGE_BUCKET_NAME": "soulseer-media",
            "AWS_S3_ENDPOINT_URL": "https://account.r2.cloudflarestorage.com",
            "AWS_S3_REGION_NAME": "auto",
            "AWS_S3_CUSTOM_DOMAIN": "media.soulseer.example",
        },
    ],
)
def test_the_content_security_policy_lets_threads_show_and_play_presigned_attachments(
    environ, monkeypatch
):
    from urllib.parse import urlsplit

    from storages.backends.s3 import S3Storage

    from shop.tests.test_downloads_s3 import production_settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "TESTKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    production = production_settings(environ)
    options = production["STORAGES"]["private"]["OPTIONS"]
    storage = S3Storage(
        **options,
        region_name=production["AWS_S3_REGION_NAME"],
        endpoint_url=production.get("AWS_S3_ENDPOINT_URL"),
        signature_version="s3v4",
    )

    link = urlsplit(storage.url("messages/2026/12/moon.png", expire=300))

    origin = f"{link.scheme}://{link.netloc}"
    directives = production["SECURITY_POLICY_DIRECTIVES"]
    assert origin in directives["img-src"] and origin in directives["media-src"]
    assert "https://media.soulseer.example" not in directives["media-src"]
