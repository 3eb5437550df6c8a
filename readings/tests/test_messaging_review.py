"""Messages that share contact details are held for staff review: a held message reaches
nobody until cleared, a held question keeps its money reserved and starts its deadline when
cleared, a held reply is paid when cleared."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from readers.models import Notification
from readings import messaging
from readings.errors import ReplyPending, ReviewRefused
from readings.models import Message, MessageRequest
from readings.rules import db_now
from readings.tests.factories import make_client, make_reader
from wallet.selectors import wallet_summary

PRICE = 2_000

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    return make_reader().user


@pytest.fixture
def offer(reader):
    return messaging.save_offer(reader, title="24-hour reading", price_cents=PRICE, reply_hours=24)


@pytest.fixture
def client():
    return make_client(balance=5_000)


@pytest.fixture
def moderator():
    user = UserFactory(staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_message"))
    return UserFactory._meta.model.objects.get(pk=user.pk)


def ask(client, reader, offer, body):
    return messaging.ask(client, reader, offer, body, idempotency_key=str(uuid.uuid4()))


def message_notices(user):
    return Notification.objects.filter(user=user, kind="message")


def test_a_held_question_reserves_the_money_but_reaches_nobody(client, reader, offer):
    request = ask(client, reader, offer, "Text me on 555-123-4567 instead")

    assert request.question.review == Message.Review.HELD
    assert not request.question.is_visible_to_other_side
    assert wallet_summary(client).reserved == PRICE
    assert not message_notices(reader).exists()
    assert "held until our team checks it" in messaging.HELD_NOTICE


def test_the_sweep_never_expires_a_held_question(client, reader, offer):
    request = ask(client, reader, offer, "my email is luna@example.com")
    MessageRequest.objects.filter(pk=request.pk).update(deadline=db_now() - timedelta(hours=1))

    assert messaging.expire_due() == 0
    assert messaging.remind_due(now=db_now() - timedelta(hours=2)) == 0
    request.refresh_from_db()
    assert request.state == "awaiting"


def test_clearing_a_held_question_starts_its_deadline_and_tells_the_reader(
    client, reader, offer, moderator
):
    request = ask(client, reader, offer, "whatsapp works best for me")
    MessageRequest.objects.filter(pk=request.pk).update(deadline=db_now() - timedelta(hours=1))

    messaging.clear_held(moderator, request.question)

    request.refresh_from_db()
    hours = (request.deadline - db_now()).total_seconds() / 3600
    assert 23.9 < hours <= 24
    assert Message.objects.get(pk=request.question.pk).review == Message.Review.CLEARED
    assert message_notices(reader).count() == 1
    assert message_notices(client).filter(title__contains="delivered").exists()
    messaging.reply(reader, request, "Let's keep it here. The answer is yes.")
    assert wallet_summary(reader).earnings == 1_400


def test_removing_a_held_question_releases_its_money_and_tells_the_client_why(
    client, reader, offer, moderator
):
    request = ask(client, reader, offer, "insta @moonlady")

    messaging.remove_held(moderator, request.question, "Contact details are not allowed.")

    request.refresh_from_db()
    assert request.state == "cancelled"
    assert wallet_summary(client).balance == 5_000 and wallet_summary(client).reserved == 0
    notice = message_notices(client).get()
    assert "removed" in notice.title
    assert Message.objects.get(pk=request.question.pk).review_reason.startswith("Contact")


def test_a_held_reply_is_paid_only_when_cleared(client, reader, offer, moderator):
    request = ask(client, reader, offer, "Will it work out?")
    held = messaging.reply(reader, request, "Yes. Call me on 555 123 4567 for more.")

    assert held.review == Message.Review.HELD
    request.refresh_from_db()
    assert request.state == "awaiting"
    assert wallet_summary(reader).earnings == 0
    with pytest.raises(ReplyPending):
        messaging.reply(reader, request, "Again")
    MessageRequest.objects.filter(pk=request.pk).update(deadline=db_now() - timedelta(minutes=1))
    assert messaging.expire_due() == 0  # held reply: the reader answered in time

    messaging.clear_held(moderator, held)

    request.refresh_from_db()
    assert request.state == "answered"
    assert wallet_summary(reader).earnings == 1_400
    assert wallet_summary(client).reserved == 0
    assert message_notices(client).filter(title__contains="answered").exists()


def test_removing_a_held_reply_leaves_the_question_open_until_its_deadline(
    client, reader, offer, moderator
):
    request = ask(client, reader, offer, "Will it work out?")
    held = messaging.reply(reader, request, "Find me on instagram and I'll tell you")

    messaging.remove_held(moderator, held, "No contact details, please.")

    request.refresh_from_db()
    assert request.state == "awaiting"
    assert message_notices(reader).filter(title__contains="removed").exists()
    assert wallet_summary(client).reserved == PRICE
    messaging.reply(reader, request, "Yes, it will.")
    request.refresh_from_db()
    assert request.state == "answered"
    assert wallet_summary(reader).earnings == 1_400


def test_a_held_free_message_is_not_delivered_until_cleared(client, reader, offer, moderator):
    request = ask(client, reader, offer, "Hello")
    messaging.reply(reader, request, "Hello to you.")

    held = messaging.send(client, request.thread, "my number is 0412 345 678")

    assert held.review == Message.Review.HELD
    notices_before = message_notices(reader).count()
    messaging.clear_held(moderator, held)
    assert Message.objects.get(pk=held.pk).is_visible_to_other_side
    assert message_notices(reader).count() == notices_before


def test_only_moderators_review_and_only_held_messages(client, reader, offer, moderator):
    request = ask(client, reader, offer, "telegram?")

    with pytest.raises(ReviewRefused):
        messaging.clear_held(reader, request.question)
    with pytest.raises(ReviewRefused, match="Say why"):
        messaging.remove_held(moderator, request.question, "  ")
    messaging.clear_held(moderator, request.question)
    with pytest.raises(ReviewRefused, match="not held"):
        messaging.clear_held(moderator, request.question)
