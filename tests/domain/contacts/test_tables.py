"""The transition tables: every allowed move works and every other move is refused, naming the
paragraph. The expected tables are written out here, independently of the code."""

from __future__ import annotations

import pytest

from controlroom.domain.contacts import (
    FINAL_STATES,
    PROCEDURES,
    RELAY_CHANNELS,
    ActionKind,
    FlagVulnerability,
    ProcedureName,
    State,
    Transfer,
    TransferDestination,
)
from controlroom.domain.contacts.procedures import step_label
from controlroom.domain.contacts.procedures.base import ANNOTATIONS, UPDATES
from controlroom.domain.errors import PolicyViolation
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import (
    APPLIED_KINDS,
    CHANNELS,
    PATHS,
    SUPERVISOR,
    Clock,
    at_state,
    new_contact,
    sample,
)

EXPECTED = {
    ProcedureName.EMERGENCY: """
        offered answer answered
        offered hang_up abandoned
        answered assess assessed
        answered transfer transferred
        answered close_accidental closed
        answered hang_up hung_up
        assessed assess assessed
        assessed record_considerations assessed
        assessed log_incident incident_logged
        assessed advise inappropriate/advised
        assessed transfer transferred
        assessed close_accidental closed
        assessed hang_up hung_up
        incident_logged assess incident_logged
        incident_logged transfer transferred
        incident_logged close closed
        incident_logged hang_up hung_up
        hung_up reconnect (state before hang-up)
        hung_up close closed
    """,
    ProcedureName.INAPPROPRIATE: """
        advised advise advised
        advised assess advised
        advised record_considerations advised
        advised request_approval advised
        advised approve_termination advised
        advised decline_termination advised
        advised warn warned
        advised log_incident emergency/incident_logged
        advised close closed
        advised hang_up hung_up
        warned assess warned
        warned record_considerations warned
        warned request_approval warned
        warned approve_termination warned
        warned decline_termination warned
        warned terminate terminated
        warned log_incident emergency/incident_logged
        warned close closed
        warned hang_up hung_up
        hung_up reconnect (state before hang-up)
        hung_up close closed
    """,
    ProcedureName.NON_EMERGENCY: """
        offered answer answered
        offered hang_up abandoned
        offered escalate offered
        answered assess assessed
        answered hang_up hung_up
        assessed assess assessed
        assessed log_incident incident_logged
        assessed advise advised
        assessed refer referred
        assessed hang_up hung_up
        incident_logged assess incident_logged
        incident_logged close closed
        advised advise advised
        advised close closed
        referred close closed
        hung_up close closed
    """,
    ProcedureName.SILENT: """
        offered answer answered
        offered hang_up abandoned
        answered prompt prompting
        answered close_accidental closed
        answered hang_up hung_up
        prompting prompt prompting
        prompting record_response prompting
        prompting infer_emergency emergency_inferred
        prompting close_accidental closed
        prompting close_no_response closed
        prompting hang_up hung_up
        emergency_inferred record_response emergency_inferred
        emergency_inferred assess emergency_inferred
        emergency_inferred log_incident emergency/incident_logged
        emergency_inferred hang_up hung_up
        hung_up reconnect (state before hang-up)
        hung_up close_no_response closed
        hung_up close closed
    """,
}

ALL_STATES = [(name, state) for name, procedure in PROCEDURES.items() for state in procedure.states]
ALLOWED = [
    (name, state, kind)
    for name, state in ALL_STATES
    for kind in APPLIED_KINDS
    if PROCEDURES[name].step(state, kind) is not None
]
REFUSED = [
    (name, state, kind)
    for name, state in ALL_STATES
    for kind in APPLIED_KINDS
    if PROCEDURES[name].step(state, kind) is None
]
EMERGENCY_LINE_STATES = [
    (name, state) for name, state in ALL_STATES if CHANNELS[name].is_emergency_line
]


def _core_moves(name: ProcedureName) -> set[str]:
    procedure = PROCEDURES[name]
    return {
        f"{state.value} {action.value} {step_label(step)}"
        for (state, action), step in procedure.moves.items()
        if action not in ANNOTATIONS + UPDATES
    }


@pytest.mark.parametrize("name", list(ProcedureName))
def test_table_is_the_written_procedure(name: ProcedureName) -> None:
    expected = {" ".join(line.split()) for line in EXPECTED[name].strip().splitlines()}
    assert _core_moves(name) == expected


@pytest.mark.parametrize(("name", "state"), ALL_STATES)
def test_notes_and_location_in_every_state_updates_in_every_live_state(
    name: ProcedureName, state: State
) -> None:
    procedure = PROCEDURES[name]
    for action in ANNOTATIONS:
        assert procedure.step(state, action) is state
    for action in UPDATES:
        assert (procedure.step(state, action) is state) == (state not in FINAL_STATES)


def test_every_state_has_a_path() -> None:
    assert set(PATHS) == set(ALL_STATES)


@pytest.mark.parametrize(("name", "state"), [s for s in ALL_STATES if s[1] in FINAL_STATES])
def test_final_states_allow_only_notes_and_location(name: ProcedureName, state: State) -> None:
    assert set(PROCEDURES[name].actions_from(state)) == set(ANNOTATIONS)


