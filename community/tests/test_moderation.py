"""The moderation queue: community moderators (a Wagtail group with the queue and nothing
else) see open reports grouped by what was reported, hide, restore or dismiss them with a
reason, audited and told to the author; nobody else gets in."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from community import reports, services
from community.models import Post, Report, Thread
from community.tests.conftest import moderators_group
from community.tests.test_forum import board, member
from home.models import AuditEvent
from readers.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_rate_limits(settings):
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"


def moderator():
    user = UserFactory()
    user.groups.add(moderators_group())
    return user


def reported_post(times=2):
    thread = services.start_thread(member(), board(f"B {uuid.uuid4().hex[:6]}"), "Hello", "x")
    post = services.reply(member(), thread, "Rude words")
    for _ in range(times):
        field, target = reports.reportable(member(), "post", post.pk)
        reports.report(member(), field, target, Report.Reason.HARASSMENT)
    return post


def test_the_moderators_group_has_the_queue_and_held_messages_and_nothing_else():
    group = moderators_group()

    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "access_admin",
        "change_message",
        "change_report",
        "view_message",
        "view_report",
    ]


def test_a_moderator_sees_the_queue_and_hides_a_post_with_a_reason_told_to_its_author(client):
    post = reported_post()
    client.force_login(moderator())

    queue = client.get("/admin/moderation/")
    assert queue.status_code == 200
    assert "2 from 2 people" in queue.content.decode()
    page = client.get(f"/admin/moderation/post/{post.pk}/")
    assert "Rude words" in page.content.decode()
    response = client.post(
        f"/admin/moderation/post/{post.pk}/", {"action": "hide", "reason": "Be kind"}
    )

    assert response.status_code == 302
    assert Post.objects.get(pk=post.pk).is_hidden
    assert Thread.objects.get(pk=post.thread_id).post_count == 1
    assert set(Report.objects.values_list("status", flat=True)) == {Report.Status.ACTIONED}
    event = AuditEvent.objects.get(action="report.resolved")
    assert event.data["outcome"] == "hide" and event.data["reason"] == "Be kind"
    note = Notification.objects.get(user=post.author)
    assert "hid your post: Be kind" in note.title
    assert "No open reports" in client.get("/admin/moderation/").content.decode()


def test_a_moderator_restores_or_dismisses_and_a_reason_is_required(client):
    post = reported_post(times=3)  # three reporters: hidden already
    assert Post.objects.get(pk=post.pk).is_hidden
    client.force_login(moderator())

    refused = client.post(f"/admin/moderation/post/{post.pk}/", {"action": "restore"})
    assert "Say why" in refused.content.decode() and Post.objects.get(pk=post.pk).is_hidden
    client.post(f"/admin/moderation/post/{post.pk}/", {"action": "restore", "reason": "Fine"})
    assert not Post.objects.get(pk=post.pk).is_hidden
    restored = AuditEvent.objects.get(action="report.resolved")
    assert restored.data["outcome"] == "restore" and restored.data["reports"] == 3

    other = reported_post(times=1)
    client.post(f"/admin/moderation/post/{other.pk}/", {"action": "dismiss", "reason": "OK"})
    assert not Post.objects.get(pk=other.pk).is_hidden
    assert Report.objects.get(post=other).status == Report.Status.DISMISSED
    assert not Notification.objects.filter(user=other.author).exists()


def test_clients_readers_and_editors_without_the_permission_cannot_moderate(client):
    post = reported_post()
    for user in (UserFactory(), UserFactory(reader=True)):
        client.force_login(user)
        assert client.get("/admin/moderation/").status_code in (302, 403)
        response = client.post(
            f"/admin/moderation/post/{post.pk}/", {"action": "hide", "reason": "x"}
        )
        assert response.status_code in (302, 403)
    assert not Post.objects.get(pk=post.pk).is_hidden


def test_a_reported_reading_shows_its_transcript_to_the_moderator(client):
    from readings.chat import post_message
    from readings.tests.factories import active_session, make_client, make_reader

    reader_page, buyer = make_reader(), make_client(balance=5_000)
    session = active_session(buyer, reader_page)
    post_message(session.public_id, reader_page.user, "Send me your bank details")
    field, target = reports.reportable(buyer, "reading", session.public_id)
    filed = reports.report(buyer, field, target, Report.Reason.SCAM)
    assert filed.subject == reader_page.user
    client.force_login(moderator())

    page = client.get(f"/admin/moderation/session/{session.pk}/").content.decode()

    assert "Send me your bank details" in page
    assert "Hide it" not in page and "Dismiss the reports" in page


def test_a_moderator_suspends_the_author_from_the_report_page(client):
    post = reported_post()
    client.force_login(moderator())
    url = f"/admin/moderation/post/{post.pk}/"

    client.post(url, {"action": "suspend", "days": "3", "reason": "Repeated insults"})

    post.author.refresh_from_db()
    assert post.author.is_suspended and post.author.suspension_reason == "Repeated insults"
    assert "Suspended until" in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="account.suspended").count() == 1
