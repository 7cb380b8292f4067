"""Actions: the only way to change a contact. Each checks its own shape when it is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, get_args

from controlroom.domain.contacts.kinds import (
    ActionKind,
    AdviceKind,
    SilentResponse,
    TransferDestination,
)
from controlroom.domain.contacts.triage_actions import Escalate as Escalate
from controlroom.domain.contacts.triage_actions import RecordAnswers as RecordAnswers
from controlroom.domain.contacts.values import (
    AgeBand,
    LocationEvidence,
    require_e164,
    require_member,
    require_text,
)
from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import VulnerabilityFlag
from controlroom.domain.triage.decision import Decision

_enum = require_member


@dataclass(frozen=True)
class Answer:
    """The handler picks up the contact."""

    kind: ClassVar[ActionKind] = ActionKind.ANSWER


@dataclass(frozen=True)
class Assess:
    """The handler's assessment: their own grade, triage's suggestion, and why they differ."""

    kind: ClassVar[ActionKind] = ActionKind.ASSESS
    grade: str
    suggestion: Decision | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        require_text(self.grade, "grade")
        require_text(self.reason, "reason", required=False)
        if self.suggestion is not None and not isinstance(self.suggestion, Decision):
            raise InvalidInput("suggestion must be a triage decision", field="suggestion")
        differs = self.suggestion is not None and self.suggestion.grade != self.grade
        if differs and not self.reason.strip():
            suggested = self.suggestion.grade if self.suggestion else ""
            raise InvalidInput(
                f"grade {self.grade!r} differs from triage's {suggested!r}",
                field="reason",
                hint="say why you graded it differently",
            )


@dataclass(frozen=True)
class LogIncident:
    """Log an incident with a grade; from the §4.12 path it is discretionary (4.12.2)."""

    kind: ClassVar[ActionKind] = ActionKind.LOG_INCIDENT
    grade: str
    reason: str = ""
    # issued by the use case from the shared store; the handler never chooses it
    reference: str | None = None

    def __post_init__(self) -> None:
        require_text(self.grade, "grade")
        require_text(self.reason, "reason", required=False)
        if self.reference is not None:
            require_text(self.reference, "reference")


@dataclass(frozen=True)
class Advise:
    """Tell the caller where to go instead: 101, online, the station, or a named agency."""

    kind: ClassVar[ActionKind] = ActionKind.ADVISE
    to: AdviceKind
    agency: str | None = None

    def __post_init__(self) -> None:
        _enum(self.to, AdviceKind, "to")
        if self.to is AdviceKind.AGENCY:
            require_text(self.agency, "agency")
        elif self.agency is not None:
            raise InvalidInput("agency is only given when advising to contact an agency")


@dataclass(frozen=True)
class Warn:
    """Tell a persistent caller it is our intention to terminate the call (4.12.5)."""

    kind: ClassVar[ActionKind] = ActionKind.WARN


@dataclass(frozen=True)
class Terminate:
    """End an inappropriate 999 call after the warning (4.12.5)."""

    kind: ClassVar[ActionKind] = ActionKind.TERMINATE


@dataclass(frozen=True)
class RecordConsiderations:
    """The 4.12.3 assessment: an explicit yes or no on each of (a), (b) and (c), each with a
    note, and any flags it raises. A "yes" means the consideration gives cause for concern."""

    kind: ClassVar[ActionKind] = ActionKind.RECORD_CONSIDERATIONS
    seriousness: str
    condition: str
    age_vulnerability: str
    serious: bool
    condition_concern: bool
    vulnerable: bool
    flags: tuple[VulnerabilityFlag, ...] = ()

    def __post_init__(self) -> None:
        require_text(self.seriousness, "seriousness")
        require_text(self.condition, "condition")
        require_text(self.age_vulnerability, "age_vulnerability")
        for name in ANSWER_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise InvalidInput(
                    f"{name} must be answered yes or no",
                    field=name,
                    hint="4.12.3 needs an explicit answer on (a), (b) and (c)",
                )
        for flag in self.flags:
            _enum(flag, VulnerabilityFlag, "flag")

    @property
    def answers(self) -> dict[str, bool]:
        """Each consideration's note field and its answer: ``{"seriousness": False, ...}``."""
        return {
            "seriousness": self.serious,
            "condition": self.condition_concern,
            "age_vulnerability": self.vulnerable,
        }


#: The answer fields of :class:`RecordConsiderations`, in the order (a), (b), (c).
ANSWER_FIELDS = ("serious", "condition_concern", "vulnerable")


@dataclass(frozen=True)
class FlagVulnerability:
    """Mark a vulnerability the handler has noticed."""

    kind: ClassVar[ActionKind] = ActionKind.FLAG_VULNERABILITY
    flag: VulnerabilityFlag
    note: str = ""

    def __post_init__(self) -> None:
        _enum(self.flag, VulnerabilityFlag, "flag")
        require_text(self.note, "note", required=False)


@dataclass(frozen=True)
class RequestApproval:
    """Ask a supervisor to approve terminating a call that gives cause for concern (4.12.3)."""

    kind: ClassVar[ActionKind] = ActionKind.REQUEST_APPROVAL
    note: str = ""

    def __post_init__(self) -> None:
        require_text(self.note, "note", required=False)


@dataclass(frozen=True)
class ApproveTermination:
    """A supervisor approves termination despite the concerns standing now, and says why."""

    kind: ClassVar[ActionKind] = ActionKind.APPROVE_TERMINATION
    reason: str

    def __post_init__(self) -> None:
        require_text(self.reason, "reason")


