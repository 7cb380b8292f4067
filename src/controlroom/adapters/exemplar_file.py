"""Reading a policy's exemplar bank (triage's semantic layer) from its TOML file.

The policy names the file in ``[triage] exemplars`` (relative to the policy file); the format
is in docs/policy.md. Structural problems come back as ``(field, message)`` pairs for the
policy loader to report with the file's name; cross-references are checked by
:func:`~controlroom.domain.exemplars.validate_bank` once the policy is built.
"""

from __future__ import annotations

import typing

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from controlroom.domain.exemplars import ExemplarBank, Situation, Thresholds
from controlroom.domain.policy import Route

FORMAT_VERSION = 1
Text = typing.Annotated[str, Field(min_length=1, max_length=2000)]
Similarity = typing.Annotated[float, Field(ge=-1.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ThresholdsModel(_Strict):
    raise_at: Similarity = 0.60
    margin: typing.Annotated[float, Field(ge=0.0, le=2.0)] = 0.04
    route_at: Similarity = 0.45
    recognise_at: Similarity = 0.55
    neighbours: typing.Annotated[int, Field(ge=1, le=20)] = 3


class SituationModel(_Strict):
    id: typing.Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    cite: Text
    route: Route
    agency: Text | None = None
    texts: typing.Annotated[list[Text], Field(min_length=1)]


class BankModel(_Strict):
    format: int
    name: Text
    thresholds: ThresholdsModel = ThresholdsModel()
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


def parse_bank(raw: dict[str, typing.Any]) -> tuple[ExemplarBank | None, list[tuple[str, str]]]:
    """The bank in a parsed TOML document, or None and its problems as (field, message)."""
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
            Situation(s.id, s.cite, s.route, s.agency, tuple(s.texts)) for s in model.situations
        ),
        thresholds=Thresholds(
            raise_at=limits.raise_at,
            margin=limits.margin,
            route_at=limits.route_at,
            recognise_at=limits.recognise_at,
            neighbours=limits.neighbours,
        ),
    )
    return bank, []
