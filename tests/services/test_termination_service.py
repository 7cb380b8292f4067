"""The 4.12.3 safeguards through the use cases: a request is stored and listed for supervisors,
the approval names who and why in the audit log, and the console's starting answers."""

from __future__ import annotations

import pytest

from controlroom.domain.access import AccessDenied
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import (
    AdviceKind,
    Advise,
    Answer,
    ApprovalRequested,
    ApproveTermination,
    Assess,
    DeclineTermination,
    RecordConsiderations,
    RequestApproval,
    State,
    Terminate,
    TerminationApproved,
    UpdateNarrative,
    Warn,
)
from controlroom.domain.errors import PolicyViolation
from controlroom.domain.nuisance.history import summarise
from controlroom.domain.policy import Policy, Route, VulnerabilityFlag
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.termination import pending_approvals, termination_view
from tests.services.test_contacts_service import HANDLER, SUPERVISOR, Desk

CHILD = RecordConsiderations(
    seriousness="asks when a shop closes; nothing reported",
    condition="very upset, crying",
    age_vulnerability="says she is 12",
    serious=False,
    condition_concern=True,
    vulnerable=True,
)


@pytest.fixture
def desk(policy: Policy) -> Desk:
    return Desk(policy)


def warned(desk: Desk) -> str:
    contact_id = desk.offer()
    desk.act(contact_id, Answer(), Assess(grade="resolution_without_deployment"))
    desk.act(contact_id, Advise(AdviceKind.CALL_101), Warn())
    return contact_id


def test_a_request_waits_for_a_supervisor_and_the_approval_is_audited(desk: Desk) -> None:
    contact_id = warned(desk)
    desk.act(contact_id, CHILD)
    with pytest.raises(PolicyViolation) as refused:
        desk.act(contact_id, Terminate())
    assert refused.value.paragraph == "4.12.3(b)"
    assert "answered yes" in refused.value.message

    details = desk.act(contact_id, RequestApproval("she is alone at home"))
    assert [p.script_id for p in details.prompts] == ["await_approval"]
    assert any(isinstance(e, ApprovalRequested) for e in desk.uow.published)
    waiting = pending_approvals(desk.factory, SUPERVISOR)
    assert [item.record.id for item in waiting] == [contact_id]
    assert [c.key for c in waiting[0].concerns] == [
        "answer:condition",
        "answer:age_vulnerability",
    ]
    with pytest.raises(AccessDenied):
        pending_approvals(desk.factory, HANDLER)

    with pytest.raises(AccessDenied, match="contact:supervise"):
        desk.act(contact_id, ApproveTermination("I checked"))  # a handler may not approve
    desk.act(contact_id, ApproveTermination("mother on the other line; call ends"), who=SUPERVISOR)
    assert pending_approvals(desk.factory, SUPERVISOR) == []
    approved = [e for e in desk.uow.published if isinstance(e, TerminationApproved)]
    assert approved[0].actor.id == SUPERVISOR.name

    row = desk.rows(contact_id)[-1]
    assert row.tag == AuditTag.CONTACT_APPROVE_TERMINATION.value
    assert row.actor == SUPERVISOR.name
    assert row.details["reason"] == "mother on the other line; call ends"
    assert row.details["concerns"] == "answer:condition,answer:age_vulnerability"
    assert row.details["requested_by"] == HANDLER.name
    assert desk.act(contact_id, Terminate()).contact.state is State.TERMINATED


def test_a_declined_request_leaves_the_call_open(desk: Desk) -> None:
    contact_id = warned(desk)
    desk.act(contact_id, CHILD, RequestApproval())
    desk.act(contact_id, DeclineTermination("keep her talking; send a unit"), who=SUPERVISOR)
    row = desk.rows(contact_id)[-1]
    assert row.tag == AuditTag.CONTACT_DECLINE_TERMINATION.value
    assert row.details["reason"] == "keep her talking; send a unit"
    assert pending_approvals(desk.factory, SUPERVISOR) == []
    with pytest.raises(PolicyViolation):
        desk.act(contact_id, Terminate())


def test_the_form_starts_from_triage_the_flags_and_the_callers_history(desk: Desk) -> None:
    contact_id = desk.offer()
    narrative = "I'm 12 and very upset, when does the shop close?"
    desk.act(contact_id, Answer(), UpdateNarrative(narrative))
    details = desk.act(contact_id, Assess(grade="resolution_without_deployment", reason="shop"))
    record = details.contact.record
    assert VulnerabilityFlag.CHILD in record.vulnerability  # from triage's reading
    empty = summarise((), desk.now, "Europe/London")
    view = termination_view(record, details.suggestion, empty)
    answers = {item.field: item for item in view.prefill}
    assert answers["age_vulnerability"].answer is True
    assert answers["age_vulnerability"].locked
    assert "child flagged by triage" in answers["age_vulnerability"].reasons
    assert answers["seriousness"].answer is None  # nothing points to (a): the handler chooses
    assert [c.key for c in view.unapproved] == ["flag:child", "flag:distress_or_trauma"]


def test_an_emergency_reading_points_to_seriousness(desk: Desk) -> None:
    contact_id = desk.offer()
    details = desk.act(contact_id, Answer())
    empty = summarise((), desk.now, "Europe/London")
    record = details.contact.record
    decision = service.suggest("He has a knife and is breaking in now", record.channel, desk.policy)
    assert decision is not None and decision.route is Route.EMERGENCY
    view = termination_view(record, decision, empty)
    assert view.prefill[0].answer is True and not view.prefill[0].locked


def test_an_sms_conversation_reaches_the_supervisor_with_every_message(desk: Desk) -> None:
    contact_id = desk.offer(Channel.EMERGENCY_SMS, "what time does the shop close")
    details = desk.act(contact_id, Answer(), Assess(grade="resolution_without_deployment"))
    with desk.factory() as uow:
        service.record_fact(
            uow,
            details.contact,
            AuditTag.TELEPHONY_SMS_RECEIVED,
            actor=SUPERVISOR.actor,
            now=desk.tick(),
            details={"text": "im 12 and scared"},
        )
        uow.commit()
    desk.act(contact_id, Advise(AdviceKind.CALL_101), Warn(), CHILD, RequestApproval())
    (waiting,) = pending_approvals(desk.factory, SUPERVISOR)
    assert waiting.record.narrative == "what time does the shop close"
    assert waiting.messages == ("im 12 and scared",)
    assert "channel:emergency_sms" in [c.key for c in waiting.concerns]
