import itertools

import pytest
from django.db import transaction

from home.models import AuditEvent
from readings import services
from readings.errors import IllegalTransition
from readings.models import ReadingSession
from readings.tests.factories import make_client, make_reader

State = ReadingSession.State
ALL_PAIRS = list(itertools.product(State.values, State.values))


def test_transition_table_names_every_state_and_only_known_states():
    assert set(services.TRANSITIONS) == set(State.values)
    for targets in services.TRANSITIONS.values():
        assert targets <= set(State.values)


def test_transition_table_is_the_documented_machine():
    assert services.TRANSITIONS[State.REQUESTED] == {
        State.ACCEPTED,
        State.DECLINED,
        State.CANCELLED,
        State.EXPIRED,
    }
    assert services.TRANSITIONS[State.ACTIVE] == {State.PAUSED, State.ENDED}
    assert services.TRANSITIONS[State.PAUSED] == {State.ACTIVE, State.ENDED}
    for final in (State.ENDED, State.DECLINED, State.CANCELLED, State.EXPIRED):
        assert services.TRANSITIONS[final] == frozenset()


@pytest.fixture
def session(db):
    reader = make_reader()
    client = make_client(balance=10_000)
    return services.request_reading(client, reader, "chat")


@pytest.mark.parametrize(("from_state", "to_state"), ALL_PAIRS)
def test_every_pair_of_states_is_allowed_exactly_when_the_table_says_so(
    session, from_state, to_state
):
    ReadingSession.objects.filter(pk=session.pk).update(state=from_state)
    session.refresh_from_db()
    events_before = AuditEvent.objects.count()

    if to_state in services.TRANSITIONS[from_state]:
        services.transition(session, to_state, session.client)
        session.refresh_from_db()
        assert session.state == to_state
        event = AuditEvent.objects.latest("pk")
        assert event.action == f"reading.{to_state}"
        assert event.data["previous"] == from_state
        assert event.target_id == str(session.pk)
    else:
        with pytest.raises(IllegalTransition):
            services.transition(session, to_state, session.client)
        session.refresh_from_db()
        assert session.state == from_state
        assert AuditEvent.objects.count() == events_before


def test_transition_uses_the_locked_row_not_a_stale_copy(session):
    stale = ReadingSession.objects.get(pk=session.pk)
    services.decline(session, session.reader)
    with pytest.raises(IllegalTransition):
        services.accept(stale, stale.reader)
    stale.refresh_from_db()
    assert stale.state == State.DECLINED


@pytest.mark.django_db(transaction=True)
def test_a_failed_transition_rolls_back_and_enqueues_nothing(django_capture_on_commit_callbacks):
    reader = make_reader()
    client = make_client(balance=10_000)
    session = services.request_reading(client, reader, "chat")
    events_before = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.accept(session, reader.user)
            raise RuntimeError("the view failed after the service")

    assert callbacks == []
    session.refresh_from_db()
    assert session.state == State.REQUESTED
    assert AuditEvent.objects.count() == events_before
    reader.refresh_from_db()
    assert reader.presence == "online"


def test_an_illegal_transition_writes_nothing_and_sends_nothing(
    session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with pytest.raises(IllegalTransition):
            services.end(session, session.client)
    assert callbacks == []
    assert not session.minutes.exists()


def test_a_stranger_cannot_move_a_reading(session):
    from readings.errors import NotAParty

    stranger = make_client()
    with pytest.raises(NotAParty):
        services.accept(session, stranger)
    session.refresh_from_db()
    assert session.state == State.REQUESTED