APPROVALS = (
    ActionKind.REQUEST_APPROVAL,
    ActionKind.APPROVE_TERMINATION,
    ActionKind.DECLINE_TERMINATION,
)


@pytest.mark.parametrize(("name", "state", "kind"), ALLOWED)
def test_every_allowed_move(
    name: ProcedureName, state: State, kind: ActionKind, policy: Policy, clock: Clock
) -> None:
    # Only a written contact is marked as an emergency (the guard's own tests: test_escalation).
    channel = Channel.ONLINE_REPORT if kind is ActionKind.ESCALATE else None
    contact = at_state(policy, clock, name, state, channel)
    if kind in APPROVALS:
        flag = FlagVulnerability(VulnerabilityFlag.DISTRESS_OR_TRAUMA)
        contact.apply(flag, actor=SUPERVISOR, now=clock.tick(), policy=policy)
    if kind in APPROVALS and contact.considerations is None:
        contact.apply(
            sample(ActionKind.RECORD_CONSIDERATIONS),
            actor=SUPERVISOR,
            now=clock.tick(),
            policy=policy,
        )
    if kind is ActionKind.DECLINE_TERMINATION:
        request = sample(ActionKind.REQUEST_APPROVAL)
        contact.apply(request, actor=SUPERVISOR, now=clock.tick(), policy=policy)
    step = PROCEDURES[name].step(state, kind)
    resume = contact.record.resume
    before = len(contact.history)

    events = contact.apply(
        sample(kind, clock.now), actor=SUPERVISOR, now=clock.tick(), policy=policy
    )

    label = step_label(step) if step is not None else ""
    if label.startswith("("):
        assert (contact.procedure, contact.state) == (name, resume)
    elif "/" in label:
        assert f"{contact.procedure.value}/{contact.state.value}" == label
    else:
        assert (contact.procedure, contact.state) == (name, State(label))
    assert len(contact.history) == before + 1
    entry = contact.history[-1]
    assert (entry.action, entry.from_state, entry.to_state) == (kind, state, contact.state)
    assert events[0].action is kind


@pytest.mark.parametrize(("name", "state", "kind"), REFUSED)
def test_every_refused_move(
    name: ProcedureName, state: State, kind: ActionKind, policy: Policy, clock: Clock
) -> None:
    contact = at_state(policy, clock, name, state)
    before = contact.record
    channel = CHANNELS[name]

    with pytest.raises(PolicyViolation) as caught:
        contact.apply(sample(kind, clock.now), actor=SUPERVISOR, now=clock.tick(), policy=policy)

    expected = policy.cite(PROCEDURES[name].refusal_citation(kind, channel))
    assert caught.value.paragraph == expected
    assert f"TF-1 {expected})" in caught.value.message
    assert caught.value.hint
    assert contact.record is before


@pytest.mark.parametrize(("name", "state"), EMERGENCY_LINE_STATES)
def test_transfer_of_a_999_call_to_101_is_refused_in_every_state(
    name: ProcedureName, state: State, policy: Policy, clock: Clock
) -> None:
    contact = at_state(policy, clock, name, state)
    before = contact.record

    with pytest.raises(PolicyViolation) as caught:
        contact.apply(
            Transfer(TransferDestination.POLICE_101),
            actor=SUPERVISOR,
            now=clock.tick(),
            policy=policy,
        )

    assert caught.value.paragraph == policy.cite("inappropriate.no-transfer") == "7.2.4"
    assert "never transferred to 101" in caught.value.message
    assert contact.record is before


@pytest.mark.parametrize("channel", [*sorted(RELAY_CHANNELS), Channel.SILENT_SOLUTION_55])
@pytest.mark.parametrize("path", [(), (ActionKind.ANSWER,)])
def test_transfer_to_101_refused_on_every_route_into_999(
    channel: Channel, path: tuple[ActionKind, ...], policy: Policy, clock: Clock
) -> None:
    contact = new_contact(policy, clock, channel, landline=False)
    for kind in path:
        contact.apply(sample(kind), actor=SUPERVISOR, now=clock.tick(), policy=policy)
    with pytest.raises(PolicyViolation) as caught:
        contact.apply(
            Transfer(TransferDestination.POLICE_101),
            actor=SUPERVISOR,
            now=clock.tick(),
            policy=policy,
        )
    assert caught.value.paragraph == "7.2.4"


@pytest.mark.parametrize(("name", "state"), ALL_STATES)
def test_allowed_and_blocked_actions_partition_the_table(
    name: ProcedureName, state: State, policy: Policy, clock: Clock
) -> None:
    contact = at_state(policy, clock, name, state)
    allowed = contact.allowed_actions(policy, actor=SUPERVISOR, now=clock.now)
    blocked = contact.blocked_actions(policy, actor=SUPERVISOR, now=clock.now)
    assert set(allowed) | set(blocked) == set(PROCEDURES[name].actions_from(state))
    assert not set(allowed) & set(blocked)
    for violation in blocked.values():
        assert violation.paragraph in violation.message
