"""Reading a policy's exemplar bank (triage's semantic layer) from its TOML files.

The policy names the file in ``[triage] exemplars`` (relative to the policy file); the format
is in docs/policy.md. Structural problems come back as ``(field, message)`` pairs for the
policy loader to report with the file's name; cross-references are checked by
:func:`~controlroom.domain.exemplars.validate_bank` once the policy is built.
"""

from __future__ import annotations

import typing
from dataclasses import replace
from pathlib import Path, PurePath

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from controlroom.adapters.policy_reading import PolicyProblem, Unreadable, read_toml
from controlroom.domain.exemplars import (
    ExemplarBank,
    RouteHeadFile,
    Situation,
    Thresholds,
    validate_bank,
)
from controlroom.domain.policy import Policy, Route

FORMAT_VERSION = 1
Text = typing.Annotated[str, Field(min_length=1, max_length=2000)]
Similarity = typing.Annotated[float, Field(ge=-1.0, le=1.0)]
Likelihood = typing.Annotated[float, Field(ge=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThresholdsModel(_Strict):
    raise_at: Similarity = 0.50
    margin: typing.Annotated[float, Field(ge=0.0, le=2.0)] = 0.06
    route_at: Similarity = 0.30
    recognise_at: Similarity = 0.35
    neighbours: typing.Annotated[int, Field(ge=1, le=20)] = 3
    raise_likelihood: Likelihood = 0.75
    raise_unrecognised_likelihood: Likelihood | None = None
    recognise_likelihood: Likelihood = 0.30
    lead: Likelihood = 0.10
    ask_likelihood: Likelihood = 0.10


class SituationModel(_Strict):
    id: typing.Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    cite: Text
    route: Route
    agency: Text | None = None
    title: typing.Annotated[str, Field(min_length=1, max_length=120)] | None = None
    texts: typing.Annotated[list[Text], Field(min_length=1)]


class RouteHeadModel(_Strict):
    file: typing.Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\w.-]+$")]
    sha256: typing.Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class BankModel(_Strict):
    format: int
    name: Text
    thresholds: ThresholdsModel = ThresholdsModel()
    route_head: RouteHeadModel | None = None
    situations: typing.Annotated[list[SituationModel], Field(min_length=1)]

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(
                f"this version of controlroom reads format {FORMAT_VERSION} exemplar banks, "
                f"not format {value}"
            )
        return value


def parse_bank(
    raw: dict[str, typing.Any], folder: Path | None = None
) -> tuple[ExemplarBank | None, list[tuple[str, str]]]:
    """The bank in a parsed TOML document, or None and its problems as (field, message).
    A route head's file is taken relative to ``folder`` (the bank file's)."""
    try:
        model = BankModel.model_validate(raw)
    except ValidationError as exc:
        problems = [
            (".".join(str(part) for part in error["loc"]), error["msg"])
            for error in exc.errors(include_url=False)
        ]
        return None, problems
    limits = model.thresholds
    bank = ExemplarBank(
        name=model.name,
        situations=tuple(
            Situation(s.id, s.cite, s.route, s.agency, tuple(s.texts), s.title)
            for s in model.situations
        ),
        thresholds=Thresholds(**limits.model_dump()),
    )
    if model.route_head is None:
        return bank, []
    where = (folder or Path()) / model.route_head.file
    if folder is not None and not where.is_file():
        return bank, [("route_head.file", f"{model.route_head.file} not found beside the bank")]
    return replace(bank, route_head=RouteHeadFile(str(where), model.route_head.sha256)), []


def with_exemplars(
    policy: Policy,
    raw: dict[str, typing.Any],
    path: Path,
    display: str,
    problems: list[PolicyProblem],
) -> Policy:
    """``policy`` with the exemplar bank its ``[triage] exemplars`` names (one file, or a list
    whose situations are taken together, thresholds from the first), checked; problems are
    added to ``problems``."""
    reference = raw.get("triage", {}).get("exemplars")
    references = [reference] if isinstance(reference, str) else reference
    if not isinstance(references, list) or not references:
        return policy
    banks = []
    for index, name in enumerate(references):
        field = "triage.exemplars" if isinstance(reference, str) else f"triage.exemplars[{index}]"
        bank_path = path.parent / name
        bank_display = str(PurePath(display).parent / name)
        if not bank_path.is_file():
            message = f"exemplar bank {bank_display} not found (the path is relative to the policy)"
            problems.append(PolicyProblem(path, display, field, message))
            continue
        try:
            bank_raw = read_toml(bank_path, bank_display)
        except Unreadable as exc:
            problems.append(exc.problem)
            continue
        bank, structural = parse_bank(bank_raw, bank_path.parent)
        for where, message in structural:
            problems.append(PolicyProblem(bank_path, bank_display, where or None, message))
        if bank is not None:
            banks.append((bank, bank_path, bank_display))
    if not banks or len(banks) != len(references):
        return policy
    first = banks[0][0]
    merged = replace(
        first,  # thresholds and route head from the first
        name=" + ".join(bank.name for bank, _, _ in banks),
        situations=tuple(s for bank, _, _ in banks for s in bank.situations),
    )
    owner = {s.id: (bank_path, shown) for bank, bank_path, shown in banks for s in bank.situations}
    for problem in validate_bank(merged, policy):
        where, _, message = problem.partition(": ")
        situation = where.split(".")[1] if where.startswith("situations.") else ""
        bank_path, shown = owner.get(situation, (banks[0][1], banks[0][2]))
        problems.append(PolicyProblem(bank_path, shown, where, message))
    return replace(policy, exemplars=merged)
