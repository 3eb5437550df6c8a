"""Test set-up for readings through the same services production uses."""

import itertools
from datetime import timedelta

from django.db import connection
from wagtail.models import Locale, Page

from accounts.tests.factories import UserFactory
from readers.models import ReaderPage
from readings import services
from wallet.tests.factories import fund_wallet

_pages = itertools.count(1)


def make_reader(presence="online", chat=300, voice=400, video=500, user=None):
    """A reader user with a ``ReaderPage`` (presence and per-minute rates in cents)."""
    user = user or UserFactory(reader=True)
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    number = next(_pages)
    return root.add_child(
        instance=ReaderPage(
            title=f"Reader {number}",
            slug=f"reader-{user.pk}-{number}",
            display_name=user.display_name or f"Reader {number}",
            user=user,
            presence=presence,
            chat_rate_cents=chat,
            voice_rate_cents=voice,
            video_rate_cents=video,
        )
    )


def make_client(balance=0):
    client = UserFactory()
    if balance:
        fund_wallet(client, balance)
    return client


def active_session(client, reader_page, channel="chat", *, free_minutes=None):
    """Request, accept and start a reading; ``free_minutes`` overrides the intro offer."""
    session = services.request_reading(client, reader_page, channel)
    if free_minutes is not None:
        type(session).objects.filter(pk=session.pk).update(free_minutes=free_minutes)
        session.refresh_from_db()
    services.accept(session, reader_page.user)
    services.start(session, client)
    return session


def shift_back(session, seconds):
    """Pretend the session started ``seconds`` earlier (a worker outage, time passing)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE readings_readingsession
            SET started_at = started_at - %(gap)s,
                next_minute_at = next_minute_at - %(gap)s,
                paused_at = paused_at - %(gap)s,
                expires_at = expires_at - %(gap)s
            WHERE id = %(id)s
            """,
            {"gap": timedelta(seconds=seconds), "id": session.pk},
        )
    session.refresh_from_db()
    return session


# Bookings ---------------------------------------------------------------------------------------


def open_all_week(reader_user, start=None, end=None):
    """Weekly windows every day (default the whole day) in the reader's zone."""
    from datetime import time

    from readers import availability

    start, end = start or time(0, 0), end or time(23, 59)
    return availability.set_weekly_availability(
        reader_user, [(day, start, end) for day in range(7)]
    )


def tomorrow_at(hour, minute=0):
    """An aware UTC datetime tomorrow at ``hour:minute`` UTC (always beyond the minimum
    notice)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return (now + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def make_booking(
    client=None,
    reader_page=None,
    *,
    channel="chat",
    length=30,
    starts_at=None,
    accept=True,
    balance=20_000,
):
    """A booking through ``readings.bookings.book`` (and ``accept`` unless ``accept=False``).
    The reader gets all-day availability when they have none."""
    from readings import bookings

    reader_page = reader_page or make_reader(presence="offline")
    if not reader_page.user.availability_rules.exists():
        open_all_week(reader_page.user)
    client = client or make_client(balance=balance)
    booking = bookings.book(
        client,
        reader_page,
        channel=channel,
        starts_at=starts_at or tomorrow_at(10),
        length_minutes=length,
    )
    if accept and booking.state == "pending":
        bookings.accept(booking, reader_page.user)
    return booking


def move_booking(booking, starts_at):
    """Pretend time passed: the booking now starts at ``starts_at`` (same length)."""
    from readings.models import Booking

    ends_at = starts_at + timedelta(minutes=booking.length_minutes)
    Booking.objects.filter(pk=booking.pk).update(starts_at=starts_at, ends_at=ends_at)
    booking.refresh_from_db()
    return booking
