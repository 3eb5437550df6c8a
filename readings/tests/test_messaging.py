"""Paid message readings through readings.messaging: a question reserves the offer's price, the
reader's reply captures it (reader's share to earnings, the rest to the platform), no reply in
time releases it; free follow-ups after a reply; bad input is refused with nothing charged."""

import uuid
from datetime import timedelta

import pytest

from readers.models import Notification
from readings import messaging
from readings.errors import (
    CannotMessageYourself,
    FollowUpsClosed,
    MessageBalanceTooLow,
    MessageInvalid,
    MessageSpendingLimit,
    NotAReader,
    NotInThread,
    OfferInvalid,
    OfferUnavailable,
    RequestAlreadyOpen,
    RequestClosed,
    RequestExpired,
)
from readings.models import Message, MessageOffer, MessageRequest, ReaderRequestStats
from readings.rules import db_now
from readings.tests.factories import make_client, make_reader
from soulseer.celery import app as celery_app
from wallet import services as wallet
from wallet.models import Hold, LedgerAccount, Purchase, Transfer
from wallet.selectors import wallet_summary

pytestmark = pytest.mark.django_db

PRICE = 2_000  # $20.00: the reader's 70 % is 1_400, the platform keeps 600


@pytest.fixture(autouse=True)
def eager_celery():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def platform_revenue():
    return wallet.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE).balance


def key():
    return str(uuid.uuid4())


@pytest.fixture
def reader():
    return make_reader().user


@pytest.fixture
def offer(reader):
    return messaging.save_offer(reader, title="24-hour reading", price_cents=PRICE, reply_hours=24)


@pytest.fixture
def client():
    return make_client(balance=5_000)


def ask(client, reader, offer, body="Will I move house this year?", **kwargs):
    return messaging.ask(client, reader, offer, body, idempotency_key=kwargs.pop("k", key()))


def past_deadline(request, seconds=1):
    MessageRequest.objects.filter(pk=request.pk).update(
        deadline=db_now() - timedelta(seconds=seconds)
    )
    request.refresh_from_db()


# Reserve, capture, release -----------------------------------------------------------------------


def test_a_question_reserves_the_price_and_tells_the_reader(client, reader, offer):
    platform_before = platform_revenue()
    request = ask(client, reader, offer)

    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (3_000, PRICE)
    assert wallet_summary(reader).earnings == 0
    assert platform_revenue() == platform_before
    assert request.state == "awaiting"
    assert request.price_cents == PRICE and request.title == "24-hour reading"
    assert request.purchase.kind == Purchase.Kind.MESSAGE
    assert request.purchase.seller_id == reader.pk
    assert request.hold.status == Hold.Status.PENDING
    assert request.question.kind == Message.Kind.QUESTION and request.question.review == ""
    hours = (request.deadline - request.created_at).total_seconds() / 3600
    assert 23.99 < hours < 24.01
    notice = Notification.objects.get(user=reader, kind="message")
    assert notice.url == messaging.thread_url(request.thread)
    assert str(request.thread.public_id) in notice.url


def test_the_reply_captures_the_whole_reservation_split_between_reader_and_platform(
    client, reader, offer
):
    platform_before = platform_revenue()
    request = ask(client, reader, offer)

    reply = messaging.reply(reader, request, "Yes, in the autumn.")

    request.refresh_from_db()
    assert request.state == "answered" and request.resolved_at is not None
    assert reply.kind == Message.Kind.REPLY and reply.request_id == request.pk
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (3_000, 0)
    assert wallet_summary(reader).earnings == 1_400
    assert platform_revenue() - platform_before == 600
    hold = Hold.objects.get(pk=request.hold_id)
    assert (hold.status, hold.posted_amount) == (Hold.Status.POSTED, PRICE)
    thread = request.thread
    thread.refresh_from_db()
    days = (thread.follow_ups_until - db_now()).total_seconds() / 86400
    assert 6.99 < days <= 7
    assert Notification.objects.filter(user=client, kind="message").count() == 1


