"""The shape of rulebook files, as Pydantic models, and their conversion to the domain.

The base types (strict models that forbid unknown keys, the format version) are shared with the
policy file's models in :mod:`controlroom.adapters.policy_schema`.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from controlroom.domain.policy import (
    Escalation,
    Frame,
    MatterRule,
    OverrideRule,
    Route,
    Rulebook,
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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def check_format(value: int) -> int:
    if value != FORMAT_VERSION:
        raise ValueError(
            f"this version of controlroom reads format {FORMAT_VERSION} files, not format {value}"
        )
    return value


# --- rulebook file -----------------------------------------------------------------------------


class TimeCueModel(Strict):
    id: Id
    tense: Tense = Field(strict=False)
    patterns: Patterns


class EscalationModel(Strict):
    when: When = Field(strict=False)
    paragraph: Id
    group: Id | None = None  # defaults to the matter's own group
    agency: Id | None = None  # the emergency service to send, when not the police


class MatterModel(Strict):
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


class OverrideModel(Strict):
    id: Id
    description: Text
    patterns: Patterns
    cancels: list[Id] = Field(min_length=1)
    paragraph: Id
    scope: Literal["text", "sentence"] = "text"
    unless_immediate: bool = False


class VulnerabilityModel(Strict):
    id: Id
    flag: VulnerabilityFlag = Field(strict=False)
    description: Text
    paragraph: Id
    patterns: Patterns


class WordClassModel(Strict):
    id: Id
    description: Text
    patterns: Patterns
    signal: bool = False


class FrameModel(Strict):
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


class RulebookModel(Strict):
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
        return check_format(value)


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


_FLAG_PARAGRAPH = {
    VulnerabilityFlag.CHILD: "vulnerability.age",
    VulnerabilityFlag.OLDER_PERSON: "vulnerability.age",
}


def to_rulebook(rb: RulebookModel, cite: Callable[[str], str]) -> Rulebook:
    """The domain rulebook; ``cite`` resolves a paragraph reference through ``[citations]``."""

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
    return Rulebook(
        matters=matters,
        overrides=tuple(
            OverrideRule(
                id=o.id,
                description=o.description,
                patterns=tuple(o.patterns),
                cancels=tuple(o.cancels),
                paragraph=cite(o.paragraph),
                scope=o.scope,
                unless_immediate=o.unless_immediate,
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
