"""The database keeps the audit log append-only: no update, no delete; only deleting an
account may blank its rows' actor, and what happened stays."""

import pytest
from django.db import IntegrityError, transaction

from accounts.tests.factories import UserFactory
from home.audit import Action, record_event
from home.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_audit_row_can_be_neither_changed_nor_deleted():
    event = record_event(Action.ORDER_PAID, actor=UserFactory(), total_cents=100)

    for change in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="order.refunded"),
        lambda: AuditEvent.objects.filter(pk=event.pk).update(data={"total_cents": 1}),
        lambda: AuditEvent.objects.filter(pk=event.pk).update(actor=UserFactory()),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            change()

    event.refresh_from_db()
    assert event.action == "order.paid" and event.data == {"total_cents": 100}


def test_deleting_an_account_keeps_its_audit_rows_with_no_actor():
    person = UserFactory()
    event = record_event(Action.ORDER_PAID, actor=person, total_cents=100)

    person.delete()

    event.refresh_from_db()
    assert event.actor_id is None and event.action == "order.paid"
