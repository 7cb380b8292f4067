"""A plan for the page and the API: the model (the demo, or a period of records rostered by
the staffing calculator), the scenario beside it, simulated for a few weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Request

from controlroom.domain.access import Principal
from controlroom.domain.planning.demo import demo_model
from controlroom.domain.planning.from_records import RecordsOptions, Standard
from controlroom.domain.planning.model import Channel, RoomModel
from controlroom.domain.planning.scenario import Scenario
from controlroom.services.planning import Plan, Records, records_model, run_plan


@dataclass(frozen=True)
class PagePlan:
    """A plan, and the records it was built from (None for the demo model)."""

    plan: Plan
    records: Records | None


def records_options(request: Request) -> RecordsOptions:
    """The defaults, with 101's standard from the force's policy."""
    level = request.app.state.policy.service_level_101
    defaults = RecordsOptions()
    standards = dict(defaults.standards)
    standards[Channel.NON_EMERGENCY] = Standard(float(level.seconds), level.share)
    return RecordsOptions(defaults.patience, defaults.handling, standards)


def model_for(
    request: Request,
    principal: Principal,
    source: str,
    start: datetime | None,
    end: datetime | None,
) -> tuple[RoomModel, Records | None]:
    """The demo model, or the model of the records offered in ``[start, end)``."""
    if source == "demo" or start is None or end is None:
        return demo_model(), None
    records = records_model(
        request.app.state.uow_factory,
        principal,
        start=start,
        end=end,
        zone=ZoneInfo(request.app.state.nuisance.tz),
        options=records_options(request),
    )
    return records.model, records


def plan_for(
    request: Request,
    principal: Principal,
    *,
    source: str,
    start: datetime | None,
    end: datetime | None,
    scenario: Scenario | None,
    weeks: int,
    seed: int,
) -> PagePlan:
    """The baseline and the scenario, simulated."""
    model, records = model_for(request, principal, source, start, end)
    return PagePlan(run_plan(model, scenario, weeks=weeks, seed=seed), records)
