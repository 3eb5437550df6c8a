"""Moderators warn, suspend and ban accounts: a suspended reader goes offline, cannot go online
and their bookings are released with notice; a suspended client cannot start readings, book,
join a line, message or post. Every action is audited and told to the person."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from community import moderation, services
from community.errors import NotAllowed
from community.tests.test_forum import board, member
from home.models import AuditEvent
from readers.models import Notification, ReaderPage
from readings import bookings, messaging, presence
from readings import services as reading_services
from readings.errors import AccountSuspended, ReadingError
from readings.tests.factories import (
    make_booking,
    make_client,
    make_reader,
    open_all_week,
    tomorrow_at,
)
from wallet.selectors import wallet_summary

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_rate_limits(settings):
    settings.RATELIMIT_CACHE_PREFIX = f"ratelimit-test-{uuid.uuid4().hex}"


@pytest.fixture
def staff():
    return UserFactory(staff=True)


@pytest.fixture
def page():
    reader_page = make_reader()
    open_all_week(reader_page.user)
    return reader_page


def test_a_suspended_reader_goes_offline_cannot_go_online_and_their_bookings_are_released(
    staff, page, mailoutbox, django_capture_on_commit_callbacks
):
    client = make_client(balance=50_000)
    booking = make_booking(client, page, starts_at=tomorrow_at(14))
    assert wallet_summary(client).reserved > 0

    with django_capture_on_commit_callbacks(execute=True):
        until = moderation.suspend(staff, page.user, 7, "Asked clients for their phone numbers")

    page.refresh_from_db()
    booking.refresh_from_db()
    assert page.presence == ReaderPage.Presence.OFFLINE
    assert booking.state == "cancelled" and booking.charged_cents == 0
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (50_000, 0)
    assert Notification.objects.filter(user=client, kind="booking").exists()  # the notice
    with pytest.raises(AccountSuspended, match="suspended until"):
        presence.set_presence(page.user, ReaderPage.Presence.ONLINE)
    presence.set_presence(page.user, ReaderPage.Presence.OFFLINE)  # going offline is fine
    with pytest.raises(ReadingError):
        reading_services.request_reading(make_client(balance=10_000), page, "chat")
    event = AuditEvent.objects.get(action="account.suspended")
    assert event.data["days"] == 7 and event.data["released"]["bookings"] == 1
    assert until > timezone.now() + timedelta(days=6)
    assert any("suspended" in mail.subject for mail in mailoutbox if page.user.email in mail.to)


def test_a_suspended_client_cannot_start_a_reading_book_queue_message_or_post(staff, page):
    client = make_client(balance=50_000)
    offer = messaging.save_offer(page.user, title="24 h", price_cents=2_000, reply_hours=24)
    thread = services.start_thread(member(), board(), "Open", "first")

    moderation.suspend(staff, client, 3, "Spam")
    client.refresh_from_db()

    with pytest.raises(AccountSuspended, match="Your account is suspended"):
        reading_services.request_reading(client, page, "chat")
    with pytest.raises(AccountSuspended):
        bookings.book(client, page, channel="chat", starts_at=tomorrow_at(10), length_minutes=15)
    with pytest.raises(AccountSuspended):
        presence.join_queue(client, page)
    with pytest.raises(AccountSuspended):
        messaging.ask(client, page.user, offer, "Hello?", idempotency_key="k1")
    with pytest.raises(NotAllowed, match="suspended until"):
        services.reply(client, thread, "Hello")
    assert wallet_summary(client).balance == 50_000


def test_lifting_a_suspension_lets_them_back_and_every_action_is_audited_and_told(staff, page):
    reader = page.user
    moderation.warn(staff, reader, "Mind your language")
    moderation.suspend(staff, reader, 1, "Second time")
    moderation.lift_suspension(staff, reader, "Appeal accepted")
    reader.refresh_from_db()

    assert not reader.is_suspended
    assert presence.set_presence(reader, ReaderPage.Presence.ONLINE) == "online"
    assert list(
        AuditEvent.objects.filter(action__startswith="account.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["account.warned", "account.suspended", "account.reinstated"]
    titles = list(Notification.objects.filter(user=reader).values_list("title", flat=True))
    assert any("warning" in t for t in titles) and any("lifted" in t for t in titles)


def test_a_ban_closes_the_account_and_staff_or_reasonless_actions_are_refused(staff, client):
    someone = member()
    with pytest.raises(NotAllowed, match="Say why"):
        moderation.suspend(staff, someone, 3, "")
    with pytest.raises(NotAllowed, match="1 to 365"):
        moderation.suspend(staff, someone, 0, "Spam")
    with pytest.raises(NotAllowed, match="Staff accounts"):
        moderation.ban(staff, UserFactory(staff=True), "No")

    moderation.ban(staff, someone, "Scams")
    someone.refresh_from_db()

    assert not someone.is_active
    assert AuditEvent.objects.filter(action="account.banned", data__reason="Scams").exists()
