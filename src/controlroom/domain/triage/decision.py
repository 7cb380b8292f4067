"""What triage answers: a route, a grade, an agency, THRIVE, vulnerability flags and reasons."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from controlroom.domain.policy import Route, VulnerabilityFlag


class Channel(StrEnum):
    """How a contact reached the force."""

    NINE_NINE_NINE = "999"
    ONE_ZERO_ONE = "101"
    SILENT_SOLUTION_55 = "silent_solution_55"
    LANDLINE_OPEN_LINE = "landline_open_line"
    BSL_999 = "bsl_999"
    RELAY_UK_18000 = "relay_uk_18000"
    EMERGENCY_SMS = "emergency_sms"
    ONLINE_REPORT = "online_report"
    LIVE_CHAT = "live_chat"

    @property
    def is_emergency_line(self) -> bool:
        """True for every route into the 999 service (voice, silent, BSL, relay, SMS)."""
        return self not in (Channel.ONE_ZERO_ONE, Channel.ONLINE_REPORT, Channel.LIVE_CHAT)


class ReasonKind(StrEnum):
    """What part a reason played in the decision."""

    INDICATOR = "indicator"  # a matter recognised in the text
    ESCALATION = "escalation"  # that matter, at that time, is an emergency
    OVERRIDE = "override"  # explicit words ruled part of an emergency out
    NEGATION = "negation"  # the matter was mentioned only to be denied
    TIME = "time"  # words that placed the matter in time
    SUPPRESSION = "suppression"  # a more specific matter cancelled a general one
    VULNERABILITY = "vulnerability"
    DEFAULT = "default"  # nothing recognised: the route's default applies
    CHANNEL = "channel"  # what the route means for the channel used (e.g. an inappropriate 999)
    SIGNAL = "signal"  # a sign of possible harm (a weapon, an injury, an intrusion) to assess
    ASSESSMENT = "assessment"  # triage is not sure: the handler must ask the questions
    HANDLER = "handler"  # the handler's answer to one of the emergency questions
    SEMANTIC = "semantic"  # the exemplar bank: a kind of situation close to what was said


class Confidence(StrEnum):
    """How sure triage is of its route.

    ``recognised``: the route rests on a matter or situation found in the text, with no sign of
    harm left unexplained. ``weak``: only signs of possible harm were found, or a harmless
    matter with signs of harm beside it. ``unrecognised``: nothing in the text was recognised.
    A weak or unrecognised decision always needs the handler's assessment.
    """

    RECOGNISED = "recognised"
    WEAK = "weak"
    UNRECOGNISED = "unrecognised"


class Answer(StrEnum):
    """A handler's answer to one of the emergency questions."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Question:
    """One of the questions of the emergency definition a handler asks when triage is unsure."""

    id: str
    text: str
    paragraph: str


class Level(StrEnum):
    """A THRIVE level."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Span:
    """Characters ``start``..``end`` (exclusive) of the contact's text, and those characters."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Reason:
    """One step of the explanation: the paragraph, the rule, and the words that triggered it."""

    kind: ReasonKind
    paragraph: str
    rule: str
    explanation: str
    evidence: Span | None = None


@dataclass(frozen=True)
class ThriveFactor:
    """One THRIVE factor: a level and why."""

    level: Level
    note: str


@dataclass(frozen=True)
class Thrive:
    """The national THRIVE assessment: threat, harm, risk, investigation, vulnerability,
    engagement."""

    threat: ThriveFactor
    harm: ThriveFactor
    risk: ThriveFactor
    investigation: ThriveFactor
    vulnerability: ThriveFactor
    engagement: ThriveFactor


@dataclass(frozen=True)
class Decision:
    """The answer for one contact, with everything needed to explain it."""

    route: Route
    grade: str
    agency: str | None
    thrive: Thrive
    vulnerability: tuple[VulnerabilityFlag, ...]
    reasons: tuple[Reason, ...]
    summary: str
    policy: str
    confidence: Confidence = Confidence.RECOGNISED
    needs_assessment: bool = False
    questions: tuple[Question, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The decision as plain JSON-ready data."""
        return {
            "route": self.route.value,
            "grade": self.grade,
            "agency": self.agency,
            "summary": self.summary,
            "policy": self.policy,
            "confidence": self.confidence.value,
            "needs_assessment": self.needs_assessment,
            "questions": [
                {"id": q.id, "text": q.text, "paragraph": q.paragraph} for q in self.questions
            ],
            "vulnerability": [flag.value for flag in self.vulnerability],
            "thrive": {
                name: {"level": factor.level.value, "note": factor.note}
                for name, factor in (
                    ("threat", self.thrive.threat),
                    ("harm", self.thrive.harm),
                    ("risk", self.thrive.risk),
                    ("investigation", self.thrive.investigation),
                    ("vulnerability", self.thrive.vulnerability),
                    ("engagement", self.thrive.engagement),
                )
            },
            "reasons": [
                {
                    "kind": reason.kind.value,
                    "paragraph": reason.paragraph,
                    "rule": reason.rule,
                    "explanation": reason.explanation,
                    "evidence": None
                    if reason.evidence is None
                    else {
                        "start": reason.evidence.start,
                        "end": reason.evidence.end,
                        "text": reason.evidence.text,
                    },
                }
                for reason in self.reasons
            ],
        }
