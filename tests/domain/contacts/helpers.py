"""Helpers for contact tests: a hand-moved clock, one valid action of each kind, and the
actions that bring a new contact to each state of each procedure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlroom.domain.contacts import (
    Action,
    ActionKind,
    Actor,
    AddLocation,
    AddNote,
    AdviceKind,
    Advise,
    Answer,
    ApproveTermination,
    Assess,
    Caller,
    Close,
    CloseAccidental,
    CloseNoResponse,
    Contact,
    DeclineTermination,
    Escalate,
    EscalationSource,
    FlagVulnerability,
    HangUp,
    InferEmergency,
    LocationEvidence,
    LogIncident,
    ProcedureName,
    Prompt,
    Reconnect,
    RecordAnswers,
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
    UpdateNarrative,
    Warn,
)
from controlroom.domain.contacts.concerns import FLAG_CONSIDERATION
from controlroom.domain.policy import Policy, Route, VulnerabilityFlag
from controlroom.domain.triage.decision import Answer as Reply
from controlroom.domain.triage.decision import Channel, Decision, Level, Thrive, ThriveFactor

NUMBER = "+441632960001"
OTHER_NUMBER = "+441632960999"
START = datetime(2026, 1, 23, 21, 0, tzinfo=UTC)
SYSTEM = Actor("telephony", Role.INTEGRATION)
SUPERVISOR = Actor("supervisor-1", Role.SUPERVISOR)


class Clock:
    """A clock moved by hand: each :meth:`tick` moves it on and returns the new time."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def tick(self, seconds: float = 1.0) -> datetime:
        """Move on ``seconds`` and return the new time."""
        self.now += timedelta(seconds=seconds)
        return self.now


def decision(grade: str, *flags: VulnerabilityFlag) -> Decision:
    """A triage decision suggesting ``grade``."""
    low = ThriveFactor(Level.LOW, "")
    return Decision(
        route=Route.EMERGENCY,
        grade=grade,
        agency=None,
        thrive=Thrive(low, low, low, low, low, low),
        vulnerability=flags,
        reasons=(),
        summary="",
        policy="TF-1",
    )


def considerations(
    *flags: VulnerabilityFlag,
    serious: bool = False,
    condition: bool = False,
    vulnerable: bool = False,
) -> RecordConsiderations:
    """A complete 4.12.3 assessment: "no" to each consideration unless told otherwise or a
    flag it raises falls under it."""
    return RecordConsiderations(
        seriousness="a neighbour dispute about parking, nothing in progress",
        condition="caller calm, no injury",
        age_vulnerability="adult, no vulnerability apparent",
        serious=serious,
        condition_concern=condition or any(FLAG_CONSIDERATION[f] == "condition" for f in flags),
        vulnerable=vulnerable or any(FLAG_CONSIDERATION[f] == "age_vulnerability" for f in flags),
        flags=flags,
    )


def sample(kind: ActionKind, now: datetime = START) -> Action:
    """One well-formed action of ``kind``."""
    samples: dict[ActionKind, Action] = {
        ActionKind.ANSWER: Answer(),
        ActionKind.ASSESS: Assess(grade="scheduled"),
        ActionKind.LOG_INCIDENT: LogIncident(grade="priority", reason="a burglary is reported"),
        ActionKind.ADVISE: Advise(AdviceKind.CALL_101),
        ActionKind.WARN: Warn(),
        ActionKind.TERMINATE: Terminate(),
        ActionKind.RECORD_CONSIDERATIONS: considerations(),
        ActionKind.FLAG_VULNERABILITY: FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH),
        ActionKind.REQUEST_APPROVAL: RequestApproval("caller says she is 12"),
        ActionKind.APPROVE_TERMINATION: ApproveTermination("spoke to the caller's carer"),
        ActionKind.DECLINE_TERMINATION: DeclineTermination("keep her on the line; log it"),
        ActionKind.REFER: Refer("council"),
        ActionKind.TRANSFER: Transfer(TransferDestination.AMBULANCE),
        ActionKind.HANG_UP: HangUp(),
        ActionKind.RECONNECT: Reconnect(NUMBER),
        ActionKind.CLOSE: Close("caller understood; nothing further"),
        ActionKind.CLOSE_ACCIDENTAL: CloseAccidental("caller says it was a pocket dial"),
        ActionKind.CLOSE_NO_RESPONSE: CloseNoResponse("no response to three prompts"),
        ActionKind.PROMPT: Prompt(),
        ActionKind.RECORD_RESPONSE: RecordResponse(SilentResponse.TAP, "two taps"),
        ActionKind.INFER_EMERGENCY: InferEmergency("shouting and a woman crying"),
        ActionKind.ADD_NOTE: AddNote("caller sounds out of breath"),
        ActionKind.UPDATE_NARRATIVE: UpdateNarrative("Someone is in my garden."),
        ActionKind.UPDATE_CALLER: UpdateCaller(name="Sam"),
        ActionKind.ADD_LOCATION: AddLocation(LocationEvidence("aml", now, {"lt": "50.1"})),
        ActionKind.RECORD_ANSWERS: RecordAnswers(weapon=Reply.YES),
        ActionKind.ESCALATE: Escalate(EscalationSource.PERSON, "says someone is in the house"),
    }
    return samples[kind]


#: Every kind an action can have now (override_vulnerability survives in older records only).
APPLIED_KINDS = tuple(
    kind for kind in ActionKind if kind not in (ActionKind.OFFER, ActionKind.OVERRIDE_VULNERABILITY)
)

