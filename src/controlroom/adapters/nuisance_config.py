"""The ``[nuisance]`` table of a policy file: detection thresholds, the escalation ladder, the
force's time zone and its document templates (docs/nuisance.md).

The table is optional: without it a force gets :class:`NuisanceRules` defaults, the default
ladder (advice, warning letter, PECS request, prosecution file), ``Europe/London`` and the
shipped template set named after the force's id when there is one, else the default set.
Problems come out as a :class:`PolicyFileError`, one ``FILE: nuisance.field: problem`` line
each, like the rest of the policy file.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controlroom.adapters.documents.render import TEMPLATE_ROOT, template_sets
from controlroom.adapters.policy_reading import PolicyFileError, PolicyProblem
from controlroom.adapters.policy_sections import locate_policy, read_policy_toml
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.config import (
    DEFAULT_LADDER,
    Approval,
    DocumentKind,
    Ladder,
    LadderRules,
    LadderStep,
    NuisanceConfig,
)
from controlroom.domain.nuisance.rules import Confidence, NuisanceKind, NuisanceRules
from controlroom.domain.policy import Policy, VulnerabilityFlag

_DEFAULTS = NuisanceRules()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RulesModel(_Strict):
    faulty_window_hours: int = Field(default=_DEFAULTS.faulty_window_hours, ge=1)
    faulty_min_calls: int = Field(default=_DEFAULTS.faulty_min_calls, ge=1)
    short_call_seconds: int = Field(default=_DEFAULTS.short_call_seconds, ge=0)
    regular_max_variation: float = Field(default=_DEFAULTS.regular_max_variation, gt=0)
    regular_min_intervals: int = Field(default=_DEFAULTS.regular_min_intervals, ge=1)
    emergency_grace_minutes: int = Field(default=_DEFAULTS.emergency_grace_minutes, ge=0)
    vulnerable_window_days: int = Field(default=_DEFAULTS.vulnerable_window_days, ge=1)
    vulnerable_min_calls: int = Field(default=_DEFAULTS.vulnerable_min_calls, ge=1)
    deliberate_window_days: int = Field(default=_DEFAULTS.deliberate_window_days, ge=1)
    deliberate_min_terminated: int = Field(default=_DEFAULTS.deliberate_min_terminated, ge=1)
    deliberate_min_hoax: int = Field(default=_DEFAULTS.deliberate_min_hoax, ge=1)
    deliberate_min_abusive: int = Field(default=_DEFAULTS.deliberate_min_abusive, ge=1)
    persistence_after_warning: bool = _DEFAULTS.persistence_after_warning


_LADDER_DEFAULTS = LadderRules()
FlagName = Literal["faulty_device", "vulnerable_person"]
MarkerName = Literal[
    "child", "older_person", "mental_health", "distress_or_trauma", "domestic_abuse", "disability"
]
GuardedDocument = Literal["warning_letter", "pecs_request", "prosecution_summary"]


class SafeguardsModel(_Strict):
    # None: the domain's defaults (LadderRules)
    blocking_flags: list[FlagName] | None = None
    faulty_min_confidence: Literal["low", "medium", "high"] = (
        _LADDER_DEFAULTS.faulty_min_confidence.value
    )
    vulnerable_markers: list[MarkerName] | None = None
    guarded_documents: list[GuardedDocument] | None = None
    min_calls_between_steps: int = Field(default=_LADDER_DEFAULTS.min_calls_between_steps, ge=0)
    min_hours_between_steps: int = Field(
        default=_LADDER_DEFAULTS.min_hours_between_steps, ge=0, le=24 * 366
    )

    def to_rules(self) -> LadderRules:
        """The domain's :class:`LadderRules` for this table."""
        base = _LADDER_DEFAULTS
        flags, markers, documents = (
            self.blocking_flags,
            self.vulnerable_markers,
            self.guarded_documents,
        )
        return LadderRules(
            blocking_flags=base.blocking_flags
            if flags is None
            else frozenset(NuisanceKind(k) for k in flags),
            faulty_min_confidence=Confidence(self.faulty_min_confidence),
            vulnerable_markers=base.vulnerable_markers
            if markers is None
            else frozenset(VulnerabilityFlag(m) for m in markers),
            guarded_documents=base.guarded_documents
            if documents is None
            else frozenset(DocumentKind(d) for d in documents),
            min_calls_between_steps=self.min_calls_between_steps,
            min_hours_between_steps=self.min_hours_between_steps,
        )


DocumentName = Literal[
    "warning_letter", "pecs_request", "safeguarding_referral", "prosecution_summary", "none"
]


