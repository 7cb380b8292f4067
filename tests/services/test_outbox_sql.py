"""The outbox on SQLite and PostgreSQL: messages written in the change's transaction,
idempotency keys, per-contact order, concurrent claims, and delivery to a real receiver
(retries with backoff, parking, a supervisor's retry, readiness)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from controlroom.adapters.db.tables import audit_log, outbox
from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.adapters.signed_http import SignedHttpTransport
from controlroom.domain.access import AccessDenied, Principal
from controlroom.domain.contacts import (
    AddNote,
    Answer,
    Assess,
    Caller,
    LogIncident,
    Role,
    UpdateNarrative,
)
from controlroom.domain.outbox import (
    TAG_PARKED,
    TAG_RETRY,
    IllegalTransition,
    MessageState,
    RetryPolicy,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.outbox import deliver_due, enqueue, list_messages, overdue, retry_message
from tests.cc_receiver import SECRET, Receiver
from tests.outbox_support import Clock

HANDLER = Principal("alice", Role.CALL_HANDLER)
SUPERVISOR = Principal("sue", Role.SUPERVISOR)
BURGLARY = "Someone is breaking into my house right now, he has a knife"
NO_JITTER = RetryPolicy(max_attempts=3, base_seconds=2, max_seconds=60)


class Factory:
    """Units of work on one engine with C&C configured."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine,
            read_only=read_only,
            snapshot=snapshot,
            outbox_destinations=frozenset({"cc"}),
        )


@pytest.fixture
def factory(database_engine: Engine) -> Factory:
    return Factory(database_engine)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(outbox).order_by(outbox.c.id)))


def incident(factory: Factory, policy: Policy, now: datetime, notes: int = 0) -> str:
    """A 999 call graded and logged as an incident, then ``notes`` notes added."""
    details = service.offer_contact(
        factory,
        HANDLER,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller(number="+447700900113"),
        narrative="",
        now=now,
        policy=policy,
    )
    cid = details.contact.id
    actions: list[Any] = [Answer(), UpdateNarrative(BURGLARY), Assess("immediate", reason="knife")]
    actions += [LogIncident(grade="immediate")] + [AddNote(f"note {n}") for n in range(notes)]
    for action in actions:
        service.do_action(factory, HANDLER, cid, action, now, policy)
    return cid


def add(factory: Factory, key: str, now: datetime, contact: str | None = "C-1") -> int | None:
    with factory() as uow:
        found = enqueue(
            uow,
            destination="cc",
            kind="incident.updated",
            idempotency_key=key,
            body=json.dumps({"message_id": key}),
            now=now,
            contact_id=contact,
        )
        uow.commit()
    return found


def test_logging_an_incident_writes_its_message_with_the_change(
    factory: Factory, policy: Policy, database_engine: Engine
) -> None:
    now = datetime.now(UTC)
    cid = incident(factory, policy, now, notes=1)
    found = rows(database_engine)
    assert [(r.kind, r.sequence, r.state, r.attempts) for r in found] == [
        ("incident.logged", 1, "pending", 0),
        ("incident.updated", 2, "pending", 0),
    ]
    document = json.loads(found[0].body)
    assert document["contact_id"] == cid and document["caller"]["number"] == "+447700900113"
    assert found[0].idempotency_key == document["message_id"]


def test_a_change_that_does_not_commit_leaves_no_message(
    factory: Factory, database_engine: Engine
) -> None:
    now = datetime.now(UTC)
    with pytest.raises(RuntimeError), factory() as uow:
        enqueue(uow, destination="cc", kind="k", idempotency_key="k1", body="{}", now=now)
        raise RuntimeError("the change failed after the message was written")
    assert rows(database_engine) == []


def test_an_idempotency_key_is_stored_once(factory: Factory, database_engine: Engine) -> None:
    now = datetime.now(UTC)
    assert add(factory, "cc:C-1:5", now) is not None
    assert add(factory, "cc:C-1:5", now) is None
    assert len(rows(database_engine)) == 1


def test_an_unconfigured_destination_is_not_kept(database_engine: Engine) -> None:
    with SqlUnitOfWork(database_engine) as uow:
        assert (
            enqueue(
                uow,
                destination="cc",
                kind="k",
                idempotency_key="k",
                body="{}",
                now=datetime.now(UTC),
            )
            is None
        )
        uow.commit()
    assert rows(database_engine) == []


def test_only_the_earliest_undelivered_message_of_a_contact_is_claimed(factory: Factory) -> None:
    now = datetime.now(UTC)
    a1, a2, b1 = (
        add(factory, "a1", now, "A"),
        add(factory, "a2", now, "A"),
        add(factory, "b1", now, "B"),
    )
    with factory() as uow:
        first = uow.outbox.claim(now, now + timedelta(seconds=60), 10, ["cc"])
        assert [m.id for m in first] == [a1, b1]
        assert uow.outbox.claim(now, now + timedelta(seconds=60), 10, ["cc"]) == []
        uow.outbox.mark(
            first[0],
            state=MessageState.DELIVERED,
            attempts=1,
            next_attempt_at=None,
            last_error=None,
            delivered_at=now,
        )
        assert [m.id for m in uow.outbox.claim(now, now, 10, ["cc"])] == [a2]
        uow.commit()


