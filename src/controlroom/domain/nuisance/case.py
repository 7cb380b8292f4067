"""What a nuisance case holds and what can be done to it: states, actions, records and events.

The aggregate that moves a case is :class:`~controlroom.domain.nuisance.ladder.NuisanceCase`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from controlroom.domain.contacts.values import Actor, require_text
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.config import DocumentKind
from controlroom.domain.nuisance.history import CallSummary
from controlroom.domain.nuisance.identifiers import Identifier, IdentifierKind
from controlroom.domain.nuisance.rules import Confidence, NuisanceFlag, NuisanceKind
from controlroom.domain.nuisance.states import TAGS as TAGS
from controlroom.domain.nuisance.states import CaseAction as CaseAction
from controlroom.domain.nuisance.states import CaseState as CaseState
from controlroom.domain.nuisance.states import NuisanceTag as NuisanceTag
from controlroom.domain.policy import VulnerabilityFlag

# --- actions -----------------------------------------------------------------------------------


def _reason(value: str, field: str = "reason") -> None:
    require_text(value, field)


@dataclass(frozen=True)
class Assess:
    """Record what detection found (or a handler judged): the kinds, with the evidence.

    ``faulty_confidence`` is how sure a faulty-device flag is, and ``markers`` the
    vulnerability markers of the calls behind a vulnerable-person flag; a handler's own
    judgement leaves them unknown, which the ladder's safeguards treat as the strongest.
    """

    kind: ClassVar[CaseAction] = CaseAction.ASSESS
    kinds: frozenset[NuisanceKind]
    evidence: tuple[str, ...] = ()
    faulty_confidence: Confidence | None = None
    markers: frozenset[VulnerabilityFlag] = frozenset()

    def __post_init__(self) -> None:
        kinds = frozenset(self.kinds)
        if not kinds or any(not isinstance(k, NuisanceKind) for k in kinds):
            raise InvalidInput("an assessment names at least one nuisance kind", field="kinds")
        object.__setattr__(self, "kinds", kinds)
        object.__setattr__(self, "evidence", tuple(self.evidence))
        for line in self.evidence:
            require_text(line, "evidence")
        if self.faulty_confidence is not None and not isinstance(
            self.faulty_confidence, Confidence
        ):
            raise InvalidInput("unknown confidence", field="faulty_confidence")
        markers = frozenset(self.markers)
        if any(not isinstance(m, VulnerabilityFlag) for m in markers):
            raise InvalidInput("unknown vulnerability marker", field="markers")
        object.__setattr__(self, "markers", markers)

    @classmethod
    def from_flags(cls, flags: Iterable[NuisanceFlag], calls: Sequence[CallSummary] = ()) -> Assess:
        """The assessment for detection's flags, every sentence of evidence kept, with the
        faulty-device flag's confidence and the markers of the vulnerable calls in ``calls``."""
        flags = list(flags)
        evidence = tuple(f"{f.kind.value}: {line}" for f in flags for line in f.evidence)
        confidence = next(
            (f.confidence for f in flags if f.kind is NuisanceKind.FAULTY_DEVICE), None
        )
        vulnerable = {
            cid for f in flags if f.kind is NuisanceKind.VULNERABLE_PERSON for cid in f.contact_ids
        }
        markers = frozenset(
            marker
            for call in calls
            if call.contact_id in vulnerable
            for marker in call.vulnerability
        )
        return cls(frozenset(f.kind for f in flags), evidence, confidence, markers)


@dataclass(frozen=True)
class Propose:
    """Propose the next step of the ladder for a supervisor's approval."""

    kind: ClassVar[CaseAction] = CaseAction.PROPOSE
    step: str
    reason: str

    def __post_init__(self) -> None:
        require_text(self.step, "step")
        _reason(self.reason)


@dataclass(frozen=True)
class Approve:
    """A supervisor approves the proposed step."""

    kind: ClassVar[CaseAction] = CaseAction.APPROVE
    note: str = ""

    def __post_init__(self) -> None:
        require_text(self.note, "note", required=False)


@dataclass(frozen=True)
class Reject:
    """A supervisor rejects the proposed (or withdraws the approved) step, saying why."""

    kind: ClassVar[CaseAction] = CaseAction.REJECT
    reason: str

    def __post_init__(self) -> None:
        _reason(self.reason)


@dataclass(frozen=True)
class Record:
    """A step was carried out: the letter sent, the request made, the file passed on."""

    kind: ClassVar[CaseAction] = CaseAction.RECORD
    step: str
    note: str

    def __post_init__(self) -> None:
        require_text(self.step, "step")
        _reason(self.note, "note")


@dataclass(frozen=True)
class OverrideVulnerability:
    """A supervisor allows a disconnecting step despite a vulnerable-person flag."""

    kind: ClassVar[CaseAction] = CaseAction.OVERRIDE_VULNERABILITY
    reason: str

    def __post_init__(self) -> None:
        _reason(self.reason)


@dataclass(frozen=True)
class LinkIdentifier:
    """The caller now uses another number or handset: link it, keeping the case's history."""

    kind: ClassVar[CaseAction] = CaseAction.LINK_IDENTIFIER
    identifier: Identifier
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.identifier, Identifier):
            raise InvalidInput("identifier must be an Identifier", field="identifier")
        _reason(self.reason)


@dataclass(frozen=True)
class GenerateDocument:
    """A document was produced for the case, under a reference."""

    kind: ClassVar[CaseAction] = CaseAction.GENERATE_DOCUMENT
    document: DocumentKind
    reference: str

    def __post_init__(self) -> None:
        if not isinstance(self.document, DocumentKind):
            raise InvalidInput(f"unknown document {self.document!r}", field="document")
        require_text(self.reference, "reference")


