"""Loading a force's policy, and the rulebook it names, from TOML files.

A policy file holds the force's paragraphs, grades, scripts, route defaults, agency directory and
``[citations]``; its ``[triage] rulebook`` names a rulebook file (relative to the policy file)
with the patterns triage reads a text with. The format is described in docs/policy.md.

Every problem comes out as a :class:`PolicyFileError` naming the file, the field and what is
wrong: first all structural problems (reading, TOML syntax, keys, types, allowed values), then
the cross-references that :func:`~controlroom.domain.policy.validate_policy` checks.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path, PurePath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from controlroom.adapters.exemplar_file import with_exemplars
from controlroom.adapters.policy_reading import (
    PolicyFileError,
    PolicyProblem,
    Unreadable,
    read_toml,
)
from controlroom.adapters.policy_schema import (
    PolicyModel,
    RulebookModel,
    allowed_keys,
    paragraph_fields,
    to_policy,
)
from controlroom.domain.policy import Policy
from controlroom.domain.policy_checks import validate_policy

POLICIES_PACKAGE = "controlroom.policies"
_M = TypeVar("_M", bound=BaseModel)

#: Citation keys the procedures and the shipped rulebook cite; every policy must map them all.
CITATION_KEYS: tuple[str, ...] = (
    "emergency.definition",
    "emergency.danger-to-life",
    "emergency.crime-in-progress",
    "emergency.road",
    "emergency.judgement",
    "guidance.call-999",
    "guidance.report",
    "guidance.not-police",
    "guidance.last-resort",
    "inappropriate.definition",
    "inappropriate.logging",
    "inappropriate.considerations",
    "vulnerability.seriousness",
    "vulnerability.condition",
    "vulnerability.age",
    "inappropriate.advise",
    "inappropriate.no-transfer",
    "inappropriate.warn",
    "nuisance",
    "silent.solution",
    "silent.landline",
    "accessible.bsl",
    "accessible.relay",
    "location.what3words",
    "misuse.offence",
)


# --- finding policies --------------------------------------------------------------------------


def shipped_policies() -> dict[str, Path]:
    """The policies that come with controlroom: name (file name without ``.toml``) -> path."""
    directory = Path(str(resources.files(POLICIES_PACKAGE)))
    return {path.stem: path for path in sorted(directory.glob("*.toml"))}


def load_policy(reference: str | Path) -> Policy:
    """A shipped policy by name (``"dcp-p-042"``) or the policy in a ``.toml`` file at a path."""
    if isinstance(reference, Path):
        return load_policy_file(reference)
    shipped = shipped_policies()
    if reference in shipped:
        return _load(shipped[reference], shipped[reference].name)
    path = Path(reference)
    if not path.exists() and path.suffix != ".toml" and len(path.parts) == 1:
        names = ", ".join(shipped) or "none"
        raise PolicyFileError(
            path,
            f"no shipped policy is called {reference!r} and there is no such file",
            hint=f"use a shipped policy ({names}) or the path to a .toml policy file",
        )
    return load_policy_file(path)


def load_policy_file(path: Path) -> Policy:
    """The policy in the TOML file at ``path``, with its rulebook; checked throughout."""
    return _load(path, str(path))


# --- structure ---------------------------------------------------------------------------------


def _structure(
    model: type[_M], raw: dict[str, Any], path: Path, display: str, problems: list[PolicyProblem]
) -> _M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            message = _message(model, raw, loc, error["type"], error["msg"], error.get("input"))
            problems.append(PolicyProblem(path, display, _dotted(loc) or None, message))
        return None


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(
    model: type[BaseModel],
    raw: dict[str, Any],
    loc: tuple[int | str, ...],
    kind: str,
    text: str,
    value: Any,
) -> str:
    if kind == "missing":
        message = "field required"
    elif kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            message = f"unknown key; did you mean {close[0]!r}?"
        else:
            message = "unknown key; allowed keys here: " + ", ".join(allowed)
    else:
        text = text.removeprefix("Value error, ")
        message = text[:1].lower() + text[1:]
        if kind.endswith("_type") or kind in ("enum", "literal_error"):
            message += f"; got {_describe(value)}"
    return message + _entry_note(raw, loc)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _entry_note(raw: Any, loc: tuple[int | str, ...]) -> str:
    """`` (entry with id 'x')`` for the innermost array entry on ``loc`` that has an id."""
    note = ""
    current = raw
    for part in loc:
        if isinstance(part, int) and isinstance(current, list) and part < len(current):
            current = current[part]
            entry_id = current.get("id") if isinstance(current, dict) else None
            if isinstance(entry_id, str):
                note = f" (entry with id {entry_id!r})"
        elif isinstance(part, str) and isinstance(current, dict):
            current = current.get(part)
        else:
            break
    return note


def _duplicates(
    kind: str, ids: Sequence[str], path: Path, display: str, problems: list[PolicyProblem]
) -> None:
    first: dict[str, int] = {}
    for index, item_id in enumerate(ids):
        if item_id in first:
            problems.append(
                PolicyProblem(
                    path,
                    display,
                    f"{kind}[{index}].id",
                    f"{item_id!r} is already used by {kind}[{first[item_id]}]; ids must be unique",
                )
            )
        first.setdefault(item_id, index)


# --- loading -----------------------------------------------------------------------------------


def _rulebook(
    raw: dict[str, Any], path: Path, display: str, problems: list[PolicyProblem]
) -> tuple[RulebookModel | None, Path, str]:
    """The rulebook the policy names, its path and its name as shown; None if it has problems."""
    triage = raw.get("triage")
    reference = triage.get("rulebook") if isinstance(triage, dict) else None
    if not isinstance(reference, str) or not reference:
        return None, path, display  # reported as a structural problem of the policy
    rb_path = path.parent / reference
    rb_display = str(PurePath(display).parent / reference)
    if not rb_path.is_file():
        message = f"rulebook file {rb_display} not found (the path is relative to the policy file)"
        problems.append(PolicyProblem(path, display, "triage.rulebook", message))
        return None, rb_path, rb_display
    try:
        rb_raw = read_toml(rb_path, rb_display)
    except Unreadable as exc:
        problems.append(exc.problem)
        return None, rb_path, rb_display
    return _structure(RulebookModel, rb_raw, rb_path, rb_display, problems), rb_path, rb_display


def _load(path: Path, display: str) -> Policy:
    problems: list[PolicyProblem] = []
    try:
        raw = read_toml(path, display)
    except Unreadable as exc:
        raise PolicyFileError.from_problems([exc.problem]) from None
    if "matters" in raw and "force" not in raw:
        raise PolicyFileError(
            path,
            "this is a rulebook file, not a policy file",
            display=display,
            hint="check the policy file whose [triage] rulebook names it",
        )
    model = _structure(PolicyModel, raw, path, display, problems)

    rulebook, rb_path, rb_display = _rulebook(raw, path, display, problems)

    if model is not None:
        _duplicates("paragraphs", [p.id for p in model.paragraphs], path, display, problems)
        _duplicates("grades", [g.id for g in model.grades], path, display, problems)
        _duplicates("agencies", [a.id for a in model.agencies], path, display, problems)
        missing = [key for key in CITATION_KEYS if key not in model.citations]
        if missing:
            problems.append(
                PolicyProblem(
                    path,
                    display,
                    "citations",
                    "these citation keys must be mapped to paragraph ids: " + ", ".join(missing),
                )
            )
    if rulebook is not None:
        for kind, items in (
            ("time_cues", rulebook.time_cues),
            ("overrides", rulebook.overrides),
            ("vulnerabilities", rulebook.vulnerabilities),
            ("word_classes", rulebook.word_classes),
        ):
            _duplicates(kind, [item.id for item in items], rb_path, rb_display, problems)
    if problems or model is None or rulebook is None:
        raise PolicyFileError.from_problems(problems)

    citations = dict(model.citations)
    paragraph_ids = {p.id for p in model.paragraphs}
    unresolved: set[str] = set()
    for field, value in paragraph_fields(rulebook):
        if value not in citations and value not in paragraph_ids:
            unresolved.add(value)
            problems.append(
                PolicyProblem(
                    rb_path,
                    rb_display,
                    field,
                    f"{value!r} is neither a citation key in the [citations] of {display} nor a "
                    f'paragraph id there; add "{value}" = "PARAGRAPH-ID" to its [citations]',
                )
            )

    policy = to_policy(model, rulebook)
    for problem in validate_policy(policy):
        field, _, message = problem.partition(": ")
        if not field.startswith("rulebook."):
            problems.append(PolicyProblem(path, display, field, message))
            continue
        if any(message == f"paragraph {v!r} is not defined in [[paragraphs]]" for v in unresolved):
            continue  # already reported above, with the citation it should have used
        message = re.sub(r"\[\[\w+\]\]", lambda m: f"{m.group(0)} of {display}", message)
        problems.append(
            PolicyProblem(rb_path, rb_display, field.removeprefix("rulebook."), message)
        )
    policy = with_exemplars(policy, raw, path, display, problems)
    if problems:
        raise PolicyFileError.from_problems(problems)
    return policy
