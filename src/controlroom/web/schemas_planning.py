"""The body and answer of ``POST /api/planning/run``, documented for OpenAPI (docs/api.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The most weeks one API run simulates (each of the baseline and the scenario).
API_MAX_WEEKS = 4


class PlanRunIn(BaseModel):
    """What to simulate."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: Literal["demo", "records"] = Field(
        "demo", description="The demo model, or a model from the records of a period."
    )
    first: date | None = Field(
        None, alias="from", description="First force-local day of the records (4 weeks ago)."
    )
    last: date | None = Field(
        None, alias="to", description="Last force-local day of the records (today)."
    )
    scenario: dict[str, Any] | None = Field(
        None,
        description="A scenario in the controlroom.scenario/1 format (docs/planning.md), as "
        "JSON; none runs the baseline alone.",
    )
    weeks: Annotated[int, Field(ge=1, le=API_MAX_WEEKS)] = Field(
        2, description="Weeks to simulate, each run."
    )
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(0, description="Random seed.")


class ChannelRunOut(BaseModel):
    """One channel over a run."""

    channel: str = Field(examples=["999"])
    offered: int
    answered: int
    abandoned: int
    answer_within_seconds: float
    target_share: float
    service_level: float | None = Field(description="Offered contacts answered in the standard.")
    meets_standard: bool | None
    mean_answer_seconds: float | None
    p90_answer_seconds: float | None = Field(
        description="Half hours' 90th percentiles, weighted by contacts answered."
    )
    abandoned_share: float | None


class SummaryOut(BaseModel):
    """A run in a few figures."""

    weeks: int
    seed: int
    occupancy: float | None
    handler_hours_per_week: float
    inappropriate_handler_hours_per_week: float
    channels: list[ChannelRunOut]


class HourlyOut(BaseModel):
    """A run by hour of the week (168 values, Monday 00:00 first)."""

    service_level_999: list[float | None]
    service_level_101: list[float | None]
    handlers_needed: list[int]
    inappropriate_handler_hours: list[float] = Field(description="A week's, by hour.")


class RunOut(BaseModel):
    """The baseline or the scenario."""

    run: Literal["baseline", "scenario"]
    source: str = Field(description="Where the model's figures came from.")
    notes: list[str] = Field(description="The model's assumptions and the scenario's changes.")
    summary: SummaryOut
    hourly: HourlyOut


class PlanRunOut(BaseModel):
    """The baseline, and the scenario when one was given."""

    runs: list[RunOut]
