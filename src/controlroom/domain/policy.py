"""The force's policy as a typed, validated model.

A policy is data: paragraphs with their ids and text, the emergency definition, the scripts a
handler reads out, the grading scheme, the agency directory and the triage rulebook. Loading it
from a file is an adapter's job; checking that its parts refer to each other correctly is done
here, by :func:`validate_policy`, so every way of building a policy gets the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from controlroom.domain.errors import PolicyError
from controlroom.domain.references import ReferenceFormat

if TYPE_CHECKING:
    from controlroom.domain.exemplars import ExemplarBank


class Route(StrEnum):
    """Where a contact belongs. Ordered by urgency: see :attr:`rank`."""

    NOT_POLICE = "not_police"
    OTHER_AGENCY = "other_agency"
    POLICE_NON_EMERGENCY = "police_non_emergency"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """0 for not_police up to 3 for emergency; higher is more urgent for the police."""
        return _ROUTE_RANK[self]


_ROUTE_RANK = {
    Route.NOT_POLICE: 0,
    Route.OTHER_AGENCY: 1,
    Route.POLICE_NON_EMERGENCY: 2,
    Route.EMERGENCY: 3,
}


class When(StrEnum):
    """When a matter becomes an emergency.

    ``always``: whenever it is reported, unless the text places it in the past or explicitly
    rules it out; ``present``: when it is happening (progressive verbs, "there is", "just", or an
    explicit now); ``now``: only when the text says so explicitly ("right now", "in progress").
    """

    ALWAYS = "always"
    PRESENT = "present"
    NOW = "now"


class Tense(StrEnum):
    """What a time cue says about the events around it."""

    NOW = "now"  # explicit: "right now", "in progress", "at the moment"
    RECENT = "recent"  # "just", "a minute ago": treated as happening for emergency purposes
    PAST = "past"  # "yesterday", "last week", "came home to find"
    HABITUAL = "habitual"  # "keeps", "every night", "it's happened before"
    REPORTED = "reported"  # "I want to report...": told as a report, not as it unfolds


class VulnerabilityFlag(StrEnum):
    """Vulnerability markers a handler must weigh (DCP-P-042 4.12.3(b) and (c))."""

    CHILD = "child"
    OLDER_PERSON = "older_person"
    MENTAL_HEALTH = "mental_health"
    DISTRESS_OR_TRAUMA = "distress_or_trauma"
    DOMESTIC_ABUSE = "domestic_abuse"
    DISABILITY = "disability"


@dataclass(frozen=True)
class Paragraph:
    """One numbered paragraph of the policy or of the force's public guidance."""

    id: str
    text: str
    title: str = ""


@dataclass(frozen=True)
class Grade:
    """A response grade and its attendance target."""

    id: str
    name: str
    description: str
    target: str
    urban_minutes: int | None = None
    rural_minutes: int | None = None


@dataclass(frozen=True)
class ContactMethod:
    """One way to reach an agency: a phone number, a web address, an app, a place."""

    kind: str  # phone | web | email | text | app | in_person
    value: str
    label: str = ""


@dataclass(frozen=True)
class Agency:
    """Somebody who handles a kind of matter, and how the public reaches them."""

    id: str
    name: str
    handles: str
    contact: tuple[ContactMethod, ...]
    public_advice: str = ""
    police: bool = False  # true for the force's own channels (999, 101, online, stations)


@dataclass(frozen=True)
class ScriptLine:
    """Words a call handler reads out, tied to the paragraph that requires them."""

    id: str
    paragraph: str
    text: str


@dataclass(frozen=True)
class RouteDefault:
    """What a route means when no rule says more: its paragraph, grade and agency."""

    paragraph: str
    grade: str
    agency: str | None = None
    explanation: str = ""


@dataclass(frozen=True)
class Escalation:
    """When a matter becomes an emergency, and under which part of the definition."""

    when: When
    paragraph: str
    group: str
    agency: str | None = None  # the emergency service to send, when not the police


@dataclass(frozen=True)
class MatterRule:
    """A kind of matter recognised in what the public says, and where it belongs.

    ``patterns`` are regular expressions matched case-insensitively on whole words.
    ``route``/``agency``/``grade`` say where the matter goes when it is not an emergency;
    ``emergency`` (optional) says when it becomes one. ``suppresses`` lists rule ids that this,
    more specific, rule cancels when both match in one sentence (e.g. a "stolen parking space" is
    no theft); ``*`` cancels every other matter in the sentence (e.g. a crime in a TV drama).
    """

    id: str
    description: str
    patterns: tuple[str, ...]
    route: Route
    paragraph: str
    group: str
    agency: str | None = None
    grade: str | None = None
    emergency: Escalation | None = None
    suppresses: tuple[str, ...] = ()
    crime: bool = False


@dataclass(frozen=True)
class OverrideRule:
    """Explicit words that rule out part of an emergency ("nobody is hurt", "they've gone").

    ``cancels`` names escalation groups, or ``*`` for every group. ``scope`` is ``text`` (the
    words count wherever they stand) or ``sentence`` (only for matters in the same sentence).
    ``unless_immediate``: the words do not hold back the semantic layer when the text says it
    is happening now or has just happened (an offender who has just left the scene is still an
    emergency).
    """

    id: str
    description: str
    patterns: tuple[str, ...]
    cancels: tuple[str, ...]
    paragraph: str
    scope: str = "text"
    unless_immediate: bool = False