def test_a_claim_whose_lease_ran_out_is_claimed_again(factory: Factory) -> None:
    now = datetime.now(UTC)
    add(factory, "k", now)
    with factory() as uow:
        (held,) = uow.outbox.claim(now, now + timedelta(seconds=5), 10, ["cc"])
        assert uow.outbox.claim(now + timedelta(seconds=4), now, 10, ["cc"]) == []
        (again,) = uow.outbox.claim(now + timedelta(seconds=6), now, 10, ["cc"])
        assert (again.id, again.attempts) == (held.id, 2)
        # the first worker's late answer no longer moves it
        assert not uow.outbox.mark(
            held, state=MessageState.DELIVERED, attempts=1, next_attempt_at=None, last_error=None
        )
        uow.commit()


def test_two_instances_claiming_at_once_take_different_messages(
    factory: Factory, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: a second claim waits for the first")
    now = datetime.now(UTC)
    for n in range(4):
        add(factory, f"k{n}", now, contact=f"C-{n}")
    with factory() as first, factory() as second:
        mine = first.outbox.claim(now, now + timedelta(seconds=60), 2, ["cc"])
        theirs = second.outbox.claim(now, now + timedelta(seconds=60), 10, ["cc"])
        assert len(mine) == 2 and len(theirs) == 2
        assert not {m.id for m in mine} & {m.id for m in theirs}
        first.commit()
        second.commit()


def test_a_failing_receiver_is_retried_with_backoff_and_takes_the_message_once(
    factory: Factory, policy: Policy, receiver: Receiver, database_engine: Engine
) -> None:
    clock = Clock(datetime.now(UTC))
    incident(factory, policy, clock.now)
    receiver.fail_next = 2
    transport = {"cc": SignedHttpTransport(receiver.url, SECRET)}
    policy_ = RetryPolicy(max_attempts=5, base_seconds=2, max_seconds=60)
    rounds = [deliver_due(factory, transport, policy_, clock, jitter=lambda: 0.999)]
    assert rounds[0].failed == 1
    (row,) = rows(database_engine)
    assert (row.state, row.attempts, row.last_error) == (
        "pending",
        1,
        "the receiver answered HTTP 503",
    )
    assert deliver_due(factory, transport, policy_, clock).handled == 0  # not due yet
    clock.advance(2)
    assert deliver_due(factory, transport, policy_, clock, jitter=lambda: 0.999).failed == 1
    clock.advance(3)
    assert deliver_due(factory, transport, policy_, clock).handled == 0  # the wait doubled
    clock.advance(1.5)
    assert deliver_due(factory, transport, policy_, clock).delivered == 1
    (row,) = rows(database_engine)
    assert (row.state, row.attempts, row.delivered_at is not None) == ("delivered", 3, True)
    assert receiver.requests == 3 and len(receiver.processed) == 1
    assert not receiver.refused and not receiver.duplicates


def test_after_the_limit_a_message_is_parked_until_a_supervisor_retries_it(
    factory: Factory, policy: Policy, receiver: Receiver, database_engine: Engine
) -> None:
    clock = Clock(datetime.now(UTC))
    cid = incident(factory, policy, clock.now, notes=1)
    wrong = {"cc": SignedHttpTransport(receiver.url, "not-the-shared-secret")}
    for _ in range(3):
        deliver_due(factory, wrong, NO_JITTER, clock)
        clock.advance(120)
    logged, note = rows(database_engine)
    assert (logged.state, logged.attempts, logged.last_error) == (
        "parked",
        3,
        "the receiver answered HTTP 401",
    )
    assert note.state == "pending" and note.attempts == 0, "held back behind the parked one"
    assert receiver.refused == ["signature does not match"] * 3 and not receiver.processed
    with database_engine.connect() as connection:
        tags = [r.tag for r in connection.execute(select(audit_log).order_by(audit_log.c.seq))]
    assert tags.count(TAG_PARKED) == 1

    with pytest.raises(AccessDenied):
        retry_message(factory, HANDLER, logged.id, clock.now)
    view = list_messages(factory, SUPERVISOR, state=MessageState.PARKED)
    assert [m.id for m in view.messages] == [logged.id] and view.counts[MessageState.PARKED] == 1
    retried = retry_message(factory, SUPERVISOR, logged.id, clock.now)
    assert (retried.state, retried.attempts) == (MessageState.PENDING, 0)
    with pytest.raises(IllegalTransition):
        retry_message(factory, SUPERVISOR, logged.id, clock.now)

    right = {"cc": SignedHttpTransport(receiver.url, SECRET)}
    deliver_due(factory, right, NO_JITTER, clock)
    deliver_due(factory, right, NO_JITTER, clock)
    assert [r.state for r in rows(database_engine)] == ["delivered", "delivered"]
    assert [receiver.documents[k]["event"] for k in receiver.processed] == [
        "incident.logged",
        "incident.updated",
    ]
    assert all(receiver.documents[k]["contact_id"] == cid for k in receiver.processed)
    with database_engine.connect() as connection:
        retry_rows = connection.execute(
            select(func.count()).where(audit_log.c.tag == TAG_RETRY)
        ).scalar()
    assert retry_rows == 1


def test_readiness_names_overdue_messages(factory: Factory) -> None:
    now = datetime.now(UTC)
    assert overdue(factory, now, timedelta(minutes=5)) is None
    add(factory, "old-1", now - timedelta(minutes=10), contact="A")
    add(factory, "old-2", now - timedelta(minutes=8), contact="B")
    add(factory, "fresh", now, contact="C")
    assert overdue(factory, now, timedelta(minutes=5)) == "outbox: 2 messages overdue"
