"""What a contact remembers: records of each step, its timestamps, its history, its snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from controlroom.domain.contacts.kinds import (
    ActionKind,
    AdviceKind,
    EscalationSource,
    SilentResponse,
    TransferDestination,
)
from controlroom.domain.contacts.states import ProcedureName, State
from controlroom.domain.contacts.values import Actor, Caller, LocationEvidence, Note
from controlroom.domain.policy import VulnerabilityFlag
from controlroom.domain.triage.assessment import ASKED, HandlerAnswers
from controlroom.domain.triage.decision import Answer, Channel, Decision


class Outcome(StrEnum):
    """How a contact ended."""

    INCIDENT_LOGGED = "incident_logged"
    ADVICE_ACCEPTED = "advice_accepted"  # an inappropriate 999 caller took the advice
    ADVISED = "advised"  # a non-emergency contact given advice
    REFERRED = "referred"
    TERMINATED = "terminated"
    TRANSFERRED = "transferred"
    ACCIDENTAL = "accidental"
    NO_RESPONSE = "no_response"
    CALLER_HUNG_UP = "caller_hung_up"
    ABANDONED = "abandoned"


class FlagSource(StrEnum):
    """Where a vulnerability flag came from."""

    TRIAGE = "triage"
    HANDLER = "handler"
    CONSIDERATIONS = "considerations"  # raised in the 4.12.3 assessment
    AGE_BAND = "age_band"


@dataclass(frozen=True)
class TriageRecord:
    """One assessment: the handler's grade, triage's suggestion, and the reason they differ."""

    grade: str
    suggestion: Decision | None
    reason: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Assessment4123:
    """The DCP-P-042 4.12.3 considerations, each with the handler's note."""

    seriousness: str  # (a) seriousness / nature of the incident reported
    condition: str  # (b) condition / trauma of caller or victim at the time
    age_vulnerability: str  # (c) potential age and vulnerability of the reporting person
    actor: Actor
    at: datetime
    # the explicit answers ("yes": a cause for concern); None in records made before them
    serious: bool | None = None
    condition_concern: bool | None = None
    vulnerable: bool | None = None

    @property
    def answered(self) -> bool:
        """True when (a), (b) and (c) each have an explicit yes or no."""
        return None not in (self.serious, self.condition_concern, self.vulnerable)


@dataclass(frozen=True)
class FlagRecord:
    """A vulnerability flag, who or what raised it, and why."""

    flag: VulnerabilityFlag
    source: FlagSource
    note: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Override:
    """A supervisor's approval of termination despite these flags and concerns, and why.

    ``concerns`` holds the keys of what it covered (see ``contacts.concerns``); records made
    before there were such keys cover their ``flags`` only."""

    flags: frozenset[VulnerabilityFlag]
    reason: str
    actor: Actor
    at: datetime
    concerns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ApprovalRequest:
    """A handler's request that a supervisor approve termination, and the concerns it names."""

    concerns: tuple[str, ...]
    note: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Decline:
    """A supervisor's refusal of a request to terminate, and what to do instead."""

    concerns: tuple[str, ...]
    reason: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Advice:
    """Where the caller was told to go instead."""

    to: AdviceKind
    agency: str | None
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class WarningGiven:
    """The 4.12.5 warning that the call will be terminated."""

    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Incident:
    """An incident logged for the contact, with its reference; ``discretionary`` when logged
    under 4.12.2."""

    grade: str
    discretionary: bool
    reason: str
    actor: Actor
    at: datetime
    reference: str | None = None  # the force's incident reference, e.g. DC-20261207-0042


@dataclass(frozen=True)
class Referral:
    """The agency a non-emergency contact was passed to."""

    agency: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class TransferRecord:
    """Where the call was passed on to."""

    to: TransferDestination
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Observation:
    """What the handler heard on a silent call."""

    response: SilentResponse
    note: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class QuestionAnswer:
    """The handler's current answer to one of the §4.11.1 questions, who gave it and when."""

    question: str  # danger, now, offender or weapon
    answer: Answer
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Closure:
    """How and why the contact ended."""

    outcome: Outcome
    reason: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class EscalationRecord:
    """A digital contact marked as an emergency: by triage or a person, why, and when (the
    alarm's age and the supervisors' re-alert count from ``at``)."""

    source: EscalationSource
    reason: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class Timestamps:
    """When the contact was offered, answered and ended (ended clears if a landline rejoins)."""

    offered: datetime
    answered: datetime | None = None
    ended: datetime | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One applied action: who, when, from which state to which, and what it recorded."""

    seq: int
    action: ActionKind
    actor: Actor
    at: datetime
    from_procedure: ProcedureName | None
    from_state: State | None
    to_procedure: ProcedureName
    to_state: State
    details: Mapping[str, str]


@dataclass(frozen=True)
class ContactRecord:
    """Everything a contact holds, as one immutable value: what a repository stores."""

    id: str
    channel: Channel
    caller: Caller
    timestamps: Timestamps
    procedure: ProcedureName
    state: State
    landline: bool = False
    narrative: str = ""
    notes: tuple[Note, ...] = ()
    location: tuple[LocationEvidence, ...] = ()
    triage: tuple[TriageRecord, ...] = ()
    flags: tuple[FlagRecord, ...] = ()
    considerations: Assessment4123 | None = None
    advice: tuple[Advice, ...] = ()
    warning: WarningGiven | None = None
    overrides: tuple[Override, ...] = ()
    approval_request: ApprovalRequest | None = None  # waiting for a supervisor
    declines: tuple[Decline, ...] = ()
    incident: Incident | None = None
    referral: Referral | None = None
    transfer: TransferRecord | None = None
    observations: tuple[Observation, ...] = ()
    inference: Note | None = None  # why a silent call was judged an emergency
    answers: tuple[QuestionAnswer, ...] = ()  # the latest answer to each question asked
    closure: Closure | None = None
    resume: State | None = None  # the state to return to if a hung-up landline reconnects
    escalation: EscalationRecord | None = None  # marked as an emergency while waiting
    history: tuple[HistoryEntry, ...] = ()

    @property
    def vulnerability(self) -> frozenset[VulnerabilityFlag]:
        """Every vulnerability flag set: from triage, the handler, 4.12.3 and the caller's age."""
        flags = {record.flag for record in self.flags}
        for assessment in self.triage:
            if assessment.suggestion is not None:
                flags.update(assessment.suggestion.vulnerability)
        if self.caller.age_band is not None and self.caller.age_band.flag is not None:
            flags.add(self.caller.age_band.flag)
        return frozenset(flags)

    @property
    def handler_answers(self) -> HandlerAnswers | None:
        """The handler's answers as triage takes them; None when no question was answered."""
        if not self.answers:
            return None
        given = {item.question: item.answer for item in self.answers if item.question in ASKED}
        return HandlerAnswers(**given)

    @property
    def unresolved_vulnerability(self) -> frozenset[VulnerabilityFlag]:
        """The flags no supervisor override covers: while any is set, termination is refused."""
        covered: set[VulnerabilityFlag] = set()
        for override in self.overrides:
            covered.update(override.flags)
        return self.vulnerability - covered

    @property
    def reconnectable(self) -> bool:
        """True for a landline 999 call or a landline open line: the line may stay open."""
        return self.channel is Channel.LANDLINE_OPEN_LINE or (
            self.channel is Channel.NINE_NINE_NINE and self.landline
        )