@dataclass(frozen=True)
class TimeCue:
    """Words that place events in time."""

    id: str
    tense: Tense
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class VulnerabilityRule:
    """Words that suggest a vulnerability the handler must weigh."""

    id: str
    flag: VulnerabilityFlag
    description: str
    patterns: tuple[str, ...]
    paragraph: str


@dataclass(frozen=True)
class WordClass:
    """A class of words that plays one part in a situation: a harm verb, an everyday object
    used as a weapon, a person at risk. ``signal``: on its own it is a sign of possible harm
    that a handler must assess, even when nothing else is recognised."""

    id: str
    description: str
    patterns: tuple[str, ...]
    signal: bool = False


@dataclass(frozen=True)
class Frame:
    """A kind of situation recognised by word classes, not phrasings.

    Every class in ``requires`` is found in one sentence, clause or anywhere in the text
    (``scope``), in that order when ``ordered``, and no class of ``unless`` is there. A match
    is read as the matter ``rule`` (whose patterns are empty); its tense is read at the words
    of the first required class. ``marker``: a vulnerability the situation shows (a partner at
    the door is domestic abuse whatever words name it)."""

    rule: MatterRule
    requires: tuple[str, ...]
    unless: tuple[str, ...] = ()
    scope: str = "sentence"
    ordered: bool = False
    marker: VulnerabilityRule | None = None  # a vulnerability the situation itself shows


@dataclass(frozen=True)
class Rulebook:
    """Everything triage needs to read a text, as data."""

    matters: tuple[MatterRule, ...]
    overrides: tuple[OverrideRule, ...] = ()
    time_cues: tuple[TimeCue, ...] = ()
    vulnerabilities: tuple[VulnerabilityRule, ...] = ()
    word_classes: tuple[WordClass, ...] = ()
    frames: tuple[Frame, ...] = ()
    # Words that negate a matter standing within ``negation_window`` words after them.
    negation_cues: tuple[str, ...] = ("no", "not", "never", "without", "nobody", "no one")
    negation_window: int = 4
    name: str = ""


@dataclass(frozen=True)
class Force:
    """Who the policy belongs to."""

    id: str
    name: str
    policy_reference: str
    policy_title: str
    version: str


@dataclass(frozen=True)
class Limits:
    """Input limits every interface applies the same way."""

    max_text_chars: int = 131_072


#: The bounds of :attr:`DigitalEscalation.realert_seconds`.
MIN_REALERT_SECONDS = 1
MAX_REALERT_SECONDS = 3600


@dataclass(frozen=True)
class DigitalEscalation:
    """How long an online report or live chat marked as an emergency may wait untaken before
    supervisors are alerted again (DCP-P-042 sets no figure; the force does)."""

    realert_seconds: int = 30


#: The bounds of :class:`ServiceLevel`: its answer time in seconds and its share in percent.
MAX_SERVICE_SECONDS = 3600
MAX_SERVICE_PERCENT = 100


@dataclass(frozen=True)
class ServiceLevel:
    """An answer target: ``percent`` of a line's answered calls answered within ``seconds``.

    999's is national (90% within 10 s); 101's is each force's own: DCP-P-042 sets none."""

    seconds: int = 60
    percent: int = 80

    @property
    def share(self) -> float:
        """The standard as a share (0.8 for 80%)."""
        return self.percent / 100


#: The bounds of :attr:`WrapUp.seconds`.
MIN_WRAP_UP_SECONDS = 0
MAX_WRAP_UP_SECONDS = 600


@dataclass(frozen=True)
class WrapUp:
    """How long an ended contact stays in its handler's queue for them to finish their notes
    (the console's wrap-up; the handler may finish it sooner)."""

    seconds: int = 60


@dataclass(frozen=True)
class Policy:
    """A force's whole call-handling policy."""

    force: Force
    paragraphs: Mapping[str, Paragraph]
    emergency_definition: tuple[str, ...]
    grades: Mapping[str, Grade]
    agencies: Mapping[str, Agency]
    scripts: Mapping[str, ScriptLine]
    routes: Mapping[Route, RouteDefault]
    rulebook: Rulebook
    citations: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    digital_escalation: DigitalEscalation = field(default_factory=DigitalEscalation)
    service_level_101: ServiceLevel = field(default_factory=ServiceLevel)
    wrap_up: WrapUp = field(default_factory=WrapUp)
    incident_references: ReferenceFormat = field(default_factory=ReferenceFormat)
    # The exemplar bank of triage's semantic layer, when the policy names one.
    exemplars: ExemplarBank | None = None

    def cite(self, key: str) -> str:
        """The paragraph id this force uses for a citation key such as ``inappropriate.warn``.

        Procedures and rulebooks name the parts of a policy by key; each force maps the keys to
        its own paragraph numbers in the ``[citations]`` table of its policy file.
        """
        try:
            return self.citations[key]
        except KeyError:
            raise PolicyError(
                f"policy has no citation {key!r}", hint=f"add {key} to [citations]"
            ) from None

    def paragraph(self, paragraph_id: str) -> Paragraph:
        """The paragraph with this id; raises :class:`PolicyError` when there is none."""
        try:
            return self.paragraphs[paragraph_id]
        except KeyError:
            raise PolicyError(f"policy has no paragraph {paragraph_id!r}") from None

    def script(self, script_id: str) -> ScriptLine:
        """The script line with this id; raises :class:`PolicyError` when there is none."""
        try:
            return self.scripts[script_id]
        except KeyError:
            raise PolicyError(f"policy has no script line {script_id!r}") from None


REQUIRED_SCRIPTS = ("advise", "warn")
REQUIRED_GRADES_HINT = "immediate, priority, scheduled, resolution_without_deployment"
