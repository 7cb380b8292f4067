"""Incident references in the database: a counter per scope raised in the transaction, given
back on rollback, never the same number twice even when instances allocate at once; each
reference finds its contact; and the words search over stored records."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.domain.contacts import Actor, Caller, Contact, Role
from controlroom.domain.errors import Conflict
from controlroom.domain.triage.decision import Channel
from tests.adapters.db.conftest import MakeUow
from tests.domain.contacts.helpers import START
from tests.domain.contacts.policy_builder import build_policy

POLICY = build_policy()
SYSTEM = Actor("telephony", Role.INTEGRATION)


def test_numbers_count_up_per_scope(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        numbers = [uow.references.next_number("DC-20261207") for _ in range(3)]
        other = uow.references.next_number("DC-20261208")
        uow.commit()
    with make_uow() as uow:
        again = uow.references.next_number("DC-20261207")
        uow.commit()
    assert (numbers, other, again) == ([1, 2, 3], 1, 4)


def test_a_rolled_back_number_is_given_again(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        assert uow.references.next_number("DC-20261207") == 1
        uow.rollback()
    with make_uow() as uow:
        assert uow.references.next_number("DC-20261207") == 1


def test_two_allocations_at_once_never_get_the_same_number(database_engine: Engine) -> None:
    """One instance holds a number in an open transaction while another asks: the second
    waits for the first to commit, then gets the next number."""
    first_has_number = threading.Event()
    got: dict[str, int] = {}

    def first() -> None:
        with SqlUnitOfWork(database_engine) as uow:
            got["first"] = uow.references.next_number("DC-20261207")
            first_has_number.set()
            # give the second every chance to read the same value before we commit
            threading.Event().wait(0.3)
            uow.commit()

    def second() -> None:
        assert first_has_number.wait(5)
        with SqlUnitOfWork(database_engine) as uow:
            got["second"] = uow.references.next_number("DC-20261207")
            uow.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(got.values()) == [1, 2]


def test_many_allocations_at_once_are_all_distinct(database_engine: Engine) -> None:
    def allocate(_: int) -> int:
        with SqlUnitOfWork(database_engine) as uow:
            number = uow.references.next_number("DC-20261207")
            uow.commit()
            return number

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(allocate, range(24)))
    assert sorted(numbers) == list(range(1, 25))


def test_a_reference_finds_its_contact_and_is_issued_once(make_uow: MakeUow) -> None:
    with make_uow() as uow:
        uow.references.link("DC-20261207-0001", "C-1", START)
        uow.commit()
    with make_uow(read_only=True) as uow:
        assert uow.references.contact_for("DC-20261207-0001") == "C-1"
        assert uow.references.contact_for("DC-20261207-0002") is None
        assert uow.references.for_contacts(["C-1", "C-9"]) == {"C-1": "DC-20261207-0001"}
        assert uow.references.for_contacts([]) == {}
    with make_uow() as uow, pytest.raises(Conflict, match="already issued"):
        uow.references.link("DC-20261207-0001", "C-2", START)


def _stored(make_uow: MakeUow, contact_id: str, words: str, name: str, minutes: int) -> None:
    contact, _ = Contact.offer(
        contact_id=contact_id,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller("+447700900113", name=name),
        actor=SYSTEM,
        now=START + timedelta(minutes=minutes),
        policy=POLICY,
        narrative=words,
    )
    with make_uow() as uow:
        uow.contacts.add(contact)
        uow.commit()


def test_words_are_found_in_the_account_and_name_case_ignored(make_uow: MakeUow) -> None:
    _stored(make_uow, "C-1", "He has a KNIFE at the door", "", 0)
    _stored(make_uow, "C-2", "A knife was found in the park", "Jo Bloggs", 1)
    _stored(make_uow, "C-3", "100% sure the_dog bit me", "", 2)
    with make_uow(read_only=True) as uow:
        assert [c.id for c in uow.contacts.matching(["knife"])] == ["C-2", "C-1"]
        assert [c.id for c in uow.contacts.matching(["knife", "door"])] == ["C-1"]
        assert [c.id for c in uow.contacts.matching(["bloggs"])] == ["C-2"]
        assert [c.id for c in uow.contacts.matching(["knife"], limit=1)] == ["C-2"]
        # LIKE wildcards in the words are taken literally
        assert [c.id for c in uow.contacts.matching(["%"])] == ["C-3"]
        assert [c.id for c in uow.contacts.matching(["e_d"])] == ["C-3"]
        assert uow.contacts.matching(["burglary"]) == []
