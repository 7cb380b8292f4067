"""The handler's answers to the §4.11.1 questions, recorded on a contact."""

from __future__ import annotations

from typing import Any

import pytest

from controlroom.domain.contacts import (
    ActionKind,
    Actor,
    Answer,
    Assess,
    Close,
    LogIncident,
    ProcedureName,
    RecordAnswers,
    Role,
    State,
)
from controlroom.domain.contacts.states import FINAL_STATES
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy
from controlroom.domain.triage import HandlerAnswers
from controlroom.domain.triage.decision import Answer as Reply
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import PATHS, SYSTEM, Clock, at_state, new_contact

YES, NO, UNKNOWN = Reply.YES, Reply.NO, Reply.UNKNOWN


def test_answers_are_recorded_with_who_gave_them_and_when(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    at = clock.tick()
    contact.apply(RecordAnswers(weapon=YES, danger=NO), actor=handler, now=at, policy=policy)

    answers = contact.record.answers
    assert [(a.question, a.answer) for a in answers] == [("danger", NO), ("weapon", YES)]
    assert all(a.actor == handler and a.at == at for a in answers)
    assert contact.record.handler_answers == HandlerAnswers(danger=NO, weapon=YES)
    entry = contact.history[-1]
    assert entry.action is ActionKind.RECORD_ANSWERS
    assert (entry.from_state, entry.to_state) == (State.ANSWERED, State.ANSWERED)
    assert dict(entry.details) == {
        "danger": "no",
        "danger_was": "unknown",
        "weapon": "yes",
        "weapon_was": "unknown",
    }


def test_a_changed_answer_replaces_the_old_one_and_the_history_keeps_both(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(RecordAnswers(now=YES, weapon=NO), actor=handler, now=clock.tick(), policy=policy)
    other = Actor("handler-2", Role.CALL_HANDLER)
    later = clock.tick()
    contact.apply(RecordAnswers(weapon=YES), actor=other, now=later, policy=policy)

    current = {a.question: a for a in contact.record.answers}
    assert current["weapon"].answer is YES and current["weapon"].actor == other
    assert current["weapon"].at == later
    assert current["now"].answer is YES and current["now"].actor == handler
    recorded = [e for e in contact.history if e.action is ActionKind.RECORD_ANSWERS]
    assert [e.details["weapon"] for e in recorded] == ["no", "yes"]
    assert recorded[-1].details["weapon_was"] == "no"


def test_an_answer_can_be_taken_back_to_not_known(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(RecordAnswers(offender=YES), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(RecordAnswers(offender=UNKNOWN), actor=handler, now=clock.tick(), policy=policy)
    assert contact.record.handler_answers == HandlerAnswers()
    assert contact.history[-1].details["offender_was"] == "yes"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "answers"),
        ({"weapon": "yes"}, "weapon"),  # text, not an Answer: the schema converts it first
        ({"danger": Reply.YES, "now": "maybe"}, "now"),
    ],
)
def test_a_malformed_answer_is_refused_naming_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        RecordAnswers(**fields)
    assert caught.value.field == field
    assert caught.value.hint


_OPEN = sorted((key for key in PATHS if key[1] not in FINAL_STATES), key=str)
_FINAL = sorted((key for key in PATHS if key[1] in FINAL_STATES), key=str)


@pytest.mark.parametrize(("procedure", "state"), _OPEN)
def test_answers_can_be_recorded_in_every_open_state_without_moving(
    policy: Policy, clock: Clock, handler: Actor, procedure: ProcedureName, state: State
) -> None:
    contact = at_state(policy, clock, procedure, state)
    assert ActionKind.RECORD_ANSWERS in contact.allowed_actions(policy, actor=handler)
    contact.apply(RecordAnswers(danger=YES), actor=handler, now=clock.tick(), policy=policy)
    assert (contact.procedure, contact.state) == (procedure, state)


@pytest.mark.parametrize(("procedure", "state"), _FINAL)
def test_a_contact_that_has_ended_takes_no_answers(
    policy: Policy, clock: Clock, handler: Actor, procedure: ProcedureName, state: State
) -> None:
    contact = at_state(policy, clock, procedure, state)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(RecordAnswers(danger=YES), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph
    assert "record_answers is not allowed" in caught.value.message
    assert contact.record.answers == ()


@pytest.mark.parametrize(
    "actor", [SYSTEM, Actor("auditor-1", Role.AUDITOR), Actor("admin-1", Role.ADMIN)]
)
def test_only_a_handler_or_supervisor_answers(policy: Policy, clock: Clock, actor: Actor) -> None:
    contact = new_contact(policy, clock, Channel.SILENT_SOLUTION_55)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(RecordAnswers(weapon=YES), actor=actor, now=clock.tick(), policy=policy)
    assert "only a call_handler or supervisor may" in caught.value.message


def test_answers_survive_the_rest_of_the_procedure(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(RecordAnswers(weapon=YES), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Assess(grade="immediate"), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(LogIncident(grade="immediate"), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Close(), actor=handler, now=clock.tick(), policy=policy)
    assert contact.record.handler_answers == HandlerAnswers(weapon=YES)
