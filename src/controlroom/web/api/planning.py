"""``POST /api/planning/run``: a scenario simulated beside the baseline (``reports:read``;
docs/api.md, docs/planning.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request

from controlroom.domain.access import Permission, Principal
from controlroom.domain.planning.export import Labelled, summary_data
from controlroom.domain.planning.from_records import period_of
from controlroom.domain.planning.model import Channel
from controlroom.domain.planning.scenario_data import scenario_from_data
from controlroom.domain.planning.summary import (
    hourly_handlers,
    hourly_inappropriate_hours,
    hourly_service_level,
)
from controlroom.services.planning import labelled
from controlroom.web.auth import require
from controlroom.web.planning_run import plan_for
from controlroom.web.schemas import ErrorResponse
from controlroom.web.schemas_planning import PlanRunIn, PlanRunOut

router = APIRouter(prefix="/api/planning", tags=["planning"])
Supervisor = Annotated[Principal, Depends(require(Permission.REPORTS_READ))]
#: The records period by default: the last four weeks, today included.
DEFAULT_DAYS = 28


def _run(run: Labelled) -> dict[str, Any]:
    needs = hourly_handlers((need.interval, need.handlers) for need in run.needs)
    return {
        "run": run.label,
        "source": run.model.source,
        "notes": list(run.model.notes),
        "summary": summary_data(run.summary),
        "hourly": {
            "service_level_999": hourly_service_level(run.result, Channel.EMERGENCY),
            "service_level_101": hourly_service_level(run.result, Channel.NON_EMERGENCY),
            "handlers_needed": needs,
            "inappropriate_handler_hours": hourly_inappropriate_hours(run.result),
        },
    }


@router.post(
    "/run",
    response_model=PlanRunOut,
    summary="Simulate a scenario beside the baseline",
    responses={400: {"model": ErrorResponse, "description": "A bad period or scenario."}},
)
def run_plan(request: Request, principal: Supervisor, body: PlanRunIn) -> Any:
    """The baseline (the demo model, or the records of ``from`` to ``to``, force-local days
    inclusive, rostered by the staffing calculator) and the scenario, each simulated for
    ``weeks`` with ``seed``: per channel service level, answer times, abandonment; occupancy;
    handler-hours on inappropriate 999 calls; and by hour of the week."""
    zone = ZoneInfo(request.app.state.nuisance.tz)
    start = end = None
    if body.source == "records":
        today = datetime.now(zone).date()
        last = body.last or today
        first = body.first or last - timedelta(days=DEFAULT_DAYS - 1)
        start, end = period_of(first, last, zone)
    scenario = None if body.scenario is None else scenario_from_data(body.scenario)
    page = plan_for(
        request,
        principal,
        source=body.source,
        start=start,
        end=end,
        scenario=scenario,
        weeks=body.weeks,
        seed=body.seed,
    )
    return {"runs": [_run(run) for run in labelled(page.plan)]}
