"""A force's nuisance-call configuration: detection thresholds, the escalation ladder, templates.

The exact warning stages for nuisance callers differ between forces, so the ladder is data: an
ordered list of steps, each saying whether it needs a supervisor's approval, whether it asks for
the line to be disconnected, which document it produces and which paragraph it rests on. It is
read from the optional ``[nuisance]`` table of the policy file (docs/nuisance.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from controlroom.domain.contacts.values import require_text
from controlroom.domain.errors import InvalidInput, PolicyError
from controlroom.domain.nuisance.flags import Confidence, NuisanceKind
from controlroom.domain.nuisance.rules import NuisanceRules
from controlroom.domain.policy import Policy, VulnerabilityFlag

_STEP_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class DocumentKind(StrEnum):
    """The documents the nuisance procedure produces."""

    WARNING_LETTER = "warning_letter"
    PECS_REQUEST = "pecs_request"
    SAFEGUARDING_REFERRAL = "safeguarding_referral"
    PROSECUTION_SUMMARY = "prosecution_summary"

    @property
    def heading(self) -> str:
        """The document's title in plain words."""
        return _TITLES[self]


_TITLES = {
    DocumentKind.WARNING_LETTER: "Warning letter: misuse of the 999 service",
    DocumentKind.PECS_REQUEST: "Request for temporary disconnection under PECS",
    DocumentKind.SAFEGUARDING_REFERRAL: "Safeguarding referral",
    DocumentKind.PROSECUTION_SUMMARY: "Prosecution evidence summary",
}


class Approval(StrEnum):
    """Who must approve a step before it is taken."""

    NONE = "none"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class LadderStep:
    """One rung of the escalation ladder.

    ``paragraph`` is a citation key (``nuisance``, ``misuse.offence``) or a paragraph id of the
    force's policy. A step that ``disconnects`` must need a supervisor's approval, and a PECS
    request document is only produced by a step that disconnects.
    """

    id: str
    name: str
    description: str = ""
    approval: Approval = Approval.NONE
    disconnects: bool = False
    document: DocumentKind | None = None
    paragraph: str = "nuisance"

    def __post_init__(self) -> None:
        where = f"ladder.{self.id}"
        if not isinstance(self.id, str) or not _STEP_ID.fullmatch(self.id):
            raise InvalidInput(
                f"step id {self.id!r} is not valid",
                field="ladder.id",
                hint="use lower-case letters, digits, '_' or '-'",
            )
        require_text(self.name, f"{where}.name")
        require_text(self.description, f"{where}.description", required=False)
        require_text(self.paragraph, f"{where}.paragraph")
        if not isinstance(self.approval, Approval):
            raise InvalidInput(f"unknown approval {self.approval!r}", field=f"{where}.approval")
        if self.document is not None and not isinstance(self.document, DocumentKind):
            raise InvalidInput(f"unknown document {self.document!r}", field=f"{where}.document")
        if self.disconnects and self.approval is not Approval.SUPERVISOR:
            raise InvalidInput(
                f"step {self.id!r} asks for a disconnection, so it needs a supervisor's approval",
                field=f"{where}.approval",
                hint='set approval = "supervisor"',
            )
        if self.document is DocumentKind.PECS_REQUEST and not self.disconnects:
            raise InvalidInput(
                f"step {self.id!r} produces a PECS disconnection request, so it disconnects",
                field=f"{where}.disconnects",
                hint="set disconnects = true",
            )

    @property
    def needs_approval(self) -> bool:
        """True when a supervisor must approve the step before it is taken."""
        return self.approval is Approval.SUPERVISOR


CONFIDENCE_ORDER = (Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH)


@dataclass(frozen=True)
class LadderRules:
    """The ladder's safeguards, as policy data (``[nuisance.safeguards]``).

    A step that produces one of ``guarded_documents`` (a warning letter, a PECS request), or
    that disconnects, is refused while the case stands flagged with one of ``blocking_flags``
    and no supervisor's override came after the flag: a faulty device flagged with at least
    ``faulty_min_confidence``, a vulnerable person whose calls carry one of
    ``vulnerable_markers`` (or whose markers are not known). A step that produces a document
    also needs new evidence since the last such step was recorded: at least
    ``min_calls_between_steps`` calls after it, and ``min_hours_between_steps`` hours.
    """

    blocking_flags: frozenset[NuisanceKind] = frozenset(
        {NuisanceKind.FAULTY_DEVICE, NuisanceKind.VULNERABLE_PERSON}
    )
    faulty_min_confidence: Confidence = Confidence.LOW
    vulnerable_markers: frozenset[VulnerabilityFlag] = frozenset(
        {VulnerabilityFlag.MENTAL_HEALTH, VulnerabilityFlag.CHILD, VulnerabilityFlag.OLDER_PERSON}
    )
    guarded_documents: frozenset[DocumentKind] = frozenset(
        {DocumentKind.WARNING_LETTER, DocumentKind.PECS_REQUEST}
    )
    min_calls_between_steps: int = 1
    min_hours_between_steps: int = 168

    def __post_init__(self) -> None:
        sets = (
            ("blocking_flags", NuisanceKind),
            ("vulnerable_markers", VulnerabilityFlag),
            ("guarded_documents", DocumentKind),
        )
        for name, kind in sets:
            values = frozenset(getattr(self, name))
            if any(not isinstance(value, kind) for value in values):
                known = ", ".join(item.value for item in kind)
                raise InvalidInput(
                    f"{name} holds a value that is not one of {known}",
                    field=f"safeguards.{name}",
                )
            object.__setattr__(self, name, values)
        if NuisanceKind.DELIBERATE_MISUSE in self.blocking_flags:
            raise InvalidInput(
                "blocking_flags names deliberate_misuse: misuse is what the ladder is for",
                field="safeguards.blocking_flags",
                hint="list faulty_device and/or vulnerable_person",
            )
        if not isinstance(self.faulty_min_confidence, Confidence):
            raise InvalidInput(
                "faulty_min_confidence must be low, medium or high",
                field="safeguards.faulty_min_confidence",
            )
        for name in ("min_calls_between_steps", "min_hours_between_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(
                    f"{name} must be a whole number, 0 or more", field=f"safeguards.{name}"
                )

    def guards(self, step: LadderStep) -> bool:
        """True when the flag safeguard applies to ``step``: a letter, a request, a cut-off."""
        return step.disconnects or step.document in self.guarded_documents

    def faulty_blocks(self, confidence: Confidence | None) -> bool:
        """True when a faulty-device flag of ``confidence`` (``None``: not known) blocks."""
        if NuisanceKind.FAULTY_DEVICE not in self.blocking_flags:
            return False
        if confidence is None:
            return True  # not known: assume the strongest
        rank = CONFIDENCE_ORDER.index
        return rank(confidence) >= rank(self.faulty_min_confidence)

    def markers_block(self, markers: frozenset[VulnerabilityFlag]) -> bool:
        """True when a vulnerable-person flag with ``markers`` (empty: not known) blocks."""
        if NuisanceKind.VULNERABLE_PERSON not in self.blocking_flags:
            return False
        return not markers or bool(markers & self.vulnerable_markers)


