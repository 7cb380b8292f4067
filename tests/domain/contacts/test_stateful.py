"""Whatever handlers, supervisors and systems do, in whatever order: no 999 contact is ever
terminated without the 4.12.5 warning and the 4.12.3 answers, no flagged contact (or one with a
"yes", or on a relay, BSL, SMS or silent route) without a supervisor's approval covering every
concern, and none is ever passed to 101."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from controlroom.domain.contacts import (
    PROCEDURES,
    Action,
    ActionKind,
    Actor,
    AddNote,
    AdviceKind,
    Advise,
    AgeBand,
    Answer,
    ApproveTermination,
    Assess,
    Close,
    CloseAccidental,
    CloseNoResponse,
    Contact,
    DeclineTermination,
    FlagVulnerability,
    HangUp,
    InferEmergency,
    LogIncident,
    ProcedureName,
    Prompt,
    Reconnect,
    RecordConsiderations,
    RecordResponse,
    Refer,
    RequestApproval,
    Role,
    SilentResponse,
    State,
    Terminate,
    Transfer,
    TransferDestination,
    UpdateCaller,
    Warn,
)
from controlroom.domain.contacts.concerns import approved_keys, concerns, unapproved
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.policy import VulnerabilityFlag
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import (
    NUMBER,
    OTHER_NUMBER,
    Clock,
    decision,
    new_contact,
    sample,
)
from tests.domain.contacts.policy_builder import build_policy

POLICY = build_policy()
EMERGENCY_LINES = [channel for channel in Channel if channel.is_emergency_line]

reasons = st.sampled_from(["", "a burglary is reported", "reviewed with the caller's carer"])
grades = st.sampled_from(["immediate", "priority", "scheduled", "resolution_without_deployment"])
flags = st.sampled_from(list(VulnerabilityFlag))
actors = st.sampled_from(
    [
        Actor("handler-1", Role.CALL_HANDLER),
        Actor("handler-2", Role.CALL_HANDLER),
        Actor("supervisor-1", Role.SUPERVISOR),
        Actor("telephony", Role.INTEGRATION),
        Actor("audit-1", Role.AUDITOR),
        Actor("admin-1", Role.ADMIN),
    ]
)


@st.composite
def assessments(draw: st.DrawFn) -> Assess:
    """An assessment, with or without a triage suggestion (and its flags)."""
    grade = draw(st.sampled_from(["immediate", "scheduled", "grade-9"]))
    if draw(st.booleans()):
        suggestion = decision(draw(grades), *draw(st.lists(flags, max_size=2)))
        return Assess(grade=grade, suggestion=suggestion, reason="handler's judgement")
    return Assess(grade=grade)


actions: st.SearchStrategy[Action] = st.one_of(
    st.just(Answer()),
    assessments(),
    st.builds(LogIncident, grade=grades, reason=reasons),
    st.builds(Advise, to=st.sampled_from([k for k in AdviceKind if k is not AdviceKind.AGENCY])),
    st.builds(Advise, to=st.just(AdviceKind.AGENCY), agency=st.sampled_from(["council", "none"])),
    st.just(Warn()),
    st.just(Terminate()),
    st.builds(
        RecordConsiderations,
        seriousness=st.just("not serious"),
        condition=st.just("calm"),
        age_vulnerability=st.just("adult"),
        serious=st.booleans(),
        condition_concern=st.booleans(),
        vulnerable=st.booleans(),
        flags=st.lists(flags, max_size=2).map(tuple),
    ),
    st.builds(FlagVulnerability, flag=flags),
    st.builds(ApproveTermination, reason=st.just("supervisor reviewed the call")),
    st.builds(RequestApproval, note=st.sampled_from(["", "she says she is 12"])),
    st.builds(DeclineTermination, reason=st.just("keep the caller on the line")),
    st.builds(Refer, agency=st.sampled_from(["council", "none"])),
    st.builds(Transfer, to=st.sampled_from(list(TransferDestination))),
    st.just(HangUp()),
    st.builds(Reconnect, number=st.sampled_from([NUMBER, OTHER_NUMBER])),
    st.builds(Close, reason=reasons),
    st.just(CloseAccidental("pocket dial")),
    st.just(CloseNoResponse("no response")),
    st.just(Prompt()),
    st.builds(RecordResponse, response=st.sampled_from(list(SilentResponse))),
    st.just(InferEmergency("shouting heard")),
    st.just(AddNote("note")),
    st.builds(UpdateCaller, age_band=st.sampled_from(list(AgeBand))),
)


NEXT_STEP = {
    State.OFFERED: ActionKind.ANSWER,
    State.ANSWERED: ActionKind.ASSESS,
    State.ASSESSED: ActionKind.ADVISE,
    State.ADVISED: ActionKind.WARN,
    State.WARNED: ActionKind.TERMINATE,
}


class ContactMachine(RuleBasedStateMachine):
    """One contact on a route into 999, driven by arbitrary actions and by allowed ones."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.contact: Contact

    @initialize(
        channel=st.one_of(st.just(Channel.NINE_NINE_NINE), st.sampled_from(EMERGENCY_LINES)),
        landline=st.booleans(),
    )
    def offer(self, channel: Channel, landline: bool) -> None:
        self.contact = new_contact(POLICY, self.clock, channel, landline=landline)

    def attempt(self, action: Action, actor: Actor, seconds: float) -> None:
        before = self.contact.record
        now = self.clock.tick(seconds)
        try:
            self.contact.apply(action, actor=actor, now=now, policy=POLICY)
        except (PolicyViolation, InvalidInput) as refused:
            assert self.contact.record is before
            if isinstance(refused, PolicyViolation):
                assert refused.paragraph in POLICY.paragraphs
                assert refused.paragraph in refused.message

    @rule(action=actions, actor=actors, seconds=st.integers(0, 60))
    def anything(self, action: Action, actor: Actor, seconds: int) -> None:
        self.attempt(action, actor, seconds)

    @rule(data=st.data(), actor=actors, seconds=st.integers(0, 20))
    def something_allowed(self, data: st.DataObject, actor: Actor, seconds: int) -> None:
        allowed = self.contact.allowed_actions(POLICY, actor=actor)
        if allowed:
            kind = data.draw(st.sampled_from(allowed))
            self.attempt(sample(kind, self.clock.now), actor, seconds)

    def teardown(self) -> None:
        event(f"ended {self.contact.procedure.value}/{self.contact.state.value}")

    @rule(record=st.booleans(), actor=actors, seconds=st.integers(0, 10))
    def towards_termination(self, record: bool, actor: Actor, seconds: int) -> None:
        """The §4.12 path, one step at a time, recording the 4.12.3 assessment only sometimes."""
        state = self.contact.state
        if state is State.ASSESSED and record and self.contact.considerations is None:
            self.attempt(sample(ActionKind.RECORD_CONSIDERATIONS), actor, seconds)
            return
        if state is State.WARNED and unapproved(self.contact.record) and record:
            self.attempt(sample(ActionKind.APPROVE_TERMINATION), actor, seconds)
            return
        kind = NEXT_STEP.get(state)
        if kind is not None:
            self.attempt(sample(kind), actor, seconds)

    @invariant()
    def never_terminated_without_warning_and_assessment(self) -> None:
        record = self.contact.record
        if record.state is not State.TERMINATED:
            return
        done = [entry.action for entry in record.history]
        end = done.index(ActionKind.TERMINATE)
        assert ActionKind.WARN in done[:end]
        assert ActionKind.RECORD_CONSIDERATIONS in done[:end]
        assert done.index(ActionKind.ADVISE) < done.index(ActionKind.WARN)
        assert record.warning is not None and record.considerations is not None
        assert record.considerations.answered
        assert not record.unresolved_vulnerability
        assert record.procedure is ProcedureName.INAPPROPRIATE

    @invariant()
    def never_terminated_with_a_concern_no_supervisor_approved(self) -> None:
        record = self.contact.record
        if record.state is not State.TERMINATED:
            return
        standing = {concern.key for concern in concerns(record)}
        assert standing <= approved_keys(record)
        if standing:
            done = [entry.action for entry in record.history]
            assert ActionKind.APPROVE_TERMINATION in done[: done.index(ActionKind.TERMINATE)]
            event("terminated with a supervisor's approval")

    @invariant()
    def never_passed_to_101(self) -> None:
        record = self.contact.record
        assert record.transfer is None or record.transfer.to is not TransferDestination.POLICE_101
        for entry in record.history:
            if entry.action is ActionKind.TRANSFER:
                assert entry.details["to"] != TransferDestination.POLICE_101.value

    @invariant()
    def overrides_are_a_supervisors(self) -> None:
        for override in self.contact.record.overrides:
            assert override.actor.role is Role.SUPERVISOR and override.reason.strip()

    @invariant()
    def the_history_is_a_chain(self) -> None:
        history = self.contact.history
        assert [entry.seq for entry in history] == list(range(1, len(history) + 1))
        for previous, entry in pairwise(history):
            assert entry.from_state is previous.to_state
            assert entry.from_procedure is previous.to_procedure
            assert entry.at >= previous.at
            assert entry.actor.role not in (Role.AUDITOR, Role.ADMIN)
        last = history[-1]
        assert (last.to_procedure, last.to_state) == (self.contact.procedure, self.contact.state)
        assert self.contact.state in PROCEDURES[self.contact.procedure].states

    @invariant()
    def discretionary_only_from_the_inappropriate_path(self) -> None:
        incident = self.contact.incident
        if incident is not None and incident.discretionary:
            logged = [e for e in self.contact.history if e.action is ActionKind.LOG_INCIDENT]
            assert logged[-1].from_procedure is ProcedureName.INAPPROPRIATE
            assert incident.reason.strip()

    @invariant()
    def ended_is_set_once_final(self) -> None:
        if self.contact.is_final:
            assert self.contact.timestamps.ended is not None
            assert self.contact.closure is not None


ContactMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
)
TestContactMachine = ContactMachine.TestCase