@dataclass(frozen=True)
class Close:
    """Close the case, saying why."""

    kind: ClassVar[CaseAction] = CaseAction.CLOSE
    reason: str

    def __post_init__(self) -> None:
        _reason(self.reason)


@dataclass(frozen=True)
class Reopen:
    """Reopen a closed case, saying why; the steps taken before still count."""

    kind: ClassVar[CaseAction] = CaseAction.REOPEN
    reason: str

    def __post_init__(self) -> None:
        _reason(self.reason)


CaseCommand = (
    Assess
    | Propose
    | Approve
    | Reject
    | Record
    | OverrideVulnerability
    | LinkIdentifier
    | GenerateDocument
    | Close
    | Reopen
)
COMMAND_TYPES = (
    Assess,
    Propose,
    Approve,
    Reject,
    Record,
    OverrideVulnerability,
    LinkIdentifier,
    GenerateDocument,
    Close,
    Reopen,
)


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedIdentifier:
    """A number or IMEI the case is kept under, since when, by whom and why."""

    identifier: Identifier
    actor: Actor
    at: datetime
    reason: str


@dataclass(frozen=True)
class Pending:
    """The step waiting for approval (``approved_by`` unset) or to be carried out."""

    step: str
    proposed_by: Actor
    proposed_at: datetime
    reason: str
    approved_by: Actor | None = None
    approved_at: datetime | None = None
    approval_note: str = ""


@dataclass(frozen=True)
class StepTaken:
    """A step carried out, with its proposal and approval when it needed one."""

    step: str
    recorded_by: Actor
    at: datetime
    note: str
    proposed_by: Actor | None = None
    proposed_at: datetime | None = None
    approved_by: Actor | None = None
    approved_at: datetime | None = None


@dataclass(frozen=True)
class SafeguardOverride:
    """A supervisor's explicit decision to allow disconnection despite vulnerability."""

    reason: str
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class DocumentIssued:
    """A document produced for the case."""

    document: DocumentKind
    reference: str
    step: str | None
    actor: Actor
    at: datetime


@dataclass(frozen=True)
class CaseEntry:
    """One applied action: who, when, from which state to which, and what it recorded."""

    seq: int
    action: CaseAction
    actor: Actor
    at: datetime
    from_state: CaseState | None
    to_state: CaseState
    details: Mapping[str, str]


@dataclass(frozen=True)
class CaseRecord:
    """Everything a case holds, as one immutable value: what a repository stores."""

    id: str
    identifiers: tuple[LinkedIdentifier, ...]
    state: CaseState
    opened_at: datetime
    kinds: frozenset[NuisanceKind] = frozenset()
    vulnerable_at: datetime | None = None  # when a vulnerable-person flag was last recorded
    markers: frozenset[VulnerabilityFlag] = frozenset()  # of the calls behind that flag
    faulty_at: datetime | None = None  # when a faulty-device flag was last recorded
    faulty_confidence: Confidence | None = None  # its confidence; None when not known
    pending: Pending | None = None
    steps: tuple[StepTaken, ...] = ()
    overrides: tuple[SafeguardOverride, ...] = ()
    documents: tuple[DocumentIssued, ...] = ()
    history: tuple[CaseEntry, ...] = ()

    @property
    def number(self) -> str | None:
        """The latest number linked to the case, if any."""
        numbers = [i.identifier.value for i in self.identifiers if i.identifier.kind is _NUMBER]
        return numbers[-1] if numbers else None

    @property
    def imei(self) -> str | None:
        """The latest IMEI linked to the case, if any."""
        imeis = [i.identifier.value for i in self.identifiers if i.identifier.kind is _IMEI]
        return imeis[-1] if imeis else None

    @property
    def vulnerability_unresolved(self) -> bool:
        """True while a vulnerable-person flag stands with no supervisor override after it."""
        if self.vulnerable_at is None:
            return False
        return not self.overridden_since(self.vulnerable_at)

    @property
    def faulty_unresolved(self) -> bool:
        """True while a faulty-device flag stands with no supervisor override after it."""
        return self.faulty_at is not None and not self.overridden_since(self.faulty_at)

    def overridden_since(self, flagged_at: datetime) -> bool:
        """True when a supervisor recorded an override at or after ``flagged_at``."""
        return any(override.at >= flagged_at for override in self.overrides)

    def last_override(self) -> SafeguardOverride | None:
        """The latest supervisor's override, if any."""
        return self.overrides[-1] if self.overrides else None


_NUMBER = IdentifierKind.NUMBER
_IMEI = IdentifierKind.IMEI


@dataclass(frozen=True, kw_only=True)
class CaseEvent:
    """What an applied action tells the audit log: the tag, the subject and the details."""

    case_id: str
    seq: int
    action: CaseAction
    tag: NuisanceTag
    actor: Actor
    at: datetime
    from_state: CaseState | None
    to_state: CaseState
    details: Mapping[str, str]

    @property
    def subject(self) -> str:
        """The audit subject: ``nuisance_case:<id>``."""
        return f"nuisance_case:{self.case_id}"

    def audit_details(self) -> dict[str, str]:
        """The details as the audit row stores them, with the move."""
        out = dict(self.details)
        out["from_state"] = self.from_state.value if self.from_state else ""
        out["to_state"] = self.to_state.value
        out["seq"] = str(self.seq)
        return out
