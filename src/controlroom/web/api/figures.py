"""``GET /api/figures``: the supervisor's figures for a period, as the console shows them
(``reports:read``; docs/api.md)."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request

from controlroom.domain.access import Permission, Principal
from controlroom.domain.contacts.timers import ANSWER_TARGET
from controlroom.domain.handler_figures import HandlerFigures
from controlroom.domain.policy import ServiceLevel
from controlroom.domain.room_figures import ANSWER_STANDARD, LineFigures, RoomFigures
from controlroom.services.room_figures import period_figures
from controlroom.web.auth import require, uow_factory
from controlroom.web.figures_period import parse_period
from controlroom.web.schemas import ErrorResponse
from controlroom.web.schemas_figures import FiguresOut

router = APIRouter(prefix="/api", tags=["figures"])
Supervisor = Annotated[Principal, Depends(require(Permission.REPORTS_READ))]
Day = Annotated[str | None, Query(max_length=10, description="A force-local day, YYYY-MM-DD.")]


@router.get(
    "/figures",
    response_model=FiguresOut,
    summary="The period's figures: service levels and each handler's",
    responses={400: {"model": ErrorResponse, "description": "A bad date or channel."}},
)
def figures(
    request: Request,
    principal: Supervisor,
    first: Annotated[
        str | None,
        Query(alias="from", max_length=10, description="First day, YYYY-MM-DD (today)."),
    ] = None,
    to: Day = None,
    channel: Annotated[
        str | None, Query(max_length=40, description="Count this channel only (999, 101...).")
    ] = None,
) -> Any:
    """The contacts offered from ``from`` to ``to`` (force-local days, inclusive; up to 31
    days): the 999 and 101 service levels, and for each handler the contacts they answered,
    their median and 90th percentile answer times and their inappropriate 999 calls."""
    zone = ZoneInfo(request.app.state.nuisance.tz)
    period = parse_period(first, to, channel, zone)
    level_101: ServiceLevel = request.app.state.policy.service_level_101
    found = period_figures(
        uow_factory(request),
        principal,
        start=period.start,
        end=period.end,
        channel=period.channel,
        zone=zone,
        level_101=level_101,
    )
    room = found.figures
    return {
        "from": period.first,
        "to": period.last,
        "channel": None if period.channel is None else period.channel.value,
        "time_zone": str(zone),
        "start": period.start,
        "end": period.end,
        "contacts": room.offered,
        "by_channel": dict(room.by_channel),
        "service_levels": [_line_999(room), _line("101", room.line_101)],
        "genuine_999": room.genuine_999,
        "inappropriate_999": room.inappropriate_999,
        "handlers": [_handler(item) for item in room.handlers],
        "truncated": found.truncated,
        "damaged": list(found.damaged),
    }


def _line(name: str, line: LineFigures) -> dict[str, Any]:
    return {
        "line": name,
        "target_seconds": line.level.seconds,
        "standard_percent": line.level.percent,
        "calls": line.calls,
        "answered": line.answered,
        "abandoned": line.abandoned,
        "within_target": line.within,
        "share": line.share,
        "meets_standard": line.meets_standard,
    }


def _line_999(room: RoomFigures) -> dict[str, Any]:
    level = ServiceLevel(int(ANSWER_TARGET.total_seconds()), round(ANSWER_STANDARD * 100))
    line = LineFigures(
        level,
        calls=room.calls_999,
        answered=room.answered_999,
        abandoned=room.abandoned_999,
        within=room.within_target,
    )
    return _line("999", line)


def _handler(item: HandlerFigures) -> dict[str, Any]:
    return {
        "handler": item.handler,
        "contacts": item.contacts,
        "median_answer_seconds": item.median_answer_seconds,
        "p90_answer_seconds": item.p90_answer_seconds,
        "inappropriate_999": {
            "calls": item.inappropriate,
            "advised": item.advised,
            "warned": item.warned,
            "terminated": item.terminated,
            "logged": item.logged,
        },
    }
