"""The ``[online_reporting]`` table of a policy file: the force's online report types (Open311
services), their questions, the reference prefix and the public notices (docs/open311.md).

The table is optional: without it a force takes no reports online, and its reference prefix is
the initials of its id (``devon-cornwall``: ``DC``). Problems come out as a
:class:`PolicyFileError`, one ``FILE: online_reporting.field: problem`` line each, like the
rest of the policy file.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controlroom.adapters.policy_reading import PolicyFileError, PolicyProblem
from controlroom.adapters.policy_schema import allowed_keys
from controlroom.adapters.policy_sections import locate_policy, read_policy_toml
from controlroom.domain.policy import Policy
from controlroom.domain.reporting import (
    DEFAULT_NOTICE,
    EMERGENCY_NOTICE,
    Attribute,
    AttributeValue,
    Datatype,
    ReportingConfig,
    ReportType,
    ServiceType,
)

TABLE = "online_reporting"
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ValueModel(_Strict):
    key: Text
    name: Text


class AttributeModel(_Strict):
    code: Text
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    description: Text
    required: bool = False
    order: int | None = Field(default=None, ge=1)
    variable: bool = True
    datatype_description: str = ""
    values: list[ValueModel] = Field(default_factory=list)


class ReportTypeModel(_Strict):
    service_code: Text
    service_name: Text
    description: Text
    group: str = ""
    keywords: list[str] = Field(default_factory=list)
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    agency: str | None = None
    service_notice: str = ""
    attributes: list[AttributeModel] = Field(default_factory=list)


class OnlineReportingModel(_Strict):
    reference_prefix: str | None = None
    service_notice: str = DEFAULT_NOTICE
    emergency_notice: str = EMERGENCY_NOTICE
    location_decimals: int = 2
    report_types: list[ReportTypeModel] = Field(default_factory=list)


def load_reporting_config(reference: str | Path, policy: Policy | None = None) -> ReportingConfig:
    """The online reporting configuration in a policy file (a shipped name or a path).

    With ``policy`` (the same file, loaded), every agency named must be in its directory.
    """
    path, display = locate_policy(reference)
    raw = read_policy_toml(path, display)
    problems: list[PolicyProblem] = []
    table = raw.get(TABLE, {})
    if not isinstance(table, dict):
        raise PolicyFileError(path, "must be a table", field=TABLE, display=display)
    try:
        model = OnlineReportingModel.model_validate(table)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            message = _message(loc, error["type"], str(error["msg"]))
            problems.append(PolicyProblem(path, display, _dotted(loc), message))
        raise PolicyFileError.from_problems(problems) from None
    force = raw.get("force", {})
    force_id = force.get("id") if isinstance(force, dict) else None
    config = ReportingConfig(
        report_types=tuple(_report_type(item) for item in model.report_types),
        reference_prefix=model.reference_prefix or default_prefix(force_id),
        service_notice=model.service_notice,
        emergency_notice=model.emergency_notice,
        location_decimals=model.location_decimals,
    )
    if policy is not None:
        for line in config.check(policy):
            field, _, message = line.partition(": ")
            problems.append(PolicyProblem(path, display, f"{TABLE}.{field}", message))
    if problems:
        raise PolicyFileError.from_problems(problems)
    return config


def default_prefix(force_id: object) -> str:
    """The initials of a force id, upper case (``devon-cornwall``: ``DC``); ``CR`` without."""
    if not isinstance(force_id, str):
        return "CR"
    initials = "".join(part[0] for part in force_id.replace("_", "-").split("-") if part)
    letters = "".join(char for char in initials.upper() if "A" <= char <= "Z")[:4]
    return letters or "CR"


def _report_type(item: ReportTypeModel) -> ReportType:
    return ReportType(
        service_code=item.service_code,
        service_name=item.service_name,
        description=item.description,
        group=item.group,
        keywords=tuple(item.keywords),
        type=ServiceType(item.type),
        agency=item.agency,
        service_notice=item.service_notice,
        attributes=tuple(
            Attribute(
                code=attribute.code,
                datatype=Datatype(attribute.datatype),
                description=attribute.description,
                required=attribute.required,
                order=attribute.order or index + 1,
                variable=attribute.variable,
                datatype_description=attribute.datatype_description,
                values=tuple(AttributeValue(value.key, value.name) for value in attribute.values),
            )
            for index, attribute in enumerate(item.attributes)
        ),
    )


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = TABLE
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _message(loc: tuple[int | str, ...], kind: str, text: str) -> str:
    if kind == "extra_forbidden":
        allowed = allowed_keys(OnlineReportingModel, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            return f"unknown key; did you mean {close[0]!r}?"
        return "unknown key; allowed keys here: " + ", ".join(allowed)
    text = text.removeprefix("Value error, ")
    return text[:1].lower() + text[1:]