#: The channel each procedure's paths use: landline calls where a reconnect is possible.
CHANNELS = {
    ProcedureName.EMERGENCY: Channel.NINE_NINE_NINE,
    ProcedureName.INAPPROPRIATE: Channel.NINE_NINE_NINE,
    ProcedureName.NON_EMERGENCY: Channel.ONE_ZERO_ONE,
    ProcedureName.SILENT: Channel.LANDLINE_OPEN_LINE,
}

K = ActionKind
_ADVISED = (K.ANSWER, K.ASSESS, K.RECORD_CONSIDERATIONS, K.ADVISE)
_PROMPTING = (K.ANSWER, K.PROMPT)

#: The actions that bring a new contact to each state of each procedure.
PATHS: dict[tuple[ProcedureName, State], tuple[ActionKind, ...]] = {
    (ProcedureName.EMERGENCY, State.OFFERED): (),
    (ProcedureName.EMERGENCY, State.ANSWERED): (K.ANSWER,),
    (ProcedureName.EMERGENCY, State.ASSESSED): (K.ANSWER, K.ASSESS),
    (ProcedureName.EMERGENCY, State.INCIDENT_LOGGED): (K.ANSWER, K.ASSESS, K.LOG_INCIDENT),
    (ProcedureName.EMERGENCY, State.HUNG_UP): (K.ANSWER, K.ASSESS, K.HANG_UP),
    (ProcedureName.EMERGENCY, State.TRANSFERRED): (K.ANSWER, K.TRANSFER),
    (ProcedureName.EMERGENCY, State.ABANDONED): (K.HANG_UP,),
    (ProcedureName.EMERGENCY, State.CLOSED): (K.ANSWER, K.ASSESS, K.LOG_INCIDENT, K.CLOSE),
    (ProcedureName.INAPPROPRIATE, State.ADVISED): _ADVISED,
    (ProcedureName.INAPPROPRIATE, State.WARNED): (*_ADVISED, K.WARN),
    (ProcedureName.INAPPROPRIATE, State.HUNG_UP): (*_ADVISED, K.WARN, K.HANG_UP),
    (ProcedureName.INAPPROPRIATE, State.TERMINATED): (*_ADVISED, K.WARN, K.TERMINATE),
    (ProcedureName.INAPPROPRIATE, State.CLOSED): (*_ADVISED, K.CLOSE),
    (ProcedureName.NON_EMERGENCY, State.OFFERED): (),
    (ProcedureName.NON_EMERGENCY, State.ANSWERED): (K.ANSWER,),
    (ProcedureName.NON_EMERGENCY, State.ASSESSED): (K.ANSWER, K.ASSESS),
    (ProcedureName.NON_EMERGENCY, State.INCIDENT_LOGGED): (K.ANSWER, K.ASSESS, K.LOG_INCIDENT),
    (ProcedureName.NON_EMERGENCY, State.ADVISED): (K.ANSWER, K.ASSESS, K.ADVISE),
    (ProcedureName.NON_EMERGENCY, State.REFERRED): (K.ANSWER, K.ASSESS, K.REFER),
    (ProcedureName.NON_EMERGENCY, State.HUNG_UP): (K.ANSWER, K.HANG_UP),
    (ProcedureName.NON_EMERGENCY, State.ABANDONED): (K.HANG_UP,),
    (ProcedureName.NON_EMERGENCY, State.CLOSED): (K.ANSWER, K.ASSESS, K.REFER, K.CLOSE),
    (ProcedureName.SILENT, State.OFFERED): (),
    (ProcedureName.SILENT, State.ANSWERED): (K.ANSWER,),
    (ProcedureName.SILENT, State.PROMPTING): _PROMPTING,
    (ProcedureName.SILENT, State.EMERGENCY_INFERRED): (*_PROMPTING, K.INFER_EMERGENCY),
    (ProcedureName.SILENT, State.HUNG_UP): (*_PROMPTING, K.HANG_UP),
    (ProcedureName.SILENT, State.ABANDONED): (K.HANG_UP,),
    (ProcedureName.SILENT, State.CLOSED): (*_PROMPTING, K.CLOSE_NO_RESPONSE),
}


def new_contact(
    policy: Policy,
    clock: Clock,
    channel: Channel = Channel.NINE_NINE_NINE,
    *,
    landline: bool = True,
    number: str | None = NUMBER,
    contact_id: str = "C-1",
) -> Contact:
    """A contact just offered on ``channel``."""
    contact, _ = Contact.offer(
        contact_id=contact_id,
        channel=channel,
        caller=Caller(number),
        actor=SYSTEM,
        now=clock.tick(),
        policy=policy,
        landline=landline and channel in (Channel.NINE_NINE_NINE, Channel.LANDLINE_OPEN_LINE),
    )
    return contact


def drive(
    contact: Contact,
    kinds: tuple[ActionKind, ...],
    policy: Policy,
    clock: Clock,
    actor: Actor = SUPERVISOR,
) -> Contact:
    """Apply one sample action of each kind in turn."""
    for kind in kinds:
        now = clock.tick()
        contact.apply(sample(kind, now), actor=actor, now=now, policy=policy)
    return contact


def at_state(
    policy: Policy,
    clock: Clock,
    procedure: ProcedureName,
    state: State,
    channel: Channel | None = None,
) -> Contact:
    """A contact brought to ``state`` of ``procedure`` by the path in :data:`PATHS`."""
    contact = new_contact(policy, clock, channel or CHANNELS[procedure])
    drive(contact, PATHS[(procedure, state)], policy, clock)
    assert (contact.procedure, contact.state) == (procedure, state)
    return contact
