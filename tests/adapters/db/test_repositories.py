"""Contacts and processed telephony events in the database, on each test database."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from controlroom.domain.access import Conflict
from controlroom.domain.contacts import (
    ActionKind,
    Actor,
    AddNote,
    Caller,
    Contact,
    ProcedureName,
    Role,
    State,
)
from controlroom.domain.errors import ConcurrentWrite, InvalidInput
from controlroom.domain.triage.decision import Channel
from tests.adapters.db.conftest import MakeUow
from tests.domain.contacts.helpers import (
    NUMBER,
    OTHER_NUMBER,
    PATHS,
    START,
    SUPERVISOR,
    Clock,
    at_state,
    drive,
)
from tests.domain.contacts.policy_builder import build_policy

POLICY = build_policy()
SYSTEM = Actor("telephony", Role.INTEGRATION)


def offered(
    contact_id: str, channel: Channel, clock: Clock, number: str | None = NUMBER
) -> Contact:
    contact, _ = Contact.offer(
        contact_id=contact_id,
        channel=channel,
        caller=Caller(number),
        actor=SYSTEM,
        now=clock.tick(60),
        policy=POLICY,
        landline=channel in (Channel.NINE_NINE_NINE, Channel.LANDLINE_OPEN_LINE),
    )
    return contact


def test_every_state_is_stored_and_read_back(make_uow: MakeUow) -> None:
    stored = {}
    with make_uow() as uow:
        for n, (procedure, state) in enumerate(PATHS):
            contact = at_state(POLICY, Clock(START + timedelta(hours=n)), procedure, state)
            renamed = Contact(replace(contact.record, id=f"C-{n}"))
            uow.contacts.add(renamed)
            stored[renamed.id] = renamed.record
        uow.commit()
    with make_uow(read_only=True) as uow:
        for contact_id, record in stored.items():
            found = uow.contacts.get(contact_id)
            assert found is not None and found.record == record
        assert uow.contacts.get("nope") is None
        assert uow.contacts.count() == len(PATHS)


def test_adding_an_existing_id_is_a_conflict(make_uow: MakeUow) -> None:
    contact = offered("C-1", Channel.NINE_NINE_NINE, Clock())
    with make_uow() as uow:
        uow.contacts.add(contact)
        uow.commit()
    with make_uow() as uow, pytest.raises(Conflict):
        uow.contacts.add(contact)
        uow.commit()  # written, and refused, at the latest at the commit
    with make_uow() as uow, pytest.raises(Conflict):
        uow.contacts.add(offered("C-2", Channel.NINE_NINE_NINE, Clock()))
        uow.contacts.add(offered("C-2", Channel.NINE_NINE_NINE, Clock()))


def test_saving_checks_the_version(make_uow: MakeUow) -> None:
    clock = Clock()
    with make_uow() as uow:
        uow.contacts.add(offered("C-1", Channel.NINE_NINE_NINE, clock))
        uow.commit()
    with make_uow() as uow:
        contact = uow.contacts.get_for_update("C-1")
        assert contact is not None
        drive(contact, (ActionKind.ANSWER,), POLICY, clock)
        uow.contacts.save(contact)
        drive(contact, (ActionKind.ASSESS,), POLICY, clock)
        uow.contacts.save(contact)  # twice in one unit of work is fine
        uow.commit()
    with make_uow() as uow:
        contact = uow.contacts.get("C-1")
        assert contact is not None and contact.state is State.ASSESSED
        version = uow.connection.execute(text("SELECT version FROM contacts")).scalar_one()
        assert version == 3
        uow.connection.execute(text("UPDATE contacts SET version = version + 1"))  # another writer
        drive(contact, (ActionKind.LOG_INCIDENT,), POLICY, clock)
        uow.contacts.save(contact)  # checked as it is written, at the latest at the commit
        with pytest.raises(Conflict):
            uow.commit()
    with make_uow() as uow:  # nothing of the refused save was written
        stored = uow.contacts.get("C-1")
        assert stored is not None and stored.state is State.ASSESSED
    with make_uow() as uow, pytest.raises(InvalidInput):
        uow.contacts.save(contact)  # not read in this unit of work


def test_concurrent_writers_each_see_the_last_save(make_uow: MakeUow) -> None:
    clock = Clock()
    with make_uow() as uow:
        uow.contacts.add(offered("C-1", Channel.ONE_ZERO_ONE, clock))
        uow.commit()
    errors: list[BaseException] = []

    def add_note(n: int) -> None:
        try:
            with make_uow() as uow:
                contact = uow.contacts.get_for_update("C-1")
                assert contact is not None
                contact.apply(AddNote(f"note {n}"), actor=SUPERVISOR, now=START, policy=POLICY)
                uow.contacts.save(contact)
                uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add_note, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with make_uow(read_only=True) as uow:
        contact = uow.contacts.get("C-1")
        assert contact is not None
        assert sorted(note.text for note in contact.record.notes) == [f"note {n}" for n in range(8)]


def test_lists_filter_and_page(make_uow: MakeUow) -> None:
    clock = Clock()
    channels = [Channel.NINE_NINE_NINE, Channel.ONE_ZERO_ONE, Channel.LIVE_CHAT] * 4
    with make_uow() as uow:
        for n, channel in enumerate(channels):
            number = NUMBER if n % 2 else OTHER_NUMBER
            uow.contacts.add(offered(f"C-{n:02}", channel, clock, number))
        answered = uow.contacts.get("C-00")
        assert answered is not None
        drive(answered, (ActionKind.ANSWER,), POLICY, clock)
        uow.contacts.save(answered)
        uow.commit()
    with make_uow(read_only=True) as uow:
        repo = uow.contacts
        assert [c.id for c in repo.list(limit=3)] == ["C-11", "C-10", "C-09"]
        assert [c.id for c in repo.list(limit=3, offset=3)] == ["C-08", "C-07", "C-06"]
        assert repo.count(channel=Channel.ONE_ZERO_ONE) == 4
        assert {c.channel for c in repo.list(channel=Channel.LIVE_CHAT)} == {Channel.LIVE_CHAT}
        assert [c.id for c in repo.list(state=State.ANSWERED)] == ["C-00"]
        assert repo.count(procedure=ProcedureName.NON_EMERGENCY) == 8
        assert repo.count(caller_number=NUMBER) == 6
        first = START + timedelta(minutes=1)
        window = repo.list(offered_from=first, offered_to=first + timedelta(minutes=3))
        assert [c.id for c in window] == ["C-02", "C-01", "C-00"]
        assert repo.count(channel=Channel.ONE_ZERO_ONE, caller_number=NUMBER) == 2
        with pytest.raises(InvalidInput):
            repo.list(limit=0)


def test_a_landline_that_hung_up_in_this_transaction_can_rejoin_in_it(
    make_uow: MakeUow,
) -> None:
    clock = Clock()
    with make_uow() as uow:
        contact = offered("C-1", Channel.NINE_NINE_NINE, clock)
        uow.contacts.add(contact)  # neither written yet ...
        drive(contact, (ActionKind.ANSWER, ActionKind.HANG_UP), POLICY, clock)
        uow.contacts.save(contact)
        assert uow.contacts.find_reconnectable(OTHER_NUMBER, clock.now) is None
        found = uow.contacts.find_reconnectable(NUMBER, clock.now)  # ... but found here
        assert found is not None and found.id == "C-1" and found.state is State.HUNG_UP
        uow.commit()


def test_find_reconnectable_within_45_seconds(make_uow: MakeUow) -> None:
    clock = Clock()
    with make_uow() as uow:
        contact = offered("C-1", Channel.NINE_NINE_NINE, clock)
        uow.contacts.add(contact)
        loaded = uow.contacts.get("C-1")
        assert loaded is not None
        drive(loaded, (ActionKind.ANSWER, ActionKind.HANG_UP), POLICY, clock)
        uow.contacts.save(loaded)
        hung_up = clock.now
        uow.contacts.add(offered("C-2", Channel.ONE_ZERO_ONE, clock))  # not a landline
        uow.commit()
    with make_uow() as uow:
        found = uow.contacts.find_reconnectable(NUMBER, hung_up + timedelta(seconds=45))
        assert found is not None and found.id == "C-1"
        assert uow.contacts.find_reconnectable(NUMBER, hung_up + timedelta(seconds=46)) is None
        assert uow.contacts.find_reconnectable(OTHER_NUMBER, hung_up) is None


def test_a_transaction_reads_the_contacts_it_saved(make_uow: MakeUow) -> None:
    clock = Clock()
    with make_uow() as uow:
        uow.contacts.add(offered("C-1", Channel.NINE_NINE_NINE, clock))
        uow.commit()
    with make_uow() as uow:
        uow.contacts.lock(["C-1", "C-unknown"])
        contact = uow.contacts.get_for_update("C-1")
        assert contact is not None
        drive(contact, (ActionKind.ANSWER,), POLICY, clock)
        uow.contacts.save(contact)
        again = uow.contacts.get_for_update("C-1")
        assert again is not None and again.state is State.ANSWERED and again is not contact
        assert uow.contacts.count(state=State.ANSWERED) == 1  # the save is written first
        [listed] = uow.contacts.list(state=State.ANSWERED)
        assert listed.id == "C-1"
        assert uow.contacts.get_for_update("C-unknown") is None
        uow.commit()
    with make_uow() as uow:
        stored = uow.contacts.get("C-1")
        assert stored is not None and stored.state is State.ANSWERED
        version = uow.connection.execute(text("SELECT version FROM contacts")).scalar_one()
        assert version == 2


def test_answers_to_new_events_are_written_at_the_commit(make_uow: MakeUow) -> None:
    kwargs = {"event_type": "offer", "received_at": START, "status_code": 201}
    with make_uow() as uow:
        uow.processed_events.prefetch(["ev-1", "ev-2"])
        assert uow.processed_events.add("ev-1", response={"n": 1}, **kwargs)
        assert uow.processed_events.add("ev-2", response={"n": 2}, **kwargs)
        assert not uow.processed_events.add("ev-2", response={"n": 3}, **kwargs)
        assert uow.processed_events.get("ev-2") == (201, {"n": 2})
        uow.commit()
    with make_uow(read_only=True) as uow:
        assert uow.processed_events.get("ev-1") == (201, {"n": 1})
        assert uow.processed_events.get("ev-2") == (201, {"n": 2})


def test_an_answer_stored_meanwhile_by_another_writer_is_refused_whole(
    make_uow: MakeUow, database_engine: Engine
) -> None:
    if database_engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer in at a time: no other can store it meanwhile")
    kwargs = {"event_type": "offer", "received_at": START, "status_code": 201}
    with make_uow() as uow:
        uow.processed_events.prefetch(["ev-2", "ev-3"])
        assert uow.processed_events.add("ev-2", response={"n": 2}, **kwargs)
        assert uow.processed_events.add("ev-3", response={"n": 3}, **kwargs)
        with make_uow() as other:  # another writer answers the same event first
            assert other.processed_events.add("ev-3", response={"n": 4}, **kwargs)
            other.commit()
        with pytest.raises(ConcurrentWrite):
            uow.commit()
    with make_uow(read_only=True) as uow:
        assert uow.processed_events.get("ev-2") is None  # nothing of the refused commit
        assert uow.processed_events.get("ev-3") == (201, {"n": 4})


def test_processed_events_answer_once(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        assert uow.processed_events.get("ev-1") is None
        kwargs = {"event_type": "offer", "received_at": START, "status_code": 201}
        assert uow.processed_events.add("ev-1", response={"contact_id": "C-1"}, **kwargs)
        assert not uow.processed_events.add("ev-1", response={"other": True}, **kwargs)
        uow.commit()
    with make_uow(read_only=True) as uow:
        assert uow.processed_events.get("ev-1") == (201, {"contact_id": "C-1"})
