"""The readings beat tasks through a real Celery worker: the project's Celery app, a real broker
(the test settings' Redis, or ``CELERY_TEST_BROKER_URL``), an in-process worker thread
(``celery.contrib.testing.worker.start_worker``) with its own database connection, tasks sent
with ``.delay()`` exactly as beat sends them.

The tasks ignore their results (beat never reads them), so the test waits for their effects in
the database, with a deadline. Nothing can hang CI: the broker is probed with a short connect
timeout (an unreachable broker fails the test at once), every wait has a deadline, and a SIGALRM
watchdog fails the test if the worker never starts or never stops.
"""

import signal
import time
import uuid
from contextlib import contextmanager

import pytest
from celery.contrib.testing.tasks import ping  # registers celery.ping for start_worker
from django.conf import settings

from readings import services
from readings.models import BilledMinute, ReadingSession
from readings.tasks import charge_due_minutes, sweep_reading_timeouts
from readings.tests.factories import active_session, make_client, make_reader, shift_back
from soulseer.celery import app as celery_app
from wallet import services as wallet

pytestmark = pytest.mark.django_db(transaction=True)

WATCHDOG_SECONDS = 90
WAIT_SECONDS = 30


class WatchdogExpired(Exception):
    pass


@contextmanager
def watchdog(seconds):
    """Fail (instead of hanging) when the block takes longer than ``seconds``: the alarm
    interrupts waits in the main thread, e.g. ``start_worker`` waiting for a worker that never
    comes up."""

    def expired(signum, frame):
        raise WatchdogExpired(f"the Celery worker test took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def wait_for(predicate, what, seconds=WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def celery_worker_app():
    """The project's Celery app on a private queue of a real broker.

    A private queue name per run: a development worker on the same broker (``make run``) must
    never take these tasks, and tasks left behind by an interrupted run are never consumed.
    """

    broker = getattr(settings, "CELERY_TEST_BROKER_URL", None) or settings.CELERY_BROKER_URL
    queue = f"test-readings-{uuid.uuid4().hex[:12]}"
    saved = {
        key: celery_app.conf[key]
        for key in (
            "broker_url",
            "result_backend",
            "task_default_queue",
            "task_always_eager",
            "broker_connection_retry_on_startup",
            "broker_connection_timeout",
        )
    }
    celery_app.conf.update(
        broker_url=broker,
        result_backend=settings.CELERY_RESULT_BACKEND,
        task_default_queue=queue,
        task_always_eager=False,
        broker_connection_retry_on_startup=False,
        broker_connection_timeout=3,
    )
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:  # noqa: BLE001
        celery_app.conf.update(saved)
        pytest.fail(f"no Celery broker at {broker}: {error}")
    try:
        yield celery_app, queue
    finally:
        celery_app.conf.update(saved)


@contextmanager
def running_worker(app, queue):
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        queues=[queue],
        perform_ping_check=True,
        ping_task_timeout=20,
        shutdown_timeout=20,
        loglevel="WARNING",
    ) as worker:
        yield worker


def test_beat_tasks_bill_minutes_and_expire_requests_in_a_real_worker(celery_worker_app):
    app, queue = celery_worker_app
    reader = make_reader(presence="online", chat=300)
    client = make_client(balance=10_000)
    # A reading that started 2 min 5 s ago: minute 0 was billed at the start, minutes 1 and 2
    # are due now.
    reading = active_session(client, reader, free_minutes=0)
    shift_back(reading, 125)
    # An unanswered request whose minute to answer ran out.
    waiting_reader = make_reader(presence="online", chat=300)
    asker = make_client(balance=5_000)
    request = services.request_reading(asker, waiting_reader, "chat")
    ReadingSession.objects.filter(pk=request.pk).update(expires_at=services.db_now())
    balance_before = wallet.wallet_of(client).balance
    assert balance_before == 10_000 - 300

    with watchdog(WATCHDOG_SECONDS), running_worker(app, queue):
        billing = charge_due_minutes.delay()
        timeouts = sweep_reading_timeouts.delay()
        assert billing.id and timeouts.id

        wait_for(
            lambda: BilledMinute.objects.filter(session=reading).count() == 3,
            "the worker to bill minutes 1 and 2",
        )
        wait_for(
            lambda: ReadingSession.objects.get(pk=request.pk).state == "expired",
            "the worker to expire the unanswered request",
        )
        # Sent again (beat every 10 s; overlapping sweeps): nothing is billed twice. The solo
        # worker runs its queue in order, so a ping answered after it means it has run.
        charge_due_minutes.delay()
        sweep_reading_timeouts.delay()
        assert ping.delay().get(timeout=WAIT_SECONDS) == "pong"

    reading.refresh_from_db()
    assert reading.state == "active"
    assert reading.billed_minutes == 3 and reading.paid_minutes == 3
    assert reading.total_cents == 900
    assert sorted(
        BilledMinute.objects.filter(session=reading).values_list("minute_index", flat=True)
    ) == [
        0,
        1,
        2,
    ]
    assert wallet.wallet_of(client).balance == 10_000 - 900
    request.refresh_from_db()
    assert request.state == "expired"
    assert wallet.wallet_of(asker).balance == 5_000  # nothing charged for an unanswered request
