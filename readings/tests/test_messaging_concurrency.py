"""Paid questions under concurrency, each party on its own database connection: two deadline
sweeps at once release each question once; a reply racing the sweep, exactly one wins and the
money is exact; the same question sent twice at once reserves once; a block racing a question
leaves nothing reserved."""

import uuid
from datetime import timedelta

import pytest

from readings import messaging
from readings.errors import Blocked, RequestAlreadyOpen, RequestExpired
from readings.models import MessageRequest, ReaderRequestStats
from readings.rules import db_now
from readings.tests.factories import make_client, make_reader
from soulseer.celery import app as celery_app
from wallet import services as wallet
from wallet.models import Hold, LedgerAccount, Transfer
from wallet.selectors import wallet_summary
from wallet.tests.test_concurrency import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

PRICE = 2_000
READER_SHARE = 1_400


@pytest.fixture(autouse=True)
def eager_celery():
    # Emails run in the committing thread (locmem) instead of going to the broker.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def platform_revenue():
    return wallet.platform_account(LedgerAccount.Kind.PLATFORM_REVENUE).balance


@pytest.fixture
def reader():
    return make_reader().user


@pytest.fixture
def offer(reader):
    return messaging.save_offer(reader, title="24-hour reading", price_cents=PRICE, reply_hours=24)


def ask(client, reader, offer, key=None):
    return messaging.ask(
        client, reader, offer, "Will it work out?", idempotency_key=key or str(uuid.uuid4())
    )


def test_two_deadline_sweeps_at_once_release_each_question_once(reader, offer):
    clients = [make_client(balance=5_000) for _ in range(6)]
    requests = [ask(client, reader, offer) for client in clients]
    MessageRequest.objects.update(deadline=db_now() - timedelta(seconds=1))

    results, errors = run_in_threads(2, lambda i: messaging.expire_due())

    assert errors == [None, None]
    assert sum(results) == 6
    assert messaging.expire_due() == 0
    for client, request in zip(clients, requests, strict=True):
        request.refresh_from_db()
        assert request.state == "expired"
        assert wallet_summary(client).balance == 5_000
        assert Transfer.objects.filter(purchase=request.purchase, kind="hold_void").count() == 1
    assert ReaderRequestStats.objects.get(reader=reader).missed_requests == 6
    assert wallet_summary(reader).earnings == 0


def test_a_reply_racing_the_deadline_sweep_exactly_one_wins_and_the_money_is_exact(reader, offer):
    outcomes = set()
    for _round in range(4):
        client = make_client(balance=5_000)
        request = ask(client, reader, offer)
        earnings_before = wallet_summary(reader).earnings
        platform_before = platform_revenue()
        # The sweep sees the deadline passed (its clock a day ahead); the reply sees it open.
        later = db_now() + timedelta(days=1)

        def race(i, request=request, later=later):
            if i == 0:
                return messaging.reply(reader, request, "Yes, it will.")
            return messaging.expire_due(now=later)

        results, errors = run_in_threads(2, race)

        request.refresh_from_db()
        hold = Hold.objects.get(pk=request.hold_id)
        if request.state == "answered":
            outcomes.add("reply")
            assert errors == [None, None] and results[1] == 0
            assert hold.status == Hold.Status.POSTED
            assert wallet_summary(client).balance == 5_000 - PRICE
            assert wallet_summary(reader).earnings - earnings_before == READER_SHARE
            assert platform_revenue() - platform_before == PRICE - READER_SHARE
        else:
            outcomes.add("sweep")
            assert request.state == "expired" and results[1] == 1
            assert isinstance(errors[0], RequestExpired)
            assert "refunded" in str(errors[0])
            assert hold.status == Hold.Status.VOIDED
            assert wallet_summary(client).balance == 5_000
            assert wallet_summary(reader).earnings == earnings_before
            assert platform_revenue() == platform_before
        assert wallet_summary(client).reserved == 0
        assert Transfer.objects.filter(purchase=request.purchase).count() == 2  # hold, resolve
    assert outcomes  # each round had exactly one winner (either may win a given round)


def test_a_reply_and_a_sweep_after_the_deadline_release_once_and_the_reply_is_refused(
    reader, offer
):
    client = make_client(balance=5_000)
    request = ask(client, reader, offer)
    MessageRequest.objects.filter(pk=request.pk).update(deadline=db_now() - timedelta(seconds=1))

    def race(i):
        if i == 0:
            return messaging.reply(reader, request, "Late answer")
        return messaging.expire_due()

    results, errors = run_in_threads(2, race)

    assert isinstance(errors[0], RequestExpired)
    request.refresh_from_db()
    assert request.state == "expired"
    assert wallet_summary(client).balance == 5_000
    assert Transfer.objects.filter(purchase=request.purchase, kind="hold_void").count() == 1


def test_the_same_question_sent_twice_at_once_reserves_once(reader, offer):
    client = make_client(balance=5_000)
    key = str(uuid.uuid4())

    results, errors = run_in_threads(3, lambda i: ask(client, reader, offer, key))

    assert errors == [None, None, None]
    assert len({request.pk for request in results}) == 1
    assert MessageRequest.objects.count() == 1
    summary = wallet_summary(client)
    assert (summary.balance, summary.reserved) == (3_000, PRICE)


def test_two_different_questions_at_once_in_one_thread_reserve_once(reader, offer):
    client = make_client(balance=5_000)

    results, errors = run_in_threads(2, lambda i: ask(client, reader, offer))

    assert sorted(type(e).__name__ for e in errors if e) == [RequestAlreadyOpen.__name__]
    assert MessageRequest.objects.count() == 1
    assert wallet_summary(client).reserved == PRICE


def test_a_block_racing_a_question_leaves_nothing_reserved(reader, offer):
    for _round in range(3):
        client = make_client(balance=5_000)

        def race(i, client=client):
            if i == 0:
                return ask(client, reader, offer)
            return messaging.block(reader, client)

        results, errors = run_in_threads(2, race)

        assert errors[1] is None
        assert errors[0] is None or isinstance(errors[0], Blocked)
        assert not MessageRequest.objects.filter(thread__client=client, state="awaiting").exists()
        summary = wallet_summary(client)
        assert (summary.balance, summary.reserved) == (5_000, 0)
