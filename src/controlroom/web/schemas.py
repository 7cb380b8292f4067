"""Request and response bodies of the HTTP API, documented field by field for OpenAPI."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SkipValidation

from controlroom.domain.policy import Route, VulnerabilityFlag
from controlroom.domain.triage import Channel, Confidence, Level, ReasonKind

MAX_BATCH = 1000
CHANNELS = ", ".join(channel.value for channel in Channel)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _scalar_id(value: Any) -> Any:
    if isinstance(value, dict | list):
        raise ValueError("id must be a string, a number, true, false or null")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("id must be a finite number")
    if isinstance(value, str) and _SURROGATE.search(value):
        raise ValueError("id contains an unpaired surrogate (not valid Unicode)")
    return value


ContactId = Annotated[
    str | int | Annotated[float, Field(allow_inf_nan=False)] | bool | None,
    BeforeValidator(_scalar_id),
    Field(
        description="Your identifier for the contact (any JSON scalar); echoed back unchanged.",
        examples=["INC-2024-000123"],
    ),
]

EXAMPLE_DECISION: dict[str, Any] = {
    "id": "INC-2024-000123",
    "route": "emergency",
    "grade": "immediate",
    "agency": "police-999",
    "summary": "Emergency (4.11.1(b)): burglary or a break-in. Immediate (Grade 1).",
    "policy": "DCP-P-042",
    "vulnerability": [],
    "thrive": {
        "threat": {"level": "high", "note": "crime or violence happening now"},
        "harm": {"level": "high", "note": "risk of serious harm to a person or property now"},
        "risk": {"level": "high", "note": "immediate response needed"},
        "investigation": {"level": "high", "note": "offender may be at the scene now"},
        "vulnerability": {"level": "low", "note": "no vulnerability identified in the text"},
        "engagement": {"level": "high", "note": "deploy now; keep the caller on the line"},
    },
    "reasons": [
        {
            "kind": "time",
            "paragraph": "4.11.1(b)",
            "rule": "explicit-now",
            "explanation": "'right now' says it is happening now",
            "evidence": {"start": 34, "end": 43, "text": "right now"},
        },
        {
            "kind": "escalation",
            "paragraph": "4.11.1(b)",
            "rule": "burglary",
            "explanation": "Burglary or a break-in is an emergency when it is happening now",
            "evidence": {"start": 11, "end": 24, "text": "breaking into"},
        },
    ],
}


class TriageRequest(BaseModel):
    """One contact to triage."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "INC-2024-000123",
                    "text": "Someone is breaking into my house right now, he has a knife",
                    "channel": "999",
                }
            ]
        }
    )

    text: str = Field(
        description=(
            "What the caller or reporter said, as text. Must not be empty, must stay within the "
            "policy's character limit, and must not contain control characters other than tab "
            "and line breaks."
        ),
        examples=["Someone is breaking into my house right now, he has a knife"],
    )
    channel: str = Field(
        default=Channel.NINE_NINE_NINE.value,
        description=f"How the contact came in; one of: {CHANNELS}.",
        examples=["999"],
    )
    id: ContactId = None


class BatchRequest(BaseModel):
    """Up to 1,000 contacts to triage in one request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contacts": [
                        {"id": 1, "text": "Someone is breaking into my house right now"},
                        {"id": 2, "text": "My neighbour is playing loud music", "channel": "101"},
                    ]
                }
            ]
        }
    )

    # Items are checked one by one in the route, so one bad item gives an error object in its
    # place instead of failing the whole batch; the schema still documents their shape.
    contacts: Annotated[
        list[SkipValidation[TriageRequest]],
        Field(
            max_length=MAX_BATCH,
            description=f"The contacts, at most {MAX_BATCH:,}. Answered in the same order.",
        ),
    ]


class Evidence(BaseModel):
    """The words of the text that triggered a reason."""

    start: int = Field(description="Offset of the first character, counted from 0.")
    end: int = Field(description="Offset just past the last character.")
    text: str = Field(description="The characters start..end of the contact's text.")


class ReasonOut(BaseModel):
    """One step of the explanation."""

    kind: ReasonKind = Field(description="What part the reason played in the decision.")
    paragraph: str = Field(description="The policy paragraph applied, e.g. 4.11.1.")
    rule: str = Field(description="The id of the rule that applied.")
    explanation: str = Field(description="Why the rule applied, in words.")
    evidence: Evidence | None = Field(
        default=None, description="The words that triggered the rule; null for a default."
    )


class ThriveFactorOut(BaseModel):
    """A THRIVE factor: its level and why."""

    level: Level = Field(description="low, medium or high.")
    note: str = Field(description="Why this level; may be empty.")


class ThriveOut(BaseModel):
    """The THRIVE assessment: threat, harm, risk, investigation, vulnerability, engagement."""

    threat: ThriveFactorOut = Field(description="Threat to a person or property.")
    harm: ThriveFactorOut = Field(description="Harm done or likely.")
    risk: ThriveFactorOut = Field(description="Risk if nothing is done now.")
    investigation: ThriveFactorOut = Field(description="Investigative opportunity.")
    vulnerability: ThriveFactorOut = Field(description="Vulnerability of those involved.")
    engagement: ThriveFactorOut = Field(description="How the force should engage.")


class QuestionOut(BaseModel):
    """One of the emergency questions a handler asks when triage is unsure."""

    id: str = Field(description="danger, now, offender or weapon.")
    text: str = Field(description="The question, in words.")
    paragraph: str = Field(description="The policy paragraph of the clause it comes from.")


class DecisionOut(BaseModel):
    """Where a contact belongs under the force's policy, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_DECISION]})

    id: ContactId = None
    route: Route = Field(description="emergency, police_non_emergency, other_agency or not_police.")
    grade: str = Field(description="The response grade's id in the policy's grading scheme.")
    agency: str | None = Field(
        description="The agency's id in the policy's directory, or null when none applies."
    )
    summary: str = Field(description="The decision in one sentence.")
    policy: str = Field(description="The reference of the policy applied, e.g. DCP-P-042.")
    vulnerability: list[VulnerabilityFlag] = Field(
        description="Vulnerability markers found in the text."
    )
    thrive: ThriveOut = Field(description="The THRIVE assessment.")
    reasons: list[ReasonOut] = Field(description="The explanation, step by step, with evidence.")
    confidence: Confidence = Field(
        default=Confidence.RECOGNISED,
        description="recognised, weak (only signs of possible harm) or unrecognised (nothing).",
    )
    needs_assessment: bool = Field(
        default=False, description="True when the handler must ask the emergency questions."
    )
    questions: list[QuestionOut] = Field(
        default_factory=list, description="The emergency questions to ask, when assessing."
    )


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str = Field(description="A stable machine-readable code, e.g. invalid_input.")
    message: str = Field(description="What is wrong, in words.")
    field: str | None = Field(default=None, description="The field at fault, when known.")
    hint: str | None = Field(default=None, description="How to put it right, when known.")


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


class ItemError(BaseModel):
    """A batch item that could not be triaged."""

    id: ContactId = None
    index: int = Field(description="The item's position in contacts, counted from 0.")
    error: ErrorDetail


class BatchResponse(BaseModel):
    """One result per contact, in the order sent: a decision or an error."""

    results: list[DecisionOut | ItemError] = Field(
        description="For each contact, its decision or, when it could not be triaged, an error."
    )