def test_no_reply_by_the_deadline_releases_everything_and_counts_a_missed_request(
    client, reader, offer
):
    platform_before = platform_revenue()
    request = ask(client, reader, offer)
    past_deadline(request)

    assert messaging.expire_due() == 1

    request.refresh_from_db()
    assert request.state == "expired"
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (5_000, 0)
    assert wallet_summary(reader).earnings == 0
    assert platform_revenue() == platform_before
    assert Hold.objects.get(pk=request.hold_id).status == Hold.Status.VOIDED
    assert ReaderRequestStats.objects.get(reader=reader).missed_requests == 1
    assert Notification.objects.filter(user=client, kind="message").count() == 1


def test_the_deadline_sweep_run_twice_releases_once(client, reader, offer):
    request = ask(client, reader, offer)
    past_deadline(request)

    assert messaging.expire_due() == 1
    assert messaging.expire_due() == 0

    assert wallet_summary(client).balance == 5_000
    assert Transfer.objects.filter(purchase=request.purchase, kind="hold_void").count() == 1
    assert ReaderRequestStats.objects.get(reader=reader).missed_requests == 1


def test_a_question_not_yet_due_is_left_alone_by_the_sweep(client, reader, offer):
    request = ask(client, reader, offer)

    assert messaging.expire_due() == 0
    request.refresh_from_db()
    assert request.state == "awaiting"


def test_a_reply_after_the_deadline_is_refused_and_the_client_refunded_before_the_sweep(
    client, reader, offer
):
    request = ask(client, reader, offer)
    past_deadline(request)

    with pytest.raises(RequestExpired, match="ran out.*refunded"):
        messaging.reply(reader, request, "Sorry, late.")

    request.refresh_from_db()
    assert request.state == "expired"
    assert wallet_summary(client).balance == 5_000
    assert wallet_summary(reader).earnings == 0
    assert not Message.objects.filter(kind=Message.Kind.REPLY).exists()
    assert messaging.expire_due() == 0


def test_a_reply_after_the_sweep_says_the_time_ran_out(client, reader, offer):
    request = ask(client, reader, offer)
    past_deadline(request)
    messaging.expire_due()

    with pytest.raises(RequestExpired, match="client was refunded"):
        messaging.reply(reader, request, "Too late?")
    assert wallet_summary(client).balance == 5_000


def test_a_question_answered_once_cannot_be_answered_again(client, reader, offer):
    request = ask(client, reader, offer)
    messaging.reply(reader, request, "Yes.")

    with pytest.raises(RequestClosed):
        messaging.reply(reader, request, "And again.")
    assert wallet_summary(reader).earnings == 1_400


def test_the_same_idempotency_key_twice_returns_the_first_request_and_charges_once(
    client, reader, offer
):
    same = key()
    first = ask(client, reader, offer, k=same)
    second = ask(client, reader, offer, k=same)

    assert first.pk == second.pk
    assert MessageRequest.objects.count() == 1
    assert Message.objects.filter(kind=Message.Kind.QUESTION).count() == 1
    assert wallet_summary(client).reserved == PRICE
    assert Transfer.objects.filter(kind="hold", initiated_by=client).count() == 1


def test_the_reminder_reaches_the_reader_once_when_two_hours_are_left(client, reader, offer):
    request = ask(client, reader, offer)
    assert messaging.remind_due() == 0
    MessageRequest.objects.filter(pk=request.pk).update(
        deadline=db_now() + timedelta(hours=1, minutes=30)
    )

    assert messaging.remind_due() == 1
    assert messaging.remind_due() == 0

    notices = Notification.objects.filter(user=reader, kind="message").order_by("created_at")
    assert notices.count() == 2  # the question, then the reminder
    assert "left to answer" in notices.last().title


def test_a_rush_reading_within_the_reminder_window_is_not_reminded_on_top(client, reader):
    rush = messaging.save_offer(reader, title="Rush", price_cents=PRICE, reply_hours=2)
    ask(client, reader, rush)

    assert messaging.remind_due() == 0


