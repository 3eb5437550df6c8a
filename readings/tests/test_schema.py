"""What the database itself keeps about sessions, and what keeps the billing sweep cheap."""

import pytest
from django.db import IntegrityError, connection, transaction

from readings.models import ReadingSession

from .factories import active_session, make_client, make_reader

# The columns the sweep's per-minute UPDATE writes (readings.metering._update_sessions).
BILLING_WRITES = (
    "billed_minutes",
    "paid_minutes",
    "total_cents",
    "reader_earned_cents",
    "low_balance_notified",
    "next_minute_at",
)


def index_definitions(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_the_per_minute_update_writes_no_indexed_column():
    # An index on (or a partial index over) any of these columns turns every billed minute into
    # a new row version with an entry in every index of the table (no HOT update).
    definitions = index_definitions("readings_readingsession")
    assert definitions
    for definition in definitions:
        for column in BILLING_WRITES:
            assert column not in definition, definition
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'readings_readingsession'::regclass"
        )
        assert "fillfactor=70" in cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_account_balance_is_not_indexed():
    assert all("balance" not in d for d in index_definitions("wallet_ledgeraccount"))


@pytest.mark.django_db
def test_a_client_cannot_hold_two_open_readings_even_in_sql():
    client = make_client(balance=10_000)
    session = active_session(client, make_reader())
    with pytest.raises(IntegrityError, match="readings_one_open_per_client"):
        with transaction.atomic():
            ReadingSession.objects.create(
                client=client,
                reader=make_reader().user,
                channel="chat",
                state="requested",
                rate_cents=300,
            )
    assert ReadingSession.objects.filter(client=client).get() == session
