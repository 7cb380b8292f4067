"""DCP-P-042 §4.12 on a contact: advise, warn, terminate, and what termination requires."""

from __future__ import annotations

from dataclasses import replace

import pytest

from controlroom.domain.contacts import (
    ActionKind,
    Actor,
    AdviceKind,
    Advise,
    Answer,
    ApproveTermination,
    Assess,
    Close,
    Contact,
    ContactEnded,
    DeclineTermination,
    FlagVulnerability,
    IncidentLogged,
    LogIncident,
    Outcome,
    ProcedureName,
    RecordConsiderations,
    RequestApproval,
    Role,
    ScriptPrompted,
    State,
    Terminate,
    TerminationApproved,
    TerminationDeclined,
    UpdateCaller,
    Warn,
)
from controlroom.domain.contacts.values import AgeBand
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import Policy, VulnerabilityFlag
from tests.domain.contacts.helpers import Clock, considerations, new_contact


def advised(policy: Policy, clock: Clock, handler: Actor, *, record: bool = True) -> Contact:
    """A 999 contact advised under 4.12.4, with the 4.12.3 assessment when ``record``."""
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(
        Assess(grade="resolution_without_deployment"),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    if record:
        contact.apply(considerations(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Advise(AdviceKind.CALL_101), actor=handler, now=clock.tick(), policy=policy)
    return contact


def test_the_full_path_reads_the_scripts_and_ends_terminated(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = new_contact(policy, clock)
    contact.apply(Answer(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Assess(grade="scheduled"), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(considerations(), actor=handler, now=clock.tick(), policy=policy)

    events = contact.apply(
        Advise(AdviceKind.CALL_101), actor=handler, now=clock.tick(), policy=policy
    )
    scripts = [e for e in events if isinstance(e, ScriptPrompted)]
    assert [(s.script_id, s.paragraph) for s in scripts] == [("advise", "7.2.4")]
    assert contact.procedure is ProcedureName.INAPPROPRIATE

    events = contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    assert [e.script_id for e in events if isinstance(e, ScriptPrompted)] == ["warn"]
    assert contact.warning is not None

    events = contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert [e.script_id for e in events if isinstance(e, ScriptPrompted)] == ["terminate"]
    ended = [e for e in events if isinstance(e, ContactEnded)]
    assert ended[0].outcome is Outcome.TERMINATED
    assert contact.state is State.TERMINATED
    assert contact.timestamps.ended == clock.now
    assert [entry.action for entry in contact.history] == [
        ActionKind.OFFER,
        ActionKind.ANSWER,
        ActionKind.ASSESS,
        ActionKind.RECORD_CONSIDERATIONS,
        ActionKind.ADVISE,
        ActionKind.WARN,
        ActionKind.TERMINATE,
    ]


def test_terminate_before_the_warning_is_refused_citing_4_12_5(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = advised(policy, clock, handler)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.5"
    assert "warn" in (caught.value.hint or "")


def test_the_warning_guard_holds_even_for_a_record_without_one(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = advised(policy, clock, handler)
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    tampered = Contact(replace(contact.record, warning=None))
    with pytest.raises(PolicyViolation) as caught:
        tampered.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.5"
    assert "warned" in caught.value.message


def test_terminate_without_the_4_12_3_assessment_is_refused(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = advised(policy, clock, handler, record=False)
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    assert ActionKind.TERMINATE not in contact.allowed_actions(policy)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.3"
    assert "considerations" in caught.value.message

    contact.apply(considerations(), actor=handler, now=clock.tick(), policy=policy)
    assert ActionKind.TERMINATE in contact.allowed_actions(policy)
    contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert contact.state is State.TERMINATED


def test_closing_an_advised_call_also_needs_the_assessment(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = advised(policy, clock, handler, record=False)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Close(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.3"
    contact.apply(considerations(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Close(), actor=handler, now=clock.tick(), policy=policy)
    assert contact.closure is not None
    assert contact.closure.outcome is Outcome.ADVICE_ACCEPTED


@pytest.mark.parametrize(
    ("flag", "paragraph"),
    [
        (VulnerabilityFlag.CHILD, "7.2.3(c)"),
        (VulnerabilityFlag.OLDER_PERSON, "7.2.3(c)"),
        (VulnerabilityFlag.DISABILITY, "7.2.3(c)"),
        (VulnerabilityFlag.DOMESTIC_ABUSE, "7.2.3(c)"),
        (VulnerabilityFlag.MENTAL_HEALTH, "7.2.3(b)"),
        (VulnerabilityFlag.DISTRESS_OR_TRAUMA, "7.2.3(b)"),
    ],
)
def test_a_vulnerability_flag_blocks_termination(
    flag: VulnerabilityFlag, paragraph: str, policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = advised(policy, clock, handler)
    contact.apply(FlagVulnerability(flag), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == paragraph
    assert flag.value.replace("_", " ") in caught.value.message
    assert "supervisor" in (caught.value.hint or "")


def test_flags_from_triage_the_assessment_and_the_age_band_all_count(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = advised(policy, clock, handler)
    contact.apply(
        considerations(VulnerabilityFlag.MENTAL_HEALTH),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    contact.apply(
        UpdateCaller(age_band=AgeBand.CHILD), actor=handler, now=clock.tick(), policy=policy
    )
    assert contact.vulnerability == {VulnerabilityFlag.MENTAL_HEALTH, VulnerabilityFlag.CHILD}


def test_only_a_supervisor_may_approve_and_must_say_why(
    policy: Policy, clock: Clock, handler: Actor, supervisor: Actor
) -> None:
    contact = advised(policy, clock, handler)
    contact.apply(
        FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    assert ActionKind.APPROVE_TERMINATION not in contact.allowed_actions(policy, actor=handler)
    assert ActionKind.APPROVE_TERMINATION in contact.allowed_actions(policy, actor=supervisor)
    assert ActionKind.TERMINATE not in contact.allowed_actions(policy, actor=handler)

    with pytest.raises(PolicyViolation) as caught:
        contact.apply(
            ApproveTermination("I think it is fine"),
            actor=handler,
            now=clock.tick(),
            policy=policy,
        )
    assert caught.value.paragraph == "7.2.3"
    assert "only a supervisor may" in caught.value.message
    with pytest.raises(InvalidInput):
        ApproveTermination("  ")

    events = contact.apply(
        ApproveTermination("known caller; care plan says end the call"),
        actor=supervisor,
        now=clock.tick(),
        policy=policy,
    )
    approved = [e for e in events if isinstance(e, TerminationApproved)]
    assert approved[0].flags == (VulnerabilityFlag.MENTAL_HEALTH,)
    assert approved[0].concerns == ("flag:mental_health",)
    assert approved[0].actor == supervisor
    assert contact.history[-1].details["reason"] == "known caller; care plan says end the call"
    contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert contact.state is State.TERMINATED


def test_a_flag_raised_after_an_approval_blocks_again(
    policy: Policy, clock: Clock, handler: Actor, supervisor: Actor
) -> None:
    contact = advised(policy, clock, handler)
    contact.apply(
        FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    contact.apply(ApproveTermination("reviewed"), actor=supervisor, now=clock.tick(), policy=policy)
    contact.apply(
        FlagVulnerability(VulnerabilityFlag.CHILD), actor=handler, now=clock.tick(), policy=policy
    )
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.3(c)"
    assert "child" in caught.value.message
    assert "mental health" not in caught.value.message  # approved already


def test_an_approval_needs_something_to_approve(
    policy: Policy, clock: Clock, handler: Actor, supervisor: Actor
) -> None:
    contact = advised(policy, clock, handler)
    for action in (ApproveTermination("why not"), RequestApproval()):
        with pytest.raises(PolicyViolation) as caught:
            contact.apply(action, actor=supervisor, now=clock.tick(), policy=policy)
        assert caught.value.paragraph == "7.2.3"
        assert "nothing on this call needs" in caught.value.message


def test_a_yes_answer_needs_a_request_and_an_approval_and_tells_the_handler_to_wait(
    policy: Policy, clock: Clock, handler: Actor, supervisor: Actor
) -> None:
    contact = advised(policy, clock, handler, record=False)
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    contact.apply(considerations(vulnerable=True), actor=handler, now=clock.tick(), policy=policy)
    blocked = contact.blocked_actions(policy, actor=handler)
    assert blocked[ActionKind.TERMINATE].paragraph == "7.2.3(c)"
    assert "answered yes" in blocked[ActionKind.TERMINATE].message
    assert "request a supervisor" in (blocked[ActionKind.TERMINATE].hint or "")

    events = contact.apply(
        RequestApproval("she says she is 12"), actor=handler, now=clock.tick(), policy=policy
    )
    prompts = [e for e in events if isinstance(e, ScriptPrompted)]
    assert prompts[0].script_id == "await_approval"
    assert contact.record.approval_request is not None
    assert contact.record.approval_request.concerns == ("answer:age_vulnerability",)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(RequestApproval(), actor=handler, now=clock.tick(), policy=policy)
    assert "already requested" in caught.value.message
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert "keep the caller on the line" in (caught.value.hint or "")

    events = contact.apply(
        DeclineTermination("keep her talking; send a unit to check on her"),
        actor=supervisor,
        now=clock.tick(),
        policy=policy,
    )
    declined = [e for e in events if isinstance(e, TerminationDeclined)]
    assert declined[0].concerns == ("answer:age_vulnerability",)
    assert contact.record.approval_request is None
    with pytest.raises(PolicyViolation):
        contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation):  # nothing waits to be declined now
        contact.apply(DeclineTermination("no"), actor=supervisor, now=clock.tick(), policy=policy)


@pytest.mark.parametrize(
    ("flag", "answers", "paragraph"),
    [
        (VulnerabilityFlag.CHILD, {"vulnerable": False}, "7.2.3(c)"),
        (VulnerabilityFlag.DISTRESS_OR_TRAUMA, {"condition_concern": False}, "7.2.3(b)"),
    ],
)
def test_a_no_is_refused_where_a_flag_stands(
    flag: VulnerabilityFlag,
    answers: dict[str, bool],
    paragraph: str,
    policy: Policy,
    clock: Clock,
    handler: Actor,
) -> None:
    contact = advised(policy, clock, handler, record=False)
    contact.apply(FlagVulnerability(flag), actor=handler, now=clock.tick(), policy=policy)
    fields = {"serious": False, "condition_concern": True, "vulnerable": True} | answers
    action = RecordConsiderations("minor", "upset", "young", **fields)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(action, actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == paragraph
    assert "cannot be answered no" in caught.value.message
    assert contact.considerations is None


def test_a_yes_is_never_withdrawn(policy: Policy, clock: Clock, handler: Actor) -> None:
    contact = advised(policy, clock, handler, record=False)
    contact.apply(considerations(serious=True), actor=handler, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(considerations(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.3(a)"
    assert "answered yes by handler-1" in caught.value.message


def test_answers_must_be_explicit_and_old_notes_only_records_must_be_answered_again(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    with pytest.raises(InvalidInput) as caught:
        RecordConsiderations("a", "b", "c", None, False, False)  # type: ignore[arg-type]
    assert caught.value.field == "serious"
    contact = advised(policy, clock, handler)
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    assert contact.considerations is not None
    notes_only = replace(contact.considerations, serious=None)
    old = Contact(replace(contact.record, considerations=notes_only))
    with pytest.raises(PolicyViolation) as refused:
        old.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert "notes only" in refused.value.message


def test_discretionary_logging_needs_a_reason_and_is_recorded_as_discretionary(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = advised(policy, clock, handler)
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(LogIncident(grade="priority"), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.2"

    events = contact.apply(
        LogIncident(grade="priority", reason="caller reports a burglary last night"),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    assert (contact.procedure, contact.state) == (ProcedureName.EMERGENCY, State.INCIDENT_LOGGED)
    assert contact.incident is not None and contact.incident.discretionary
    logged = [e for e in events if isinstance(e, IncidentLogged)]
    assert logged[0].paragraph == "7.2.2" and logged[0].discretionary
    with pytest.raises(PolicyViolation):
        contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)


def test_advice_can_name_an_agency_from_the_policy(
    policy: Policy, clock: Clock, handler: Actor
) -> None:
    contact = advised(policy, clock, handler)
    contact.apply(
        Advise(AdviceKind.AGENCY, agency="council"), actor=handler, now=clock.tick(), policy=policy
    )
    assert [advice.to for advice in contact.record.advice] == [
        AdviceKind.CALL_101,
        AdviceKind.AGENCY,
    ]
    with pytest.raises(InvalidInput):
        contact.apply(
            Advise(AdviceKind.AGENCY, agency="nobody"),
            actor=handler,
            now=clock.tick(),
            policy=policy,
        )
    with pytest.raises(InvalidInput):
        Advise(AdviceKind.AGENCY)
    with pytest.raises(InvalidInput):
        Advise(AdviceKind.CALL_101, agency="council")


def test_a_missing_optional_script_is_simply_not_prompted(clock: Clock, handler: Actor) -> None:
    from tests.domain.contacts.policy_builder import build_policy

    policy = build_policy(scripts=("advise", "warn"))
    contact = advised(policy, clock, handler)
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    events = contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert not [e for e in events if isinstance(e, ScriptPrompted)]


def test_an_auditor_changes_nothing(policy: Policy, clock: Clock, handler: Actor) -> None:
    contact = advised(policy, clock, handler)
    auditor = Actor("audit-1", Role.AUDITOR)
    assert contact.allowed_actions(policy, actor=auditor) == []
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Warn(), actor=auditor, now=clock.tick(), policy=policy)
    assert "auditor may not warn" in caught.value.message
    assert caught.value.paragraph == "7.2.5"
