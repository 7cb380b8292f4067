"""Contact records survive JSON unchanged: every state of every procedure, every action kind,
triage suggestions with evidence, location payloads, and random sequences of actions."""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.adapters.db.records_json import record_from_json, record_to_json
from controlroom.domain.contacts import (
    ActionKind,
    Actor,
    AddLocation,
    AgeBand,
    Assess,
    Contact,
    ContactRecord,
    LocationEvidence,
    Role,
    UpdateCaller,
)
from controlroom.domain.errors import DomainError
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel
from controlroom.services.triage import triage_text
from tests.domain.contacts.helpers import (
    APPLIED_KINDS,
    PATHS,
    SUPERVISOR,
    Clock,
    at_state,
    new_contact,
    sample,
)
from tests.domain.contacts.policy_builder import build_policy

TEST_POLICY = build_policy()
#: What must happen first for an action to be possible at all.
BEFORE = {
    ActionKind.REQUEST_APPROVAL: (ActionKind.FLAG_VULNERABILITY,),
    ActionKind.APPROVE_TERMINATION: (ActionKind.FLAG_VULNERABILITY,),
    ActionKind.DECLINE_TERMINATION: (ActionKind.FLAG_VULNERABILITY, ActionKind.REQUEST_APPROVAL),
}


def round_trip(record: ContactRecord) -> ContactRecord:
    text = json.dumps(record_to_json(record), ensure_ascii=False)
    return record_from_json(json.loads(text))


@pytest.mark.parametrize(("procedure", "state"), list(PATHS), ids=lambda v: str(v))
def test_every_state_of_every_procedure_round_trips(procedure, state) -> None:
    contact = at_state(TEST_POLICY, Clock(), procedure, state)
    assert round_trip(contact.record) == contact.record


def test_every_action_kind_round_trips() -> None:
    covered: set[ActionKind] = set()
    for procedure, state in PATHS:
        for kind in APPLIED_KINDS:
            clock = Clock()
            try:
                # only a written contact is marked as an emergency
                written = Channel.ONLINE_REPORT if kind is ActionKind.ESCALATE else None
                contact = at_state(TEST_POLICY, clock, procedure, state, written)
            except (AssertionError, DomainError):
                continue  # that procedure never handles a written contact
            try:
                for step in (*BEFORE.get(kind, ()), kind):
                    now = clock.tick(5)
                    contact.apply(sample(step, now), actor=SUPERVISOR, now=now, policy=TEST_POLICY)
            except DomainError:
                continue
            covered.add(kind)
            assert round_trip(contact.record) == contact.record, (procedure, state, kind)
    assert covered == set(APPLIED_KINDS)


def test_a_triage_suggestion_with_evidence_round_trips(policy: Policy) -> None:
    clock = Clock()
    contact = new_contact(policy, clock)
    handler = Actor("handler-1", Role.CALL_HANDLER)
    contact.apply(sample(ActionKind.ANSWER), actor=handler, now=clock.tick(), policy=policy)
    decision = triage_text(
        "Someone is breaking into my house right now with a knife", "999", policy
    )
    assert any(reason.evidence is not None for reason in decision.reasons)
    assess = Assess(grade=decision.grade, suggestion=decision)
    contact.apply(assess, actor=handler, now=clock.tick(), policy=policy)
    evidence = LocationEvidence("aml", clock.tick(0.25), {"lt": "+50.1", "lg": "-5.5", "rd": "9"})
    contact.apply(AddLocation(evidence), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(
        UpdateCaller("Sam O'Brien — ☎", AgeBand.OLDER_PERSON),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    record = contact.record
    back = round_trip(record)
    assert back == record
    assert back.triage[0].suggestion == decision
    assert back.location[0].payload == {"lt": "+50.1", "lg": "-5.5", "rd": "9"}
    assert back.timestamps.offered.tzinfo is not None


def test_stored_json_is_plain_and_readable() -> None:
    contact = at_state(TEST_POLICY, Clock(), *next(iter(PATHS)))
    data = record_to_json(contact.record)
    assert data["format"] == 1
    assert data["channel"] == contact.record.channel.value
    assert data["timestamps"]["offered"].endswith("Z")


@pytest.mark.parametrize("year", [1, 378, 999, 1000, 9999])
def test_times_of_any_year_are_written_with_four_digits_and_read_back(year: int) -> None:
    contact = at_state(TEST_POLICY, Clock(), *next(iter(PATHS)))
    offered = contact.record.timestamps.offered.replace(year=year, month=6, day=1)
    record = replace(contact.record, timestamps=replace(contact.record.timestamps, offered=offered))
    assert record_to_json(record)["timestamps"]["offered"].startswith(f"{year:04d}-06-01T")
    assert round_trip(record).timestamps.offered == offered


def test_bad_json_is_refused() -> None:
    contact = at_state(TEST_POLICY, Clock(), *next(iter(PATHS)))
    data = record_to_json(contact.record)
    with pytest.raises(ValueError, match="format"):
        record_from_json({**data, "format": 99})
    with pytest.raises(ValueError, match="unknown fields"):
        record_from_json({**data, "surprise": 1})
    with pytest.raises(ValueError):
        record_from_json({**data, "landline": "yes"})


def test_a_field_missing_from_stored_json_takes_its_default() -> None:
    contact = at_state(TEST_POLICY, Clock(), *next(iter(PATHS)))
    data = record_to_json(contact.record)
    del data["narrative"]
    assert record_from_json(data) == replace(contact.record, narrative="")


ACTORS = [
    Actor("handler-1", Role.CALL_HANDLER),
    Actor("supervisor-1", Role.SUPERVISOR),
    Actor("telephony", Role.INTEGRATION),
]


@settings(max_examples=60, deadline=None)
@given(
    channel=st.sampled_from([str(c) for c in ("999", "101", "landline_open_line", "bsl_999")]),
    steps=st.lists(
        st.tuples(st.sampled_from(APPLIED_KINDS), st.sampled_from(ACTORS), st.integers(1, 90)),
        max_size=25,
    ),
)
def test_random_sequences_round_trip(channel: str, steps) -> None:
    from controlroom.domain.triage.decision import Channel

    clock = Clock()
    contact: Contact = new_contact(TEST_POLICY, clock, Channel(channel))
    for kind, actor, seconds in steps:
        now = clock.tick(seconds)
        with contextlib.suppress(DomainError):
            contact.apply(sample(kind, now), actor=actor, now=now, policy=TEST_POLICY)
        assert round_trip(contact.record) == contact.record
