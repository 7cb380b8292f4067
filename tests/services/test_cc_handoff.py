"""The C&C handoff on the in-memory unit of work: each change to a contact with a logged
incident writes one ``controlroom.incident/1`` message in the change's own transaction, in
order; nothing before the incident is logged, nothing when C&C is not configured, nothing
left behind by a change that fails."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controlroom.domain.access import Principal
from controlroom.domain.contacts import (
    AddLocation,
    AddNote,
    Answer,
    Assess,
    Caller,
    Close,
    LocationEvidence,
    LogIncident,
    Role,
    UpdateNarrative,
)
from controlroom.domain.errors import PolicyViolation
from controlroom.domain.outbox import MessageState
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.cc_handoff import SCHEMA
from tests.fakes.uow import FakeUnitOfWork

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HANDLER = Principal("alice", Role.CALL_HANDLER)
BURGLARY = "Someone is breaking into my house right now, he has a knife"
NUMBER = "+447700900113"


class Room:
    """The contact use cases on one fake database, C&C configured unless told otherwise."""

    def __init__(self, policy: Policy, *, cc: bool = True) -> None:
        self.uow = FakeUnitOfWork(outbox_destinations=frozenset({"cc"}) if cc else frozenset())
        self.policy, self.now = policy, T0

    def factory(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        return self.uow

    def act(self, contact_id: str, action: object) -> None:
        self.now += timedelta(seconds=30)
        service.do_action(self.factory, HANDLER, contact_id, action, self.now, self.policy)  # type: ignore[arg-type]

    def call(self) -> str:
        details = service.offer_contact(
            self.factory,
            HANDLER,
            channel=Channel.NINE_NINE_NINE,
            caller=Caller(number=NUMBER, name="Sam Jones"),
            narrative="",
            now=self.now,
            policy=self.policy,
        )
        cid = details.contact.id
        for action in (Answer(), UpdateNarrative(BURGLARY), Assess("immediate", reason="knife")):
            self.act(cid, action)
        return cid

    def messages(self) -> list[dict[str, object]]:
        ordered = sorted(self.uow.store.outbox.values(), key=lambda m: m.id)
        return [json.loads(m.body) | {"_kind": m.kind, "_seq": m.sequence} for m in ordered]


@pytest.fixture
def room(policy: Policy) -> Room:
    return Room(policy)


def test_nothing_is_sent_before_an_incident_is_logged(room: Room) -> None:
    room.call()
    assert room.uow.store.outbox == {}


def test_logging_updating_and_closing_an_incident_sends_each_change_in_order(room: Room) -> None:
    cid = room.call()
    room.act(cid, LogIncident(grade="immediate"))
    room.act(cid, AddNote("Caller hiding upstairs"))
    fix = {"lat": "50.3755", "lon": "-4.1427", "accuracy_m": "25", "method": "gnss"}
    room.act(cid, AddLocation(LocationEvidence("aml_https", room.now, fix)))
    room.act(cid, Close())
    sent = room.messages()
    assert [m["_kind"] for m in sent] == [
        "incident.logged",
        "incident.updated",
        "incident.updated",
        "incident.closed",
    ]
    assert [m["_seq"] for m in sent] == [1, 2, 3, 4]
    first = sent[0]
    assert first["schema"] == SCHEMA
    assert str(first["reference"]).startswith("DC-20261207-")
    assert first["grade"] == "immediate"
    assert first["caller"] == {"number": NUMBER, "name": "Sam Jones", "age_band": None}
    assert first["classification"] == {"route": "emergency", "agency": "police-999"}
    triage = first["triage"]
    assert isinstance(triage, dict) and triage["reasons"], "triage's reasons go with it"
    assert first["location"] is None
    located = sent[2]["location"]
    assert isinstance(located, dict)
    assert (located["lat"], located["accuracy_m"], located["source"]) == (
        50.3755,
        25.0,
        "aml_https",
    )
    assert sent[-1]["state"] == "closed" and sent[-1]["closure"] is not None
    timeline = sent[-1]["timeline"]
    assert isinstance(timeline, list) and [t["action"] for t in timeline][-2:] == [
        "add_location",
        "close",
    ]
    keys = [m.idempotency_key for m in room.uow.store.outbox.values()]
    assert len(set(keys)) == 4 and all(key.startswith(f"cc:{cid}:") for key in keys)
    assert all(m.state is MessageState.PENDING for m in room.uow.store.outbox.values())


def test_without_a_cc_endpoint_nothing_is_enqueued(policy: Policy) -> None:
    room = Room(policy, cc=False)
    cid = room.call()
    room.act(cid, LogIncident(grade="immediate"))
    assert room.uow.store.outbox == {}
    assert room.uow.store.contacts[cid][1].incident is not None


def test_a_change_that_is_refused_leaves_no_message(room: Room) -> None:
    cid = room.call()
    room.act(cid, LogIncident(grade="immediate"))
    before = dict(room.uow.store.outbox)
    with pytest.raises(PolicyViolation):
        room.act(cid, LogIncident(grade="immediate"))  # logged already: the procedure refuses
    assert room.uow.store.outbox == before


def test_docs_interop_describes_every_field_and_its_example_has_them_all(room: Room) -> None:
    cid = room.call()
    room.act(cid, LogIncident(grade="immediate"))
    (document,) = room.messages()
    fields = {name for name in document if not name.startswith("_")}
    text = (Path(__file__).resolve().parents[2] / "docs" / "interop.md").read_text()
    example = json.loads(re.search(r"```json\n(.*?)```", text, re.S).group(1))  # type: ignore[union-attr]
    assert set(example) == fields
    assert [name for name in sorted(fields) if f"| `{name}` |" not in text] == []
