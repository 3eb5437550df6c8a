"""Celery tasks of the readings engine: thin wrappers around services, run by beat.

``charge_due_minutes`` bills every active session in set-based batches (see readings.billing);
``sweep_reading_timeouts`` expires unanswered requests, ends readings paused beyond the
reconnect grace, lapses queue offers and takes readers offline whose desk went quiet. Both are
safe to overlap and to repeat.
"""

from celery import shared_task


@shared_task(ignore_result=True)
def charge_due_minutes():
    from .billing import timed_sweep

    totals = timed_sweep()
    return {key: value for key, value in totals.items() if key != "seconds"}


@shared_task(ignore_result=True)
def sweep_reading_timeouts():
    from . import presence, services

    return {
        "expired": services.expire_unanswered(),
        "ended_disconnected": services.end_stale_paused(),
        "offers_lapsed": presence.lapse_offers(),
        "presence_lapsed": presence.lapse_idle_readers(),
    }


@shared_task(ignore_result=True)
def sweep_bookings():
    """Bookings: expire unanswered requests, apply no-shows, end booked readings at their end
    (readings.bookings.sweep_bookings; safe to overlap and repeat)."""
    from .bookings import sweep_bookings as sweep

    return sweep()


@shared_task(ignore_result=True)
def expire_message_requests():
    """Paid questions past their deadline are released to the client
    (readings.messaging.expire_due; safe to overlap and repeat)."""
    from .messaging import expire_due

    return expire_due()


@shared_task(ignore_result=True)
def remind_message_requests():
    """Readers hear once when a paid question's deadline is close (readings.messaging)."""
    from .messaging import remind_due

    return remind_due()


@shared_task(
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def send_message_email(address, subject, text):
    """The email of a message notification, sent after the notification's commit."""
    from .messaging import send_notification_email

    send_notification_email(address, subject, text)