@dataclass(frozen=True)
class Ladder:
    """The escalation ladder: steps in order, lowest first, and its safeguards."""

    steps: tuple[LadderStep, ...]
    rules: LadderRules = field(default_factory=LadderRules)

    def __post_init__(self) -> None:
        if not isinstance(self.rules, LadderRules):
            raise InvalidInput("the ladder's rules must be LadderRules", field="safeguards")
        steps = tuple(self.steps)
        if not steps:
            raise InvalidInput("the escalation ladder needs at least one step", field="ladder")
        seen: set[str] = set()
        for step in steps:
            if not isinstance(step, LadderStep):
                raise InvalidInput("ladder steps must be LadderStep values", field="ladder")
            if step.id in seen:
                raise InvalidInput(f"step id {step.id!r} is used twice", field="ladder")
            seen.add(step.id)
        object.__setattr__(self, "steps", steps)

    def step(self, step_id: str) -> LadderStep:
        """The step with this id; :class:`InvalidInput` naming the steps when there is none."""
        for step in self.steps:
            if step.id == step_id:
                return step
        known = ", ".join(step.id for step in self.steps)
        raise InvalidInput(
            f"the escalation ladder has no step {step_id!r}", field="step", hint=f"use {known}"
        )

    def index(self, step_id: str) -> int:
        """The position of a step, 0 for the lowest."""
        return self.steps.index(self.step(step_id))

    def with_document(self, kind: DocumentKind) -> tuple[LadderStep, ...]:
        """The steps that produce a document of ``kind``."""
        return tuple(step for step in self.steps if step.document is kind)

    def check(self, policy: Policy) -> list[str]:
        """Problems with the ladder against ``policy``: each paragraph must resolve."""
        return [
            f"ladder.{step.id}.paragraph: {step.paragraph!r} is neither a citation key nor a "
            "paragraph id of the policy"
            for step in self.steps
            if paragraph_for(policy, step.paragraph) is None
        ]


def paragraph_for(policy: Policy, reference: str) -> str | None:
    """The paragraph id ``reference`` (a citation key or paragraph id) names, or ``None``."""
    if reference in policy.citations:
        return policy.citations[reference]
    return reference if reference in policy.paragraphs else None


def cite(policy: Policy, reference: str) -> str:
    """Like :func:`paragraph_for`, but raises :class:`PolicyError` when it does not resolve."""
    found = paragraph_for(policy, reference)
    if found is None:
        raise PolicyError(f"policy has no citation or paragraph {reference!r}")
    return found


DEFAULT_LADDER = Ladder(
    (
        LadderStep(
            id="advice",
            name="Advice at the call",
            description="The call handler explains what 999 is for and how to reach the police "
            "for anything that is not an emergency.",
        ),
        LadderStep(
            id="warning_letter",
            name="Warning letter",
            description="A letter to the caller: the calls, that they must stop, and that "
            "persistent misuse of 999 is an offence.",
            approval=Approval.SUPERVISOR,
            document=DocumentKind.WARNING_LETTER,
        ),
        LadderStep(
            id="pecs_request",
            name="PECS temporary-disconnection request",
            description="A request to the communications provider to disconnect the line "
            "temporarily, under the Public Emergency Call Service arrangements.",
            approval=Approval.SUPERVISOR,
            disconnects=True,
            document=DocumentKind.PECS_REQUEST,
        ),
        LadderStep(
            id="prosecution_file",
            name="Prosecution file",
            description="An evidence summary for a prosecution for persistent misuse of a "
            "public electronic communications network.",
            approval=Approval.SUPERVISOR,
            document=DocumentKind.PROSECUTION_SUMMARY,
            paragraph="misuse.offence",
        ),
    )
)


@dataclass(frozen=True)
class NuisanceConfig:
    """Everything a force configures about nuisance callers.

    ``tz`` is the force's time zone (its "today"); ``templates`` the directory of its document
    templates, or ``None`` for the shipped default set.
    """

    rules: NuisanceRules = field(default_factory=NuisanceRules)
    ladder: Ladder = DEFAULT_LADDER
    tz: str = "Europe/London"
    templates: str | None = None