def test_emails_go_out_after_commit_through_celery(
    client, reader, offer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = ask(client, reader, offer)
    assert [m.to for m in mailoutbox] == [[reader.email]]
    assert str(request.thread.public_id) in mailoutbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        messaging.reply(reader, request, "Yes.")
    assert mailoutbox[-1].to == [client.email]


# Follow-ups --------------------------------------------------------------------------------------


def test_free_follow_ups_are_open_for_the_client_after_a_paid_reply(client, reader, offer):
    request = ask(client, reader, offer)
    messaging.reply(reader, request, "Yes.")

    message = messaging.send(client, request.thread, "Thank you! Which month?")

    assert message.kind == Message.Kind.TEXT
    assert wallet_summary(client).balance == 3_000


def test_the_client_cannot_write_for_free_before_a_paid_reply(client, reader, offer):
    request = ask(client, reader, offer)

    with pytest.raises(FollowUpsClosed, match="paid message reading"):
        messaging.send(client, request.thread, "Hello again")


def test_the_client_cannot_write_for_free_once_follow_ups_ended(client, reader, offer):
    request = ask(client, reader, offer)
    messaging.reply(reader, request, "Yes.")
    thread = request.thread
    type(thread).objects.filter(pk=thread.pk).update(follow_ups_until=db_now())
    thread.refresh_from_db()

    with pytest.raises(FollowUpsClosed, match="ended on"):
        messaging.send(client, thread, "One more thing")


def test_the_reader_may_always_write_in_a_thread(client, reader, offer):
    request = ask(client, reader, offer)

    message = messaging.send(reader, request.thread, "I'll answer tonight.")

    assert message.sender == reader
    request.refresh_from_db()
    assert request.state == "awaiting"


def test_another_paid_question_in_the_same_thread_after_the_reply(client, reader, offer):
    first = ask(client, reader, offer)
    messaging.reply(reader, first, "Yes.")

    second = ask(client, reader, offer, body="And my job?")

    assert second.thread_id == first.thread_id
    assert wallet_summary(client).reserved == PRICE
    assert wallet_summary(client).balance == 1_000


def test_mark_read_sets_the_side_that_read(client, reader, offer):
    thread = ask(client, reader, offer).thread
    at = messaging.mark_read(reader, thread)
    thread.refresh_from_db()
    assert thread.reader_read_at == at
    with pytest.raises(NotInThread):
        messaging.mark_read(make_client(), thread)


# Offers ------------------------------------------------------------------------------------------


def test_an_offer_outside_the_staff_limits_is_refused(reader):
    with pytest.raises(OfferInvalid, match=r"\$5.00 to \$200.00"):
        messaging.save_offer(reader, title="Cheap", price_cents=100, reply_hours=24)
    with pytest.raises(OfferInvalid, match="2 to 72 hours"):
        messaging.save_offer(reader, title="Slow", price_cents=PRICE, reply_hours=100)
    with pytest.raises(OfferInvalid, match="title"):
        messaging.save_offer(reader, title="  ", price_cents=PRICE, reply_hours=24)
    with pytest.raises(NotAReader):
        messaging.save_offer(make_client(), title="X", price_cents=PRICE, reply_hours=24)
    assert not MessageOffer.objects.exists()


def test_editing_an_unused_offer_changes_it_in_place(reader, offer):
    saved = messaging.save_offer(
        reader, title="Next-day reading", price_cents=2_500, reply_hours=24, offer=offer
    )
    assert saved.pk == offer.pk
    assert MessageOffer.objects.get(pk=offer.pk).price_cents == 2_500


def test_editing_a_used_offer_retires_it_and_the_request_keeps_its_terms(client, reader, offer):
    request = ask(client, reader, offer)

    saved = messaging.save_offer(
        reader, title="24-hour reading", price_cents=3_000, reply_hours=24, offer=offer
    )

    assert saved.pk != offer.pk and saved.active
    assert not MessageOffer.objects.get(pk=offer.pk).active
    request.refresh_from_db()
    assert request.price_cents == PRICE
    messaging.reply(reader, request, "Yes.")
    assert wallet_summary(reader).earnings == 1_400


def test_a_retired_offer_cannot_be_bought(client, reader, offer):
    messaging.retire_offer(reader, offer)

    with pytest.raises(OfferUnavailable):
        ask(client, reader, offer)
    assert wallet_summary(client).reserved == 0


def test_another_readers_offer_cannot_be_bought_from_this_reader(client, reader):
    other = make_reader().user
    theirs = messaging.save_offer(other, title="Theirs", price_cents=PRICE, reply_hours=24)

    with pytest.raises(OfferUnavailable):
        ask(client, reader, theirs)
    assert wallet_summary(client).reserved == 0


# Bad input: a clear message, nothing charged -----------------------------------------------------


def assert_nothing_charged(client, balance=5_000):
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (balance, 0)
    assert not MessageRequest.objects.exists()
    assert not Purchase.objects.filter(client=client).exists()


@pytest.mark.parametrize(
    ("body", "match"),
    [("", "Write a message"), ("   \n ", "Write a message"), ("x" * 5001, "at most 5,000")],
)
def test_an_empty_or_oversized_question_is_refused(client, reader, offer, body, match):
    with pytest.raises(MessageInvalid, match=match):
        ask(client, reader, offer, body=body)
    assert_nothing_charged(client)


def test_too_little_balance_says_so_offers_a_top_up_and_charges_nothing(reader, offer):
    poor = make_client(balance=1_500)

    with pytest.raises(MessageBalanceTooLow, match=r"costs \$20.00.*has \$15.00") as error:
        ask(poor, reader, offer)

    assert error.value.needs_top_up
    assert_nothing_charged(poor, balance=1_500)


def test_a_spending_limit_refuses_with_nothing_charged(client, reader, offer):
    from wallet.models import SpendingLimit

    SpendingLimit.objects.create(user=client, daily=1_000)

    with pytest.raises(MessageSpendingLimit, match="daily spending limit"):
        ask(client, reader, offer)
    assert_nothing_charged(client)


def test_a_second_question_while_one_awaits_is_refused(client, reader, offer):
    ask(client, reader, offer)

    with pytest.raises(RequestAlreadyOpen):
        ask(client, reader, offer, body="Another one")
    assert wallet_summary(client).reserved == PRICE
    assert MessageRequest.objects.count() == 1


def test_you_cannot_ask_yourself_or_someone_who_is_not_a_reader(client, reader, offer):
    with pytest.raises(CannotMessageYourself):
        ask(reader, reader, offer)
    with pytest.raises(NotAReader):
        ask(client, make_client(), offer)
    assert_nothing_charged(client)


def test_replying_to_a_thread_you_are_not_part_of_is_refused(client, reader, offer):
    request = ask(client, reader, offer)
    stranger = make_reader().user

    with pytest.raises(NotInThread):
        messaging.reply(stranger, request, "I know the answer")
    with pytest.raises(NotInThread):
        messaging.reply(client, request, "Answering myself")
    with pytest.raises(NotInThread):
        messaging.send(stranger, request.thread, "Hello")

    request.refresh_from_db()
    assert request.state == "awaiting"
    assert wallet_summary(stranger).earnings == 0
    assert Message.objects.count() == 1


# Audit and the beat tasks ------------------------------------------------------------------------


def test_asks_replies_expiries_and_blocks_are_audited(client, reader, offer):
    from home.models import AuditEvent

    answered = ask(client, reader, offer)
    messaging.reply(reader, answered, "Yes.")
    expired = ask(client, reader, offer, body="And the job?")
    past_deadline(expired)
    messaging.expire_due()
    messaging.block(client, reader)

    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    for action in ("message.asked", "message.replied", "message.expired", "block.added"):
        assert action in actions
    asked = AuditEvent.objects.filter(action="message.asked").first()
    assert asked.actor == client and asked.data["price_cents"] == PRICE


def test_the_beat_tasks_run_the_sweeps(client, reader, offer, settings):
    from readings import tasks

    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "readings.tasks.expire_message_requests",
        "readings.tasks.remind_message_requests",
    } <= schedule
    request = ask(client, reader, offer)
    MessageRequest.objects.filter(pk=request.pk).update(deadline=db_now() + timedelta(hours=1))
    assert tasks.remind_message_requests() == 1
    past_deadline(request)
    assert tasks.expire_message_requests() == 1
