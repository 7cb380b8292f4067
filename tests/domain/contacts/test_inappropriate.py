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
    Assess,
    Close,
    Contact,
    ContactEnded,
    FlagVulnerability,
    IncidentLogged,
    LogIncident,
    Outcome,
    OverrideVulnerability,
    ProcedureName,
    Role,
    ScriptPrompted,
    State,
    Terminate,
    UpdateCaller,
    VulnerabilityOverridden,
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
    assert flag.value in caught.value.message
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


def test_only_a_supervisor_may_override_and_must_say_why(
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
    assert ActionKind.OVERRIDE_VULNERABILITY not in contact.allowed_actions(policy, actor=handler)
    assert ActionKind.OVERRIDE_VULNERABILITY in contact.allowed_actions(policy, actor=supervisor)

    with pytest.raises(PolicyViolation) as caught:
        contact.apply(
            OverrideVulnerability("I think it is fine"),
            actor=handler,
            now=clock.tick(),
            policy=policy,
        )
    assert caught.value.paragraph == "7.2.3"
    assert "only a supervisor may" in caught.value.message
    with pytest.raises(InvalidInput):
        OverrideVulnerability("  ")

    events = contact.apply(
        OverrideVulnerability("known caller; care plan says end the call"),
        actor=supervisor,
        now=clock.tick(),
        policy=policy,
    )
    overridden = [e for e in events if isinstance(e, VulnerabilityOverridden)]
    assert overridden[0].flags == (VulnerabilityFlag.MENTAL_HEALTH,)
    assert overridden[0].actor == supervisor
    contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert contact.state is State.TERMINATED


def test_a_flag_raised_after_an_override_blocks_again(
    policy: Policy, clock: Clock, handler: Actor, supervisor: Actor
) -> None:
    contact = advised(policy, clock, handler)
    contact.apply(
        FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH),
        actor=handler,
        now=clock.tick(),
        policy=policy,
    )
    contact.apply(
        OverrideVulnerability("reviewed"), actor=supervisor, now=clock.tick(), policy=policy
    )
    contact.apply(
        FlagVulnerability(VulnerabilityFlag.CHILD), actor=handler, now=clock.tick(), policy=policy
    )
    contact.apply(Warn(), actor=handler, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(Terminate(), actor=handler, now=clock.tick(), policy=policy)
    assert caught.value.paragraph == "7.2.3(c)"
    assert "child" in caught.value.message


def test_an_override_needs_a_flag_to_override(
    policy: Policy, clock: Clock, handler: Actor, supervisor: Actor
) -> None:
    contact = advised(policy, clock, handler)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(
            OverrideVulnerability("why not"), actor=supervisor, now=clock.tick(), policy=policy
        )
    assert caught.value.paragraph == "7.2.3"


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
