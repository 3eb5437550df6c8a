"""Audit actions come from one list with one naming scheme."""

import re

import pytest

from home.audit import Action, record_event
from home.models import AuditEvent
from readings.models import Booking, ReadingSession


@pytest.mark.django_db
def test_an_action_outside_the_list_is_refused_and_nothing_is_written():
    with pytest.raises(ValueError):
        record_event("readings.something_new")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_action_is_stored_by_its_name():
    event = record_event(Action.QUEUE_JOINED, reader_id=1)
    assert AuditEvent.objects.get(pk=event.pk).action == "queue.joined"


def test_every_action_reads_subject_dot_what_happened():
    for action in Action:
        assert re.fullmatch(
            r"(reading|booking|queue|message|block|reader|review|wallet|order|product|forum|report|account)\.[a-z_]+",
            action,
        )


def test_every_state_a_reading_or_booking_reaches_has_an_action():
    for state in ReadingSession.State.values:
        Action(f"reading.{state}")
    for state in set(Booking.State.values) - {"pending"}:
        Action(f"booking.{state}")
