"""The shape of policy and rulebook files, as Pydantic models, and their conversion to the domain.

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

from pydantic import BaseModel, ConfigDict, Field, field_validator

from controlroom.domain.policy import (
    Agency,
    ContactMethod,
    Escalation,
    Force,
    Frame,
    Grade,
    Limits,
    MatterRule,
    OverrideRule,
    Paragraph,
    Policy,
    Route,
    RouteDefault,
    Rulebook,
    ScriptLine,
    Tense,
    TimeCue,
    VulnerabilityFlag,
    VulnerabilityRule,
    When,
    WordClass,
)

FORMAT_VERSION = 1

Id = typing.Annotated[str, Field(min_length=1)]
Text = typing.Annotated[str, Field(min_length=1)]
Patterns = typing.Annotated[list[Text], Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _check_format(value: int) -> int:
    if value != FORMAT_VERSION:
        raise ValueError(
            f"this version of controlroom reads format {FORMAT_VERSION} files, not format {value}"
        )
    return value


# --- policy file -------------------------------------------------------------------------------


class ForceModel(_Strict):
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


class LimitsModel(_Strict):
    max_text_chars: int = Field(default=131_072, gt=0)


class TriageModel(_Strict):
    rulebook: Text


class ParagraphModel(_Strict):
    id: Id
    text: Text
    title: str = ""


class GradeModel(_Strict):
    id: Id
    name: Text
    description: Text
    target: Text
    urban_minutes: int | None = Field(default=None, gt=0)
    rural_minutes: int | None = Field(default=None, gt=0)


ContactKind = Literal["phone", "web", "email", "text", "app", "in_person"]


class ContactModel(_Strict):
    kind: ContactKind
    value: Text
    label: str = ""


class AgencyModel(_Strict):
    id: Id
    name: Text
    handles: Text
    contact: list[ContactModel] = Field(min_length=1)
    public_advice: str = ""
    police: bool = False


class ScriptModel(_Strict):
    paragraph: Id
    text: Text


class RouteModel(_Strict):
    paragraph: Id
    grade: Id
    agency: Id | None = None
    explanation: str = ""


class RoutesModel(_Strict):
    emergency: RouteModel
    police_non_emergency: RouteModel
    other_agency: RouteModel
    not_police: RouteModel


class PolicyModel(_Strict):
    format: int
    emergency_definition: list[Id] = Field(min_length=1)
    force: ForceModel
    limits: LimitsModel = Field(default_factory=LimitsModel)
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

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        return _check_format(value)


# --- rulebook file -----------------------------------------------------------------------------


class TimeCueModel(_Strict):
    id: Id
    tense: Tense = Field(strict=False)
    patterns: Patterns


class EscalationModel(_Strict):
    when: When = Field(strict=False)
    paragraph: Id
    group: Id | None = None  # defaults to the matter's own group
    agency: Id | None = None  # the emergency service to send, when not the police


class MatterModel(_Strict):
    id: Id
    description: Text
    group: Id
    route: Route = Field(strict=False)
    paragraph: Id
    patterns: Patterns
    agency: Id | None = None
    grade: Id | None = None
    crime: bool = False
    suppresses: list[Id] = Field(default_factory=list)
    emergency: EscalationModel | None = None


class OverrideModel(_Strict):
    id: Id
    description: Text
    patterns: Patterns
    cancels: list[Id] = Field(min_length=1)
    paragraph: Id
    scope: Literal["text", "sentence"] = "text"


class VulnerabilityModel(_Strict):
    id: Id
    flag: VulnerabilityFlag = Field(strict=False)
    description: Text
    paragraph: Id
    patterns: Patterns


class WordClassModel(_Strict):
    id: Id
    description: Text
    patterns: Patterns
    signal: bool = False


class FrameModel(_Strict):
    id: Id
    description: Text
    group: Id
    route: Route = Field(strict=False)
    paragraph: Id
    requires: list[Id] = Field(min_length=1)
    unless: list[Id] = Field(default_factory=list)
    scope: Literal["sentence", "clause", "text"] = "sentence"
    ordered: bool = False
    flag: VulnerabilityFlag | None = Field(default=None, strict=False)
    agency: Id | None = None
    grade: Id | None = None
    crime: bool = False
    suppresses: list[Id] = Field(default_factory=list)
    emergency: EscalationModel | None = None


class RulebookModel(_Strict):
    format: int
    name: Text
    negation_cues: list[Text] | None = None
    negation_window: int | None = Field(default=None, ge=0)
    time_cues: list[TimeCueModel] = Field(default_factory=list)
    matters: list[MatterModel] = Field(min_length=1)
    overrides: list[OverrideModel] = Field(default_factory=list)
    vulnerabilities: list[VulnerabilityModel] = Field(default_factory=list)
    word_classes: list[WordClassModel] = Field(default_factory=list)
    frames: list[FrameModel] = Field(default_factory=list)

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        return _check_format(value)


def paragraph_fields(rulebook: RulebookModel) -> list[tuple[str, str]]:
    """Every paragraph reference in a rulebook, as (dotted field, value) in file order."""
    out: list[tuple[str, str]] = []
    for i, matter in enumerate(rulebook.matters):
        out.append((f"matters[{i}].paragraph", matter.paragraph))
        if matter.emergency is not None:
            out.append((f"matters[{i}].emergency.paragraph", matter.emergency.paragraph))
    for i, frame in enumerate(rulebook.frames):
        out.append((f"frames[{i}].paragraph", frame.paragraph))
        if frame.emergency is not None:
            out.append((f"frames[{i}].emergency.paragraph", frame.emergency.paragraph))
    out += [(f"overrides[{i}].paragraph", o.paragraph) for i, o in enumerate(rulebook.overrides)]
    out += [
        (f"vulnerabilities[{i}].paragraph", v.paragraph)
        for i, v in enumerate(rulebook.vulnerabilities)
    ]
    return out


# --- to the domain model ----------------------------------------------------------------------


_FLAG_PARAGRAPH = {
    VulnerabilityFlag.CHILD: "vulnerability.age",
    VulnerabilityFlag.OLDER_PERSON: "vulnerability.age",
}


def to_policy(model: PolicyModel, rb: RulebookModel) -> Policy:
    """The domain policy; every paragraph reference is resolved through ``[citations]``."""
    citations = dict(model.citations)

    def cite(value: str) -> str:
        return citations.get(value, value)

    def matter(m: MatterModel | FrameModel) -> MatterRule:
        return MatterRule(
            id=m.id,
            description=m.description,
            patterns=tuple(m.patterns) if isinstance(m, MatterModel) else (),
            route=m.route,
            paragraph=cite(m.paragraph),
            group=m.group,
            agency=m.agency,
            grade=m.grade,
            emergency=None
            if m.emergency is None
            else Escalation(
                when=m.emergency.when,
                paragraph=cite(m.emergency.paragraph),
                group=m.emergency.group or m.group,
                agency=m.emergency.agency,
            ),
            suppresses=tuple(m.suppresses),
            crime=m.crime,
        )

    matters = tuple(matter(m) for m in rb.matters)
    options: dict[str, Any] = {}
    if rb.negation_cues is not None:
        options["negation_cues"] = tuple(rb.negation_cues)
    if rb.negation_window is not None:
        options["negation_window"] = rb.negation_window
    rulebook = Rulebook(
        matters=matters,
        overrides=tuple(
            OverrideRule(
                id=o.id,
                description=o.description,
                patterns=tuple(o.patterns),
                cancels=tuple(o.cancels),
                paragraph=cite(o.paragraph),
                scope=o.scope,
            )
            for o in rb.overrides
        ),
        time_cues=tuple(
            TimeCue(id=c.id, tense=c.tense, patterns=tuple(c.patterns)) for c in rb.time_cues
        ),
        vulnerabilities=tuple(
            VulnerabilityRule(
                id=v.id,
                flag=v.flag,
                description=v.description,
                patterns=tuple(v.patterns),
                paragraph=cite(v.paragraph),
            )
            for v in rb.vulnerabilities
        ),
        word_classes=tuple(
            WordClass(
                id=w.id, description=w.description, patterns=tuple(w.patterns), signal=w.signal
            )
            for w in rb.word_classes
        ),
        frames=tuple(
            Frame(
                rule=matter(f),
                requires=tuple(f.requires),
                unless=tuple(f.unless),
                scope=f.scope,
                ordered=f.ordered,
                marker=None
                if f.flag is None
                else VulnerabilityRule(
                    id=f.id,
                    flag=f.flag,
                    description=f.description,
                    patterns=(),
                    paragraph=cite(_FLAG_PARAGRAPH.get(f.flag, "vulnerability.condition")),
                ),
            )
            for f in rb.frames
        ),
        name=rb.name,
        **options,
    )
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