@dataclass(frozen=True)
class DeclineTermination:
    """A supervisor declines a request to terminate, and says what to do instead."""

    kind: ClassVar[ActionKind] = ActionKind.DECLINE_TERMINATION
    reason: str

    def __post_init__(self) -> None:
        require_text(self.reason, "reason")


@dataclass(frozen=True)
class Refer:
    """Pass a non-emergency contact to the agency that handles it."""

    kind: ClassVar[ActionKind] = ActionKind.REFER
    agency: str

    def __post_init__(self) -> None:
        require_text(self.agency, "agency")


@dataclass(frozen=True)
class Transfer:
    """Pass the call to another service. Never a 999 call to 101 (4.12.4)."""

    kind: ClassVar[ActionKind] = ActionKind.TRANSFER
    to: TransferDestination

    def __post_init__(self) -> None:
        _enum(self.to, TransferDestination, "to")


@dataclass(frozen=True)
class HangUp:
    """The caller has gone (reported by telephony or by the handler)."""

    kind: ClassVar[ActionKind] = ActionKind.HANG_UP


@dataclass(frozen=True)
class Reconnect:
    """A landline picked up again within the open-line window rejoins its contact."""

    kind: ClassVar[ActionKind] = ActionKind.RECONNECT
    number: str

    def __post_init__(self) -> None:
        require_e164(self.number)


@dataclass(frozen=True)
class Close:
    """Close the contact once it has an outcome (a reason is needed after a hang-up)."""

    kind: ClassVar[ActionKind] = ActionKind.CLOSE
    reason: str = ""

    def __post_init__(self) -> None:
        require_text(self.reason, "reason", required=False)


@dataclass(frozen=True)
class CloseAccidental:
    """Close a call made by accident (a pocket dial, a misdial), with the reason."""

    kind: ClassVar[ActionKind] = ActionKind.CLOSE_ACCIDENTAL
    reason: str

    def __post_init__(self) -> None:
        require_text(self.reason, "reason")


@dataclass(frozen=True)
class CloseNoResponse:
    """Close a silent call that gave no response to the prompts, with the reason."""

    kind: ClassVar[ActionKind] = ActionKind.CLOSE_NO_RESPONSE
    reason: str

    def __post_init__(self) -> None:
        require_text(self.reason, "reason")


@dataclass(frozen=True)
class Prompt:
    """Prompt a silent caller: cough, tap, press a key, or speak quietly if they can."""

    kind: ClassVar[ActionKind] = ActionKind.PROMPT


@dataclass(frozen=True)
class RecordResponse:
    """What the handler heard after prompting a silent caller."""

    kind: ClassVar[ActionKind] = ActionKind.RECORD_RESPONSE
    response: SilentResponse
    note: str = ""

    def __post_init__(self) -> None:
        _enum(self.response, SilentResponse, "response")
        require_text(self.note, "note", required=False)


@dataclass(frozen=True)
class InferEmergency:
    """The handler judges from what they hear that a silent caller needs the police."""

    kind: ClassVar[ActionKind] = ActionKind.INFER_EMERGENCY
    reason: str

    def __post_init__(self) -> None:
        require_text(self.reason, "reason")


@dataclass(frozen=True)
class AddNote:
    """Add a handler's note."""

    kind: ClassVar[ActionKind] = ActionKind.ADD_NOTE
    text: str

    def __post_init__(self) -> None:
        require_text(self.text, "text")


@dataclass(frozen=True)
class UpdateNarrative:
    """Replace the caller's account with a fuller one (the old one stays in the history)."""

    kind: ClassVar[ActionKind] = ActionKind.UPDATE_NARRATIVE
    text: str

    def __post_init__(self) -> None:
        require_text(self.text, "text")


@dataclass(frozen=True)
class UpdateCaller:
    """Record the caller's name or age band once they are known (the number never changes)."""

    kind: ClassVar[ActionKind] = ActionKind.UPDATE_CALLER
    name: str | None = None
    age_band: AgeBand | None = None

    def __post_init__(self) -> None:
        if self.name is None and self.age_band is None:
            raise InvalidInput("give a name, an age band or both", field="name")
        if self.name is not None:
            require_text(self.name, "name")
        if self.age_band is not None:
            _enum(self.age_band, AgeBand, "age_band")


@dataclass(frozen=True)
class AddLocation:
    """Attach a piece of location evidence."""

    kind: ClassVar[ActionKind] = ActionKind.ADD_LOCATION
    evidence: LocationEvidence

    def __post_init__(self) -> None:
        if not isinstance(self.evidence, LocationEvidence):
            raise InvalidInput("evidence must be a LocationEvidence", field="evidence")


Action = (
    Answer
    | Assess
    | LogIncident
    | Advise
    | Warn
    | Terminate
    | RecordConsiderations
    | FlagVulnerability
    | RequestApproval
    | ApproveTermination
    | DeclineTermination
    | Refer
    | Transfer
    | HangUp
    | Reconnect
    | Close
    | CloseAccidental
    | CloseNoResponse
    | Prompt
    | RecordResponse
    | InferEmergency
    | AddNote
    | UpdateNarrative
    | UpdateCaller
    | AddLocation
    | RecordAnswers
    | Escalate
)

#: Every action class, for run-time checks of what callers pass in.
ACTION_TYPES: tuple[type[Action], ...] = get_args(Action)
