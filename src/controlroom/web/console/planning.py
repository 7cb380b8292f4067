"""``/console/planning``: the supervisor runs a scenario against the baseline (the demo model
or a period of records) and sees the two side by side: plots, tables, CSV and JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from controlroom.domain.access import Permission
from controlroom.domain.errors import DomainError
from controlroom.domain.planning.export import model_to_data, plan_csv, run_data
from controlroom.domain.planning.model import Channel
from controlroom.domain.planning.summary import (
    by_hour_of_day,
    hourly_handlers,
    hourly_inappropriate_hours,
    hourly_service_level,
    summary_rows,
)
from controlroom.domain.planning.week import DAYS
from controlroom.services.planning import Run, labelled
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.planning_charts import BASELINE_COLOUR, SCENARIO_COLOUR, Series
from controlroom.web.console.planning_charts import week_lines as lines
from controlroom.web.console.planning_form import (
    DEFAULT_DAYS,
    PAGE_MAX_WEEKS,
    PlanForm,
    read_plan_form,
)
from controlroom.web.console.templating import force_zone, render
from controlroom.web.errors import status_for
from controlroom.web.planning_run import PagePlan, plan_for

router = APIRouter(prefix="/console", include_in_schema=False)
Supervisor = Annotated[Session, Depends(RequireSession(Permission.REPORTS_READ))]


def _form(request: Request) -> PlanForm:
    params = request.query_params
    day_lists = {key: params.getlist(key) for key in ("add_days", "surge_days")}
    return read_plan_form(params, day_lists, force_zone(request))


def _run(request: Request, session: Session, form: PlanForm) -> PagePlan:
    period = form.period
    return plan_for(
        request,
        session.principal,
        source=form.source,
        start=None if period is None else period.start,
        end=None if period is None else period.end,
        scenario=form.scenario,
        weeks=form.weeks,
        seed=form.seed,
    )


def _series(name: str, base: Any, other: Any) -> list[Series]:
    found = [Series(f"baseline {name}", base, BASELINE_COLOUR)]
    if other is not None:
        found.append(Series(f"scenario {name}", other, SCENARIO_COLOUR, dashed=True))
    return found


def _hourly(run: Run) -> dict[str, Any]:
    needs = hourly_handlers((need.interval, need.handlers) for need in run.needs)
    return {
        "sl_999": hourly_service_level(run.result, Channel.EMERGENCY),
        "sl_101": hourly_service_level(run.result, Channel.NON_EMERGENCY),
        "needed": [float(value) for value in needs],
        "wasted": hourly_inappropriate_hours(run.result),
    }


def _results(page: PagePlan) -> dict[str, Any]:
    plan = page.plan
    base = _hourly(plan.baseline)
    other = None if plan.scenario is None else _hourly(plan.scenario)

    def pick(key: str) -> Any:
        return None if other is None else other[key]

    rows = summary_rows(plan.baseline.summary)
    after = summary_rows(plan.scenario.summary) if plan.scenario is not None else None
    by_hour = []
    for hour in range(24):
        entry: dict[str, Any] = {"hour": f"{hour:02d}:00"}
        for key in ("sl_999", "needed", "wasted"):
            entry[key] = by_hour_of_day(base[key])[hour]
            entry[f"{key}_s"] = None if other is None else by_hour_of_day(other[key])[hour]
        by_hour.append(entry)
    standard = plan.baseline.model.channel(Channel.EMERGENCY).target_share
    return {
        "plan": plan,
        "records": page.records,
        "rows": [
            (label, value, None if after is None else after[index][1])
            for index, (label, value) in enumerate(rows)
        ],
        "by_hour": by_hour,
        "chart_999": lines(
            _series("999", base["sl_999"], pick("sl_999")),
            "999 answered within 10 s, by hour of the week",
            percent=True,
            target=standard,
        ),
        "chart_101": lines(
            _series("101", base["sl_101"], pick("sl_101")),
            "101 answered within its standard, by hour of the week",
            percent=True,
        ),
        "chart_needed": lines(
            _series("handlers", base["needed"], pick("needed")),
            "Handlers needed, every channel, by hour of the week",
        ),
        "chart_wasted": lines(
            _series("hours", base["wasted"], pick("wasted")),
            "Handler-hours on inappropriate 999 calls, by hour of the week",
        ),
    }


def _context(form: PlanForm | None, request: Request) -> dict[str, Any]:
    params = request.query_params
    return {
        "nav": "planning",
        "form": form,
        "values": form.values if form else dict(params),
        "days_checked": form.days if form else {"add_days": (), "surge_days": ()},
        "day_names": DAYS,
        "max_weeks": PAGE_MAX_WEEKS,
        "default_days": DEFAULT_DAYS,
        "baseline_colour": BASELINE_COLOUR,
        "scenario_colour": SCENARIO_COLOUR,
    }


@router.get("/planning")
def planning(request: Request, session: Supervisor) -> Response:
    """The form; with ``run``, the baseline and the scenario side by side."""
    form = None
    try:
        form = _form(request)
        context = _context(form, request)
        if "run" in request.query_params:
            context |= _results(_run(request, session, form))
    except DomainError as exc:
        context = _context(form, request) | {"error": exc}
        return render(request, "planning.html", context, session=session, status=status_for(exc))
    return render(request, "planning.html", context, session=session)


def _download(request: Request, session: Session, kind: str) -> Response:
    try:
        form = _form(request)
        runs = labelled(_run(request, session, form).plan)
    except DomainError as exc:
        context = _context(None, request) | {"error": exc}
        return render(request, "planning.html", context, session=session, status=status_for(exc))
    if kind == "csv":
        body, media = plan_csv(runs), "text/csv; charset=utf-8"
    else:
        data = {
            "format": "controlroom.plan-run/1",
            "runs": [run_data(run, model_to_data(run.model)) for run in runs],
        }
        body, media = json.dumps(data, ensure_ascii=False), "application/json"
    headers = {"Content-Disposition": f'attachment; filename="controlroom-plan.{kind}"'}
    return Response(body, media_type=media, headers=headers)


@router.get("/planning.csv")
def planning_csv(request: Request, session: Supervisor) -> Response:
    """The runs' half hours as CSV."""
    return _download(request, session, "csv")


@router.get("/planning.json")
def planning_json(request: Request, session: Supervisor) -> Response:
    """The runs as JSON."""
    return _download(request, session, "json")
