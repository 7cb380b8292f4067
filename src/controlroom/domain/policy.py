"""The force's policy as a typed, validated model.

A policy is data: paragraphs with their ids and text, the emergency definition, the scripts a
handler reads out, the grading scheme, the agency directory and the triage rulebook. Loading it
from a file is an adapter's job; checking that its parts refer to each other correctly is done
here, by :func:`validate_policy`, so every way of building a policy gets the same checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from controlroom.domain.errors import PolicyError

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
    """

    id: str
    description: str
    patterns: tuple[str, ...]
    cancels: tuple[str, ...]
    paragraph: str
    scope: str = "text"


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


def validate_policy(policy: Policy) -> list[str]:
    """Every inconsistency in ``policy``, each as ``field: problem``; empty when it is sound.

    Checks that everything referred to exists (paragraphs, grades, agencies, escalation groups,
    suppressed rules), that every route has a default, that the scripts 4.12.4 and 4.12.5 need
    are there, and that every pattern compiles.
    """
    problems: list[str] = []

    def need_paragraph(where: str, pid: str) -> None:
        if pid not in policy.paragraphs:
            problems.append(f"{where}: paragraph {pid!r} is not defined in [[paragraphs]]")

    def need_grade(where: str, gid: str | None) -> None:
        if gid is not None and gid not in policy.grades:
            problems.append(f"{where}: grade {gid!r} is not defined in [[grades]]")

    def need_agency(where: str, aid: str | None) -> None:
        if aid is not None and aid not in policy.agencies:
            problems.append(f"{where}: agency {aid!r} is not defined in [[agencies]]")

    def need_patterns(where: str, patterns: tuple[str, ...]) -> None:
        if not patterns:
            problems.append(f"{where}.patterns: at least one pattern is needed")
        for i, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(f"{where}.patterns[{i}]: not a valid regular expression ({exc})")

    for key, pid in policy.citations.items():
        need_paragraph(f"citations.{key}", pid)
    for i, pid in enumerate(policy.emergency_definition):
        need_paragraph(f"emergency_definition[{i}]", pid)
    if not policy.emergency_definition:
        problems.append("emergency_definition: list the paragraphs that define an emergency")
    for sid in REQUIRED_SCRIPTS:
        if sid not in policy.scripts:
            problems.append(f"scripts: the {sid!r} script line is required")
    for sid, line in policy.scripts.items():
        need_paragraph(f"scripts.{sid}", line.paragraph)
    for route in Route:
        default = policy.routes.get(route)
        if default is None:
            problems.append(f"routes.{route.value}: a default for this route is required")
            continue
        need_paragraph(f"routes.{route.value}", default.paragraph)
        need_grade(f"routes.{route.value}", default.grade)
        need_agency(f"routes.{route.value}", default.agency)

    rulebook = policy.rulebook
    framed = [frame.rule for frame in rulebook.frames]
    rule_ids = [rule.id for rule in (*rulebook.matters, *framed)]
    groups = {rule.emergency.group for rule in (*rulebook.matters, *framed) if rule.emergency}
    seen: set[str] = set()
    for rule in (*rulebook.matters, *framed):
        kind = "frames" if rule in framed else "matters"
        where = f"rulebook.{kind}.{rule.id}"
        if rule.id in seen:
            problems.append(f"{where}: the id is used by more than one rule")
        seen.add(rule.id)
        need_paragraph(where, rule.paragraph)
        need_grade(where, rule.grade)
        need_agency(where, rule.agency)
        if kind == "matters":
            need_patterns(where, rule.patterns)
        if rule.route is Route.EMERGENCY:
            problems.append(f"{where}.route: use [emergency] to say when a matter is an emergency")
        if rule.route is Route.OTHER_AGENCY and rule.agency is None:
            problems.append(f"{where}.agency: an other_agency rule must name the agency")
        if rule.emergency is not None:
            need_paragraph(f"{where}.emergency", rule.emergency.paragraph)
            need_agency(f"{where}.emergency", rule.emergency.agency)
        for target in rule.suppresses:
            if target != "*" and target not in rule_ids:
                problems.append(f"{where}.suppresses: no rule has the id {target!r}")
    _check_frames(rulebook, problems, need_patterns)
    for override in rulebook.overrides:
        where = f"rulebook.overrides.{override.id}"
        need_paragraph(where, override.paragraph)
        need_patterns(where, override.patterns)
        if override.scope not in ("text", "sentence"):
            problems.append(f"{where}.scope: must be 'text' or 'sentence'")
        for group in override.cancels:
            if group != "*" and group not in groups:
                problems.append(f"{where}.cancels: no emergency rule has the group {group!r}")
    for cue in rulebook.time_cues:
        need_patterns(f"rulebook.time_cues.{cue.id}", cue.patterns)
    for vulnerability in rulebook.vulnerabilities:
        where = f"rulebook.vulnerabilities.{vulnerability.id}"
        need_paragraph(where, vulnerability.paragraph)
        need_patterns(where, vulnerability.patterns)
    if policy.limits.max_text_chars < 1:
        problems.append("limits.max_text_chars: must be a positive number of characters")
    return problems


def _check_frames(
    rulebook: Rulebook, problems: list[str], need_patterns: Callable[[str, tuple[str, ...]], None]
) -> None:
    """Word classes compile and are named once; frames name only word classes that exist."""
    classes: set[str] = set()
    for word_class in rulebook.word_classes:
        where = f"rulebook.word_classes.{word_class.id}"
        if word_class.id in classes:
            problems.append(f"{where}: the id is used by more than one word class")
        classes.add(word_class.id)
        need_patterns(where, word_class.patterns)
    for frame in rulebook.frames:
        where = f"rulebook.frames.{frame.rule.id}"
        if not frame.requires:
            problems.append(f"{where}.requires: name at least one word class")
        for name in (*frame.requires, *frame.unless):
            if name not in classes:
                problems.append(f"{where}: no word class has the id {name!r}")
        if frame.scope not in ("sentence", "clause", "text"):
            problems.append(f"{where}.scope: must be 'sentence', 'clause' or 'text'")


def check_policy(policy: Policy) -> Policy:
    """Return ``policy`` unchanged if it is sound; raise :class:`PolicyError` listing problems."""
    problems = validate_policy(policy)
    if problems:
        raise PolicyError("; ".join(problems), hint="fix each field named and load again")
    return policy
