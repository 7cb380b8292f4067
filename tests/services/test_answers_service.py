"""Recording the handler's answers on the in-memory unit of work: one audit row with the
re-made decision, the event after the commit, refusals that change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from controlroom.domain.access import AccessDenied
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import ActionApplied, ActionKind, Answer, Assess, UpdateNarrative
from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, ReasonKind
from controlroom.services.answers import record_answers
from tests.services.test_contacts_service import AUDITOR, HANDLER, Desk

UNREADABLE = "Please can someone ring me back about what happened with Gary."


@pytest.fixture
def desk(policy: Policy) -> Desk:
    return Desk(policy)


def _answer(desk: Desk, contact_id: str, answers: dict[str, Any], who: Any = HANDLER) -> Any:
    return record_answers(desk.factory, who, contact_id, answers, desk.tick(), desk.policy)


def test_answers_are_recorded_audited_and_published_after_the_commit(desk: Desk) -> None:
    contact_id = desk.offer(narrative=UNREADABLE)
    desk.act(contact_id, Answer())
    commits = desk.uow.commits
    details = _answer(desk, contact_id, {"weapon": "yes", "danger": "no"})

    suggestion = details.suggestion
    assert suggestion.route.value == "emergency"
    handler = [r.explanation for r in suggestion.reasons if r.kind is ReasonKind.HANDLER]
    assert "handler: weapon seen — yes" in handler
    row = desk.rows(contact_id)[-1]
    assert row.tag == AuditTag.CONTACT_RECORD_ANSWERS
    assert (row.actor, row.role) == ("alice", "call_handler")
    assert row.details["weapon"] == "yes" and row.details["weapon_was"] == "unknown"
    assert row.details["danger"] == "no" and row.details["triage_route"] == "emergency"
    assert row.details["triage_summary"] == suggestion.summary
    assert desk.uow.commits == commits + 1
    applied = [e for e in desk.uow.published if isinstance(e, ActionApplied)]
    assert applied[-1].action is ActionKind.RECORD_ANSWERS
    assert desk.uow.audit.verify().ok


def test_a_changed_answer_is_audited_with_the_one_it_replaced(desk: Desk) -> None:
    contact_id = desk.offer(narrative=UNREADABLE)
    _answer(desk, contact_id, {"offender": "yes"})
    details = _answer(desk, contact_id, {"offender": "no"})
    rows = [r for r in desk.rows(contact_id) if r.tag == AuditTag.CONTACT_RECORD_ANSWERS]
    assert [(r.details["offender"], r.details["offender_was"]) for r in rows] == [
        ("yes", "unknown"),
        ("no", "yes"),
    ]
    assert [(a.question, a.answer.value) for a in details.contact.record.answers] == [
        ("offender", "no")
    ]


@pytest.mark.parametrize(
    ("answers", "field"),
    [({}, "answers"), ({"weapons": "yes"}, "answers.weapons"), ({"now": "maybe"}, "answers.now")],
)
def test_bad_answers_are_refused_clearly_and_change_nothing(
    desk: Desk, answers: dict[str, Any], field: str
) -> None:
    contact_id = desk.offer(narrative=UNREADABLE)
    before = (dict(desk.uow.store.contacts), len(desk.uow.store.audit), len(desk.uow.published))
    with pytest.raises(InvalidInput) as raised:
        _answer(desk, contact_id, answers)
    assert raised.value.field == field and raised.value.hint
    after = (dict(desk.uow.store.contacts), len(desk.uow.store.audit), len(desk.uow.published))
    assert after == before


def test_an_auditor_may_not_answer(desk: Desk) -> None:
    contact_id = desk.offer(narrative=UNREADABLE)
    with pytest.raises(AccessDenied):
        _answer(desk, contact_id, {"danger": "yes"}, who=AUDITOR)


def test_a_silent_call_gets_a_suggestion_from_the_answers_alone(desk: Desk) -> None:
    contact_id = desk.offer(channel=Channel.SILENT_SOLUTION_55)
    assert desk.act(contact_id, Answer()).suggestion is None
    details = _answer(desk, contact_id, {"danger": "yes"})
    assert details.suggestion.route.value == "emergency"


def test_the_answers_count_in_the_assessment_and_a_new_account(desk: Desk) -> None:
    contact_id = desk.offer(narrative=UNREADABLE)
    desk.act(contact_id, Answer())
    _answer(desk, contact_id, {"weapon": "yes"})
    with pytest.raises(InvalidInput) as raised:  # triage now says emergency: say why not
        desk.act(contact_id, Assess(grade="scheduled"))
    assert raised.value.field == "reason"
    details = desk.act(contact_id, Assess(grade="immediate"))
    assert details.contact.record.triage[-1].suggestion.route.value == "emergency"
    desk.act(contact_id, UpdateNarrative("He wants to talk about the parking again."))
    row = desk.rows(contact_id)[-1]
    assert row.tag == AuditTag.CONTACT_UPDATE_NARRATIVE
    assert row.details["triage_route"] == "emergency"  # the handler's yes still counts
