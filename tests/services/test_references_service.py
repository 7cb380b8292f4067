"""Incident references and finding contacts, on the in-memory unit of work: logging an
incident issues the next reference of the day in the force's format; a search by reference,
contact id, number or words finds the contact; bad searches are refused plainly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from controlroom.domain.access import AccessDenied, Principal
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import (
    AddNote,
    Answer,
    Assess,
    Caller,
    LogIncident,
    Role,
    UpdateNarrative,
)
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.contact_search import SearchKind, read_query, search_contacts
from tests.fakes.uow import FakeUnitOfWork

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HANDLER = Principal("alice", Role.CALL_HANDLER)
ADMIN = Principal("root", Role.ADMIN)
BURGLARY = "Someone is breaking into my house right now, he has a knife"


class Room:
    """The use cases on one fake database."""

    def __init__(self, policy: Policy) -> None:
        self.uow, self.policy, self.now = FakeUnitOfWork(), policy, T0

    def factory(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        return self.uow

    def call(self, number: str, words: str, *, at: datetime | None = None) -> str:
        self.now = at or self.now + timedelta(minutes=1)
        details = service.offer_contact(
            self.factory,
            HANDLER,
            channel=Channel.NINE_NINE_NINE,
            caller=Caller(number=number),
            narrative="",
            now=self.now,
            policy=self.policy,
        )
        cid = details.contact.id
        graded = Assess(grade="immediate", reason="graded by the handler")
        for action in (Answer(), UpdateNarrative(words), graded):
            service.do_action(self.factory, HANDLER, cid, action, self.now, self.policy)
        return cid

    def log(self, contact_id: str) -> str:
        details = service.do_action(
            self.factory, HANDLER, contact_id, LogIncident(grade="immediate"), self.now, self.policy
        )
        incident = details.contact.incident
        assert incident is not None and incident.reference is not None
        return incident.reference


@pytest.fixture
def room(policy: Policy) -> Room:
    return Room(policy)


def test_logging_incidents_issues_the_days_references_in_turn(room: Room) -> None:
    first = room.log(room.call("+447700900113", BURGLARY))
    second = room.log(room.call("+447700900114", BURGLARY))
    assert (first, second) == ("DC-20261207-0001", "DC-20261207-0002")
    rows = [e for e in room.uow.store.audit if e.tag == AuditTag.CONTACT_LOG_INCIDENT.value]
    assert [row.details["reference"] for row in rows][-2:] == [first, second]


def test_the_number_starts_again_on_the_forces_next_local_day(room: Room) -> None:
    room.log(room.call("+447700900113", BURGLARY))
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (summer time)
    late = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    assert room.log(room.call("+447700900114", BURGLARY, at=late)) == "DC-20260601-0001"


def test_a_refused_incident_issues_no_reference(room: Room) -> None:
    cid = room.call("+447700900113", BURGLARY)
    room.log(cid)
    with pytest.raises(PolicyViolation):
        room.log(cid)  # already logged: the procedure refuses a second
    assert room.uow.store.counters == {"DC-20261207": 1}
    assert room.uow.store.references == {"DC-20261207-0001": cid}


def test_search_by_reference_contact_id_number_and_words(room: Room) -> None:
    knife = room.call("+447700900113", BURGLARY)
    other = room.call("+447700900999", "A dog is loose on the motorway")
    reference = room.log(knife)

    def found(text: str) -> list[str]:
        result = search_contacts(room.factory, HANDLER, text, room.policy)
        return [contact.id for contact in result.contacts]

    assert found(reference.lower()) == [knife]
    assert found(knife) == [knife]
    assert found("07700 900113") == [knife]
    assert found("+44 7700 900999") == [other]
    assert found("KNIFE house") == [knife]
    assert found("motorway dog") == [other]
    assert found("knife motorway") == []
    assert found("DC-20261207-0099") == []


def test_words_search_reads_the_callers_name_and_not_the_notes(room: Room) -> None:
    cid = room.call("+447700900113", BURGLARY)
    service.do_action(room.factory, HANDLER, cid, AddNote("not searched"), room.now, room.policy)
    room.uow.store.contacts[cid] = (
        room.uow.store.contacts[cid][0],
        replace(room.uow.store.contacts[cid][1], caller=Caller("+447700900113", name="Jo Bloggs")),
    )
    assert search_contacts(room.factory, HANDLER, "not searched", room.policy).contacts == []
    found = search_contacts(room.factory, HANDLER, "bloggs", room.policy)
    assert [contact.id for contact in found.contacts] == [cid]
    assert found.kind is SearchKind.WORDS and found.words == ("bloggs",)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("DC-20261207-0042", SearchKind.REFERENCE, "DC-20261207-0042"),
        (" dc-20261207-0042 ", SearchKind.REFERENCE, "DC-20261207-0042"),
        ("C-20261207-0123456789", SearchKind.CONTACT, "C-20261207-0123456789"),
        ("07700 900113", SearchKind.NUMBER, "+447700900113"),
        ("+33 1 23 45 67 89", SearchKind.NUMBER, "+33123456789"),
        ("knife, house", SearchKind.WORDS, ("knife", "house")),
        ("123", SearchKind.WORDS, ("123",)),
    ],
)
def test_how_a_query_is_read(
    policy: Policy, text: str, kind: SearchKind, value: str | tuple[str, ...]
) -> None:
    assert read_query(text, policy) == (kind, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "the search is empty"), ("?!", "nothing to search for"), ("x" * 201, "limit is 200")],
)
def test_bad_searches_say_what_is_wrong(policy: Policy, text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        read_query(text, policy)
    assert caught.value.field == "q" and caught.value.hint


def test_search_needs_permission_to_read_contacts(room: Room) -> None:
    with pytest.raises(AccessDenied):
        search_contacts(room.factory, ADMIN, "knife", room.policy)
