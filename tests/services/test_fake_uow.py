"""The in-memory unit of work behaves like the database one: rollback, events after commit."""

from __future__ import annotations

import pytest

from controlroom.domain.access import Conflict
from controlroom.domain.contacts import Actor, Caller, Contact, HangUp, Role, State
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import NUMBER, START, Clock
from tests.fakes.uow import FakeUnitOfWork

SYSTEM = Actor("telephony", Role.INTEGRATION)


def offer(policy: Policy, contact_id: str = "C-1", channel: Channel = Channel.NINE_NINE_NINE):
    return Contact.offer(
        contact_id=contact_id,
        channel=channel,
        caller=Caller(NUMBER),
        actor=SYSTEM,
        now=START,
        policy=policy,
        landline=True,
    )


def test_uncommitted_changes_and_events_are_dropped(policy: Policy) -> None:
    uow = FakeUnitOfWork()
    contact, events = offer(policy)
    with uow:
        uow.contacts.add(contact)
        uow.audit.append(SYSTEM, "contact:telephony:offered", "contact:C-1", {}, START)
        uow.collect(events)
    assert uow.store.contacts == {} and uow.store.audit == [] and uow.published == []
    with uow:
        uow.contacts.add(contact)
        uow.collect(events)
        uow.commit()
    assert list(uow.store.contacts) == ["C-1"] and uow.published == events


def test_a_stale_save_is_a_conflict(policy: Policy) -> None:
    uow = FakeUnitOfWork()
    contact, _ = offer(policy)
    with uow:
        uow.contacts.add(contact)
        uow.commit()
    first, second = FakeUnitOfWork(uow.store), FakeUnitOfWork(uow.store)
    with first, second:
        a = first.contacts.get("C-1")
        b = second.contacts.get("C-1")
        assert a is not None and b is not None
        a.apply(HangUp(), actor=SYSTEM, now=START, policy=policy)
        first.contacts.save(a)
        b.apply(HangUp(), actor=SYSTEM, now=START, policy=policy)
        with pytest.raises(Conflict):
            second.contacts.save(b)
    with pytest.raises(Conflict), uow:
        uow.contacts.add(contact)


def test_lists_and_reconnects(policy: Policy) -> None:
    uow = FakeUnitOfWork()
    clock = Clock()
    with uow:
        for n in range(3):
            contact, _ = offer(policy, f"C-{n}")
            uow.contacts.add(contact)
        uow.commit()
    with uow:
        assert [c.id for c in uow.contacts.list(limit=2)] == ["C-2", "C-1"]
        assert uow.contacts.count(state=State.OFFERED) == 3
        assert uow.contacts.count(channel=Channel.ONE_ZERO_ONE) == 0
        assert uow.contacts.find_reconnectable(NUMBER, clock.tick()) is None