class StepModel(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    approval: Literal["supervisor", "none"] = "none"
    disconnects: bool = False
    document: DocumentName = "none"
    paragraph: str = Field(default="nuisance", min_length=1)


class NuisanceModel(_Strict):
    tz: str = "Europe/London"
    templates: str | None = None
    rules: RulesModel = Field(default_factory=RulesModel)
    safeguards: SafeguardsModel = Field(default_factory=SafeguardsModel)
    ladder: list[StepModel] | None = Field(default=None, min_length=1)


def load_nuisance_config(reference: str | Path, policy: Policy | None = None) -> NuisanceConfig:
    """The nuisance configuration in a policy file (a shipped name or a path).

    With ``policy`` (the same file, loaded), every ladder step's paragraph must resolve in it.
    """
    path, display = locate_policy(reference)
    raw = read_policy_toml(path, display)
    problems: list[PolicyProblem] = []

    def problem(field: str | None, message: str) -> None:
        problems.append(PolicyProblem(path, display, field, message))

    table = raw.get("nuisance", {})
    if not isinstance(table, dict):
        raise PolicyFileError(path, "must be a table", field="nuisance", display=display)
    try:
        model = NuisanceModel.model_validate(table)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            problem(_dotted(loc), _message(loc, error["type"], str(error["msg"]), table))
        raise PolicyFileError.from_problems(problems) from None

    ladder = Ladder(DEFAULT_LADDER.steps, rules=model.safeguards.to_rules())
    if model.ladder is not None:
        steps: list[LadderStep] = []
        for index, item in enumerate(model.ladder):
            try:
                steps.append(_step(item))
            except InvalidInput as exc:
                key = (exc.field or "id").rsplit(".", 1)[-1]
                problem(
                    f"nuisance.ladder[{index}].{key}", f"{exc.message} (entry with id {item.id!r})"
                )
        if len(steps) == len(model.ladder):
            try:
                ladder = Ladder(tuple(steps), rules=ladder.rules)
            except InvalidInput as exc:
                problem("nuisance.ladder", exc.message)
    try:
        ZoneInfo(model.tz)
    except (ZoneInfoNotFoundError, ValueError):
        problem("nuisance.tz", f"unknown time zone {model.tz!r}; use a name like Europe/London")
    force = raw.get("force", {})
    force_id = force.get("id") if isinstance(force, dict) else None
    templates = _templates(model.templates, path, force_id, problem)
    if policy is not None and not problems:
        for line in ladder.check(policy):
            field, _, message = line.partition(": ")
            problem(f"nuisance.{field}", message)
    if problems:
        raise PolicyFileError.from_problems(problems)
    return NuisanceConfig(
        rules=NuisanceRules(**model.rules.model_dump()),
        ladder=ladder,
        tz=model.tz,
        templates=templates,
    )


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = "nuisance"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _message(loc: tuple[int | str, ...], kind: str, text: str, table: dict[str, Any]) -> str:
    if kind == "extra_forbidden":
        model: type[BaseModel] = NuisanceModel
        if loc[:1] == ("rules",):
            model = RulesModel
        elif loc[:1] == ("safeguards",):
            model = SafeguardsModel
        elif loc[:1] == ("ladder",):
            model = StepModel
        allowed = list(model.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            return f"unknown key; did you mean {close[0]!r}?"
        return "unknown key; allowed keys here: " + ", ".join(allowed)
    text = text.removeprefix("Value error, ")
    message = text[:1].lower() + text[1:]
    if loc[:1] == ("ladder",) and len(loc) > 1 and isinstance(loc[1], int):
        steps = table.get("ladder")
        entry = steps[loc[1]] if isinstance(steps, list) and loc[1] < len(steps) else None
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            message += f" (entry with id {entry['id']!r})"
    return message


def _step(item: StepModel) -> LadderStep:
    return LadderStep(
        id=item.id,
        name=item.name,
        description=item.description,
        approval=Approval(item.approval),
        disconnects=item.disconnects,
        document=None if item.document == "none" else DocumentKind(item.document),
        paragraph=item.paragraph,
    )


def _templates(value: str | None, path: Path, force_id: Any, problem: Any) -> str | None:
    """The template directory: relative to the policy file, or a shipped set by name."""
    shipped = template_sets()
    if value is None:
        if isinstance(force_id, str) and force_id in shipped:
            return str(TEMPLATE_ROOT / force_id)
        return None
    local = path.parent / value
    if local.is_dir():
        return str(local.resolve())
    if value in shipped:
        return str(TEMPLATE_ROOT / value)
    problem(
        "nuisance.templates",
        f"no directory {value!r} next to the policy file and no shipped template set of that "
        f"name (shipped: {', '.join(sorted(shipped))})",
    )
    return None
