"""The ``[retention]`` table of a policy file: how long each kind of record is kept and what
is done when the period has run (docs/retention.md).

Every kind must be given: a force states each period rather than inheriting one by accident.
Problems come out as a :class:`PolicyFileError`, one ``FILE: retention.field: problem`` line
each, like the rest of the policy file. Without the table, :func:`load_retention_policy`
returns None and nothing is ever removed.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from controlroom.adapters.policy_reading import PolicyFileError, PolicyProblem
from controlroom.adapters.policy_sections import locate_policy, read_policy_toml
from controlroom.domain.retention import ALLOWED, Action, Kind, RetentionPolicy, Rule

TABLE = "retention"
#: The longest period accepted: a century (MoPI's longest review horizon).
MAX_DAYS = 36525


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RuleModel(_Strict):
    after_days: int = Field(ge=1, le=MAX_DAYS)
    action: Literal["delete", "anonymise", "keep"]


class RetentionModel(_Strict):
    contacts: RuleModel
    contacts_with_incident: RuleModel
    free_text: RuleModel
    nuisance_cases: RuleModel
    audit: RuleModel

    @model_validator(mode="after")
    def _free_text_first(self) -> RetentionModel:
        if self.free_text.after_days > self.contacts.after_days:
            raise ValueError(
                "free_text.after_days must not be longer than contacts.after_days: "
                "free text goes first"
            )
        return self


def load_retention_policy(reference: str | Path) -> RetentionPolicy | None:
    """The retention rules in a policy file (a shipped name or a path); None without a
    ``[retention]`` table."""
    path, display = locate_policy(reference)
    raw = read_policy_toml(path, display)
    if TABLE not in raw:
        return None
    table = raw[TABLE]
    if not isinstance(table, dict):
        raise PolicyFileError(path, "must be a table", field=TABLE, display=display)
    try:
        model = RetentionModel.model_validate(table)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(str(part) for part in error["loc"])
            where = ".".join((TABLE, *loc))
            problems.append(PolicyProblem(path, display, where, _message(loc, error)))
        raise PolicyFileError.from_problems(problems) from None
    rules: dict[Kind, Rule] = {}
    problems = []
    for kind in Kind:
        given: RuleModel = getattr(model, kind.value)
        action = Action(given.action)
        if action not in ALLOWED[kind]:
            allowed = " or ".join(repr(item.value) for item in ALLOWED[kind])
            problems.append(
                PolicyProblem(
                    path,
                    display,
                    f"{TABLE}.{kind.value}.action",
                    f"{action.value!r} is not possible for {kind.value}; use {allowed}",
                )
            )
        rules[kind] = Rule(given.after_days, action)
    if problems:
        raise PolicyFileError.from_problems(problems)
    return RetentionPolicy(rules)


def _message(loc: tuple[str, ...], error: object) -> str:
    assert isinstance(error, dict)
    kind, text = str(error["type"]), str(error["msg"])
    if kind == "extra_forbidden":
        allowed = [item.value for item in Kind] if len(loc) == 1 else list(RuleModel.model_fields)
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        if close:
            return f"unknown key; did you mean {close[0]!r}?"
        return "unknown key; allowed keys here: " + ", ".join(allowed)
    if kind == "missing":
        if len(loc) == 1:
            return "missing: give after_days and action for it (docs/retention.md)"
        return "missing"
    if kind == "literal_error":
        return "must be 'delete', 'anonymise' or 'keep'"
    text = text.removeprefix("Value error, ")
    return text[:1].lower() + text[1:]
