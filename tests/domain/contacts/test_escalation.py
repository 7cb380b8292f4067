"""Marking a written contact as an emergency (``escalate``): which contacts, when, by whom."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.domain.contacts import (
    DIGITAL_CHANNELS,
    ActionKind,
    Actor,
    AddNote,
    Answer,
    Assess,
    Escalate,
    EscalationSource,
    HangUp,
    Role,
    State,
)
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import SYSTEM, Clock, new_contact

MARK = Escalate(EscalationSource.TRIAGE, "Emergency: a knife, now")
AUDITOR = Actor("audrey", Role.AUDITOR)


@pytest.mark.parametrize("channel", [Channel.ONLINE_REPORT, Channel.LIVE_CHAT])
def test_a_waiting_written_contact_is_marked_and_stays_waiting(
    channel: Channel, policy: Policy, clock: Clock
) -> None:
    contact = new_contact(policy, clock, channel)
    at = clock.tick()
    events = contact.apply(MARK, actor=SYSTEM, now=at, policy=policy)
    assert contact.state is State.OFFERED
    escalation = contact.record.escalation
    assert escalation is not None
    assert (escalation.source, escalation.actor, escalation.at) == (
        EscalationSource.TRIAGE,
        SYSTEM,
        at,
    )
    entry = contact.history[-1]
    assert entry.action is ActionKind.ESCALATE and entry.details["escalate"] == "immediate"
    assert entry.details["source"] == "triage" and events[0].action is ActionKind.ESCALATE


@pytest.mark.parametrize(
    ("channel", "words"),
    [
        (Channel.ONE_ZERO_ONE, "this is a 101 contact"),
        (Channel.NINE_NINE_NINE, "not allowed while the contact is offered"),
        (Channel.EMERGENCY_SMS, "not allowed while the contact is offered"),
        (Channel.SILENT_SOLUTION_55, "not allowed while the contact is offered"),
    ],
)
def test_only_a_written_contact_is_marked(
    channel: Channel, words: str, policy: Policy, clock: Clock
) -> None:
    contact = new_contact(policy, clock, channel)
    with pytest.raises(PolicyViolation) as refused:
        contact.apply(MARK, actor=SYSTEM, now=clock.tick(), policy=policy)
    assert words in str(refused.value)
    assert contact.record.escalation is None and len(contact.history) == 1


def test_marked_once_and_only_while_waiting(policy: Policy, clock: Clock, handler: Actor) -> None:
    contact = new_contact(policy, clock, Channel.ONLINE_REPORT)
    contact.apply(MARK, actor=SYSTEM, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation, match="already marked as an emergency") as again:
        contact.apply(MARK, actor=handler, now=clock.tick(), policy=policy)
    assert again.value.hint == "take it from the top of the Waiting list"
    taken = new_contact(policy, clock, Channel.LIVE_CHAT, contact_id="C-2")
    taken.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation, match="not allowed while the contact is answered"):
        taken.apply(MARK, actor=handler, now=clock.tick(), policy=policy)


def test_a_person_marks_it_with_a_reason_and_an_auditor_cannot(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock, Channel.LIVE_CHAT)
    assert ActionKind.ESCALATE in contact.allowed_actions(policy, actor=handler)
    assert ActionKind.ESCALATE not in contact.allowed_actions(policy, actor=AUDITOR)
    with pytest.raises(PolicyViolation, match="auditor may not escalate"):
        contact.apply(MARK, actor=AUDITOR, now=clock.tick(), policy=policy)
    person = Escalate(EscalationSource.PERSON, "visitor says he is at the door")
    contact.apply(person, actor=handler, now=clock.tick(), policy=policy)
    assert contact.record.escalation is not None
    assert contact.record.escalation.source is EscalationSource.PERSON


@pytest.mark.parametrize(
    ("source", "reason", "field"),
    [("triage", "words", "source"), (EscalationSource.PERSON, " ", "reason")],
)
def test_a_malformed_mark_says_what_is_wrong(source: object, reason: str, field: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        Escalate(source, reason)  # type: ignore[arg-type]
    assert bad.value.field == field


_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["escalate", "answer", "hang_up", "note", "assess"]),
        st.sampled_from([Role.INTEGRATION, Role.CALL_HANDLER, Role.AUDITOR]),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(channel=st.sampled_from(list(Channel)), steps=_STEPS)
def test_marked_only_while_a_written_contact_waits_whatever_happens(
    policy: Policy, channel: Channel, steps: list[tuple[str, Role]]
) -> None:
    clock = Clock()
    contact = new_contact(policy, clock, channel)
    actions = {
        "escalate": MARK,
        "answer": Answer(),
        "hang_up": HangUp(),
        "note": AddNote("caller is breathing hard"),
        "assess": Assess("immediate"),
    }
    marked = 0
    for name, role in steps:
        before = contact.record
        waiting, written = before.state is State.OFFERED, channel in DIGITAL_CHANNELS
        try:
            contact.apply(
                actions[name], actor=Actor("someone", role), now=clock.tick(), policy=policy
            )
        except (PolicyViolation, InvalidInput):
            assert contact.record == before  # a refused action changes nothing
            continue
        if name == "escalate":
            marked += 1
            assert waiting and written and before.escalation is None
            assert role in (Role.INTEGRATION, Role.CALL_HANDLER)
            assert contact.state is State.OFFERED
    assert marked <= 1
    assert (contact.record.escalation is not None) == (marked == 1)
