"""The shape of policy files, as Pydantic models, and their conversion to the domain (the
rulebook file's are in :mod:`controlroom.adapters.rulebook_schema`).

These models check structure only: required keys, types, allowed values and unknown keys (every
model forbids extra keys, so a typo in a key is an error). Whether the parts refer to each other
correctly is checked on the domain model by :func:`controlroom.domain.policy.validate_policy`.
Lists are used rather than tuples, and validation is strict, because TOML already has types:
a number in quotes is a mistake worth reporting, not something to coerce.
"""

from __future__ import annotations

import datetime
import types
import typing
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, field_validator

from controlroom.adapters.rulebook_schema import (
    FORMAT_VERSION,
    EscalationModel,
    FrameModel,
    Id,
    MatterModel,
    OverrideModel,
    Patterns,
    RulebookModel,
    Strict,
    Text,
    TimeCueModel,
    VulnerabilityModel,
    WordClassModel,
    check_format,
    paragraph_fields,
    to_rulebook,
)
from controlroom.domain.policy import (
    MAX_REALERT_SECONDS,
    MAX_SERVICE_PERCENT,
    MAX_SERVICE_SECONDS,
    MAX_WRAP_UP_SECONDS,
    MIN_REALERT_SECONDS,
    MIN_WRAP_UP_SECONDS,
    Agency,
    ContactMethod,
    DigitalEscalation,
    Force,
    Grade,
    Limits,
    Paragraph,
    Policy,
    Route,
    RouteDefault,
    ScriptLine,
    ServiceLevel,
    WrapUp,
)
from controlroom.domain.references import PREFIX as REFERENCE_PREFIX
from controlroom.domain.references import ReferenceFormat

__all__ = [  # the rulebook's models are re-exported: callers read both files through here
    "FORMAT_VERSION",
    "EscalationModel",
    "FrameModel",
    "Id",
    "MatterModel",
    "OverrideModel",
    "Patterns",
    "PolicyModel",
    "RulebookModel",
    "Text",
    "TimeCueModel",
    "VulnerabilityModel",
    "WordClassModel",
    "allowed_keys",
    "check_format",
    "paragraph_fields",
    "to_policy",
]

# --- policy file -------------------------------------------------------------------------------


class ForceModel(Strict):
    id: Id
    name: Text
    policy_reference: Text
    policy_title: Text
    version: Text

    @field_validator("version", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        # ``version = 2026-01-23`` without quotes is a TOML date: accept it as its ISO text.
        if isinstance(value, datetime.date | datetime.datetime):
            return value.isoformat()
        return value


class LimitsModel(Strict):
    max_text_chars: int = Field(default=131_072, gt=0)


class DigitalEscalationModel(Strict):
    realert_seconds: int = Field(default=30, ge=MIN_REALERT_SECONDS, le=MAX_REALERT_SECONDS)


class ServiceLevelModel(Strict):
    seconds: int = Field(default=60, ge=1, le=MAX_SERVICE_SECONDS)
    percent: int = Field(default=80, ge=1, le=MAX_SERVICE_PERCENT)


class WrapUpModel(Strict):
    seconds: int = Field(default=60, ge=MIN_WRAP_UP_SECONDS, le=MAX_WRAP_UP_SECONDS)


class IncidentReferencesModel(Strict):
    prefix: str = "INC"
    digits: int = Field(default=4, ge=3, le=8)
    time_zone: Text = "Europe/London"

    @field_validator("prefix")
    @classmethod
    def _capitals(cls, value: str) -> str:
        if not REFERENCE_PREFIX.fullmatch(value):
            raise ValueError(f'{value!r} is not 1-6 capital letters: write it like "DC"')
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as Europe/London"
            ) from None
        return value


class TriageModel(Strict):
    rulebook: Text
    exemplars: Text | list[Text] | None = None


class ParagraphModel(Strict):
    id: Id
    text: Text
    title: str = ""


class GradeModel(Strict):
    id: Id
    name: Text
    description: Text
    target: Text
    urban_minutes: int | None = Field(default=None, gt=0)
    rural_minutes: int | None = Field(default=None, gt=0)


ContactKind = Literal["phone", "web", "email", "text", "app", "in_person"]


class ContactModel(Strict):
    kind: ContactKind
    value: Text
    label: str = ""


