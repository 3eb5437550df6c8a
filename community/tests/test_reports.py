"""Reports: once per person and thing, never of your own, only of what you can see; enough
people reporting a post hide it at once, each reporter counted once however they race."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from community import reports, services
from community.errors import AlreadyReported, NotAllowed
from community.models import Post, Report, Thread
from community.tests.test_forum import board, member
from home.models import AuditEvent
from wallet.tests.test_concurrency import run_in_threads


@pytest.fixture(autouse=True)
def _own_rate_limits(settings):
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"
    settings.FORUM_AUTO_HIDE_REPORTS = 3


def a_post():
    thread = services.start_thread(member(), board(f"Board {uuid.uuid4().hex[:6]}"), "Hello", "x")
    return services.reply(member(), thread, "Buy my course at spam.example")


def file(user, post, reason=Report.Reason.SPAM, details=""):
    field, target = reports.reportable(user, "post", post.pk)
    return reports.report(user, field, target, reason, details)


@pytest.mark.django_db
def test_a_post_is_reported_once_per_person_and_never_by_its_author():
    post, someone = a_post(), member()

    filed = file(someone, post)

    assert filed.subject == post.author and filed.status == Report.Status.OPEN
    with pytest.raises(AlreadyReported):
        file(someone, post)
    with pytest.raises(NotAllowed, match="your own post"):
        file(post.author, post)
    with pytest.raises(NotAllowed, match="needs a few words"):
        file(member(), post, Report.Reason.OTHER)
    with pytest.raises(NotAllowed, match="Choose why"):
        file(member(), post, "because")
    assert Report.objects.count() == 1
    assert AuditEvent.objects.filter(action="report.filed").count() == 1


@pytest.mark.django_db
def test_three_people_reporting_a_post_hide_it_pending_review():
    post = a_post()
    thread = Thread.objects.get(pk=post.thread_id)
    assert thread.post_count == 2

    file(member(), post)
    file(member(), post)
    assert not Post.objects.get(pk=post.pk).is_hidden
    file(member(), post)

    assert Post.objects.get(pk=post.pk).is_hidden
    assert Thread.objects.get(pk=thread.pk).post_count == 1
    assert AuditEvent.objects.filter(action="forum.auto_hidden").count() == 1


@pytest.mark.django_db(transaction=True)
def test_reports_sent_at_once_count_each_person_once_and_hide_the_post_once():
    post = a_post()
    same = member()
    people = [member() for _ in range(3)]

    _, errors = run_in_threads(4, lambda i: file(same, post))
    assert sum(isinstance(error, AlreadyReported) for error in errors) == 3
    assert not Post.objects.get(pk=post.pk).is_hidden  # one person, however many clicks

    _, errors = run_in_threads(3, lambda i: file(people[i], post))
    assert errors == [None, None, None]
    assert Report.objects.filter(post=post).count() == 4
    assert Post.objects.get(pk=post.pk).is_hidden
    assert AuditEvent.objects.filter(action="forum.auto_hidden").count() == 1


@pytest.mark.django_db
def test_only_what_you_can_see_can_be_reported(client):
    from readings.models import Message, MessageThread

    hidden_board = board("Staff", is_hidden=True)
    secret = Thread.objects.create(category=hidden_board, author=member(), title="Secret")
    hidden_post = Post.objects.create(thread=secret, author=secret.author, body="x", html="x")
    client_user, reader = UserFactory(), UserFactory(reader=True)
    conversation = MessageThread.objects.create(client=client_user, reader=reader)
    private = Message.objects.create(thread=conversation, sender=reader, body="hello")
    outsider = member()

    assert reports.reportable(outsider, "post", hidden_post.pk) == (None, None)
    assert reports.reportable(outsider, "thread", secret.public_id) == (None, None)
    assert reports.reportable(outsider, "message", private.pk) == (None, None)
    assert reports.reportable(outsider, "nonsense", 1) == (None, None)
    assert reports.reportable(client_user, "message", private.pk) == ("message", private)
    client.force_login(outsider)
    assert client.get(f"/community/report/message/{private.pk}/").status_code == 404
    assert client.get(f"/community/report/post/{hidden_post.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_report_page_files_a_report_and_returns_to_the_post(client):
    post = a_post()
    client.force_login(member())
    url = f"/community/report/post/{post.pk}/"

    page = client.get(url)
    assert page.status_code == 200 and "Report this post" in page.content.decode()
    response = client.post(url, {"reason": "spam", "details": "An advert"})

    assert response.status_code == 302
    assert response["Location"] == f"{post.thread.get_absolute_url()}#post-{post.pk}"
    assert Report.objects.get().details == "An advert"
    again = client.post(url, {"reason": "spam"})
    assert again.status_code == 409 and "reported this already" in again.content.decode()
    assert client.post(url, {"reason": ""}).status_code == 400
