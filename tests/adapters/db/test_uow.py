"""The SQL unit of work: one transaction, events only after commit, rollback by default."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine

from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import Actor, Caller, Contact, Role
from controlroom.domain.triage.decision import Channel
from tests.adapters.db.conftest import MakeUow
from tests.domain.contacts.helpers import NUMBER, START
from tests.domain.contacts.policy_builder import build_policy
from tests.fakes.uow import FakePublisher

POLICY = build_policy()
SYSTEM = Actor("telephony", Role.INTEGRATION)


def offer(contact_id: str = "C-1") -> tuple[Contact, list[object]]:
    contact, events = Contact.offer(
        contact_id=contact_id,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller(NUMBER),
        actor=SYSTEM,
        now=START,
        policy=POLICY,
    )
    return contact, list(events)


def change(uow: SqlUnitOfWork, contact_id: str = "C-1") -> list[object]:
    contact, events = offer(contact_id)
    uow.contacts.add(contact)
    uow.audit.append(SYSTEM, AuditTag.TELEPHONY_OFFERED, f"contact:{contact_id}", {}, START)
    uow.collect(events)
    return events


def test_commit_keeps_the_change_and_its_audit_row_then_publishes(
    make_uow: MakeUow, publisher: FakePublisher
) -> None:
    with make_uow() as uow:
        events = change(uow)
        assert publisher.published == []
        uow.commit()
        assert publisher.published == events
    with make_uow(read_only=True) as uow:
        assert uow.contacts.get("C-1") is not None
        assert uow.audit.head().seq == 1


def test_leaving_without_commit_rolls_back_and_publishes_nothing(
    make_uow: MakeUow, publisher: FakePublisher
) -> None:
    with make_uow() as uow:
        change(uow)
    with pytest.raises(RuntimeError), make_uow() as uow:
        change(uow)
        raise RuntimeError("the use case failed")
    with make_uow() as uow:
        change(uow)
        uow.rollback()
        uow.commit()
    assert publisher.published == []
    with make_uow(read_only=True) as uow:
        assert uow.contacts.get("C-1") is None
        assert uow.audit.head().seq == 0


def test_a_unit_of_work_can_commit_twice_and_be_reused(
    make_uow: MakeUow, publisher: FakePublisher
) -> None:
    uow = make_uow()
    with uow:
        change(uow, "C-1")
        uow.commit()
        change(uow, "C-2")
        uow.commit()
    with uow:
        change(uow, "C-3")
        uow.commit()
    assert len(publisher.published) == 3
    with make_uow(read_only=True) as reader:
        assert reader.contacts.count() == 3
        assert reader.audit.verify().count == 3


class Broken:
    def publish(self, events: Sequence[object]) -> None:
        raise ConnectionError("pub/sub is down")


def test_a_failed_publish_is_logged_and_the_change_stays(
    database_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR), SqlUnitOfWork(database_engine, Broken()) as uow:
        change(uow)
        uow.commit()
    assert "publishing 1 events after commit failed" in caplog.text
    with SqlUnitOfWork(database_engine, read_only=True) as uow:
        assert uow.contacts.get("C-1") is not None


def test_misuse_is_refused(make_uow: MakeUow) -> None:
    uow = make_uow()
    with pytest.raises(RuntimeError, match="outside"):
        uow.commit()
    with uow, pytest.raises(RuntimeError, match="already in use"):
        uow.__enter__()


def test_sqlite_writers_of_one_process_take_turns(make_uow: MakeUow) -> None:
    """On SQLite a writing unit of work waits in line for the one before it (no busy errors,
    no polling); readers never wait. PostgreSQL lets writers in together."""
    import threading
    import time

    first = make_uow()
    order: list[str] = []
    entered = threading.Event()

    def hold() -> None:
        with first:
            entered.set()
            time.sleep(0.3)
            order.append("first done")

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    with make_uow(read_only=True):
        order.append("reader in")
    with make_uow():
        order.append("second in")
    holder.join()
    sqlite = first.engine.dialect.name == "sqlite"
    expected = ["reader in", "first done", "second in"] if sqlite else ["reader in", "second in"]
    assert [step for step in order if step in expected] == expected