class AgencyModel(Strict):
    id: Id
    name: Text
    handles: Text
    contact: list[ContactModel] = Field(min_length=1)
    public_advice: str = ""
    police: bool = False


class ScriptModel(Strict):
    paragraph: Id
    text: Text


class RouteModel(Strict):
    paragraph: Id
    grade: Id
    agency: Id | None = None
    explanation: str = ""


class RoutesModel(Strict):
    emergency: RouteModel
    police_non_emergency: RouteModel
    other_agency: RouteModel
    not_police: RouteModel


class PolicyModel(Strict):
    format: int
    emergency_definition: list[Id] = Field(min_length=1)
    force: ForceModel
    limits: LimitsModel = Field(default_factory=LimitsModel)
    digital_escalation: DigitalEscalationModel = Field(default_factory=DigitalEscalationModel)
    service_level_101: ServiceLevelModel = Field(default_factory=ServiceLevelModel)
    wrap_up: WrapUpModel = Field(default_factory=WrapUpModel)
    incident_references: IncidentReferencesModel = Field(default_factory=IncidentReferencesModel)
    triage: TriageModel
    citations: dict[str, Id] = Field(default_factory=dict)
    paragraphs: list[ParagraphModel] = Field(min_length=1)
    grades: list[GradeModel] = Field(min_length=1)
    scripts: dict[str, ScriptModel]
    routes: RoutesModel
    agencies: list[AgencyModel] = Field(default_factory=list)
    # Read and checked by controlroom.adapters.nuisance_config; passed over here.
    nuisance: dict[str, Any] | None = None
    # Read and checked by controlroom.adapters.reporting_config; passed over here.
    online_reporting: dict[str, Any] | None = None
    # Read and checked by controlroom.adapters.mait.partners_file; passed over here.
    mait: dict[str, Any] | None = None
    # Read and checked by controlroom.adapters.retention_config; passed over here.
    retention: dict[str, Any] | None = None

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        return check_format(value)


# --- to the domain model ----------------------------------------------------------------------


def to_policy(model: PolicyModel, rb: RulebookModel) -> Policy:
    """The domain policy; every paragraph reference is resolved through ``[citations]``."""
    citations = dict(model.citations)

    def cite(value: str) -> str:
        return citations.get(value, value)

    rulebook = to_rulebook(rb, cite)
    routes = {
        route: RouteDefault(
            paragraph=cite(r.paragraph), grade=r.grade, agency=r.agency, explanation=r.explanation
        )
        for route in Route
        for r in (getattr(model.routes, route.value),)
    }
    return Policy(
        force=Force(**model.force.model_dump()),
        paragraphs={p.id: Paragraph(id=p.id, text=p.text, title=p.title) for p in model.paragraphs},
        emergency_definition=tuple(cite(pid) for pid in model.emergency_definition),
        grades={g.id: Grade(**g.model_dump()) for g in model.grades},
        agencies={
            a.id: Agency(
                id=a.id,
                name=a.name,
                handles=a.handles,
                contact=tuple(ContactMethod(c.kind, c.value, c.label) for c in a.contact),
                public_advice=a.public_advice,
                police=a.police,
            )
            for a in model.agencies
        },
        scripts={
            sid: ScriptLine(id=sid, paragraph=cite(s.paragraph), text=s.text)
            for sid, s in model.scripts.items()
        },
        routes=routes,
        rulebook=rulebook,
        citations=citations,
        limits=Limits(max_text_chars=model.limits.max_text_chars),
        digital_escalation=DigitalEscalation(model.digital_escalation.realert_seconds),
        service_level_101=ServiceLevel(**model.service_level_101.model_dump()),
        wrap_up=WrapUp(model.wrap_up.seconds),
        incident_references=ReferenceFormat(**model.incident_references.model_dump()),
    )


# --- helpers for error messages ----------------------------------------------------------------


def allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed in the table at ``loc`` (a Pydantic error location) of ``model``.

    Used to suggest the intended key when a file has an unknown one. Empty when ``loc`` does not
    lead to a table with fixed keys.
    """
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            if typing.get_origin(current) is not list or not args:
                return []
            current = args[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            info = current.model_fields.get(part)
            if info is None:
                return []
            current = info.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` as plain ``X``."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation
