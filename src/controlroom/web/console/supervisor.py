"""The supervisor's view of the room: figures and plots for a period, the queue now, nuisance
cases and their approvals; the figures as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from controlroom.domain.access import Permission, permissions_for
from controlroom.domain.errors import DomainError, InvalidInput
from controlroom.domain.nuisance.case import Approve, Reject
from controlroom.domain.room_figures import ANSWER_STANDARD, NO_TRIAGE, RoomFigures
from controlroom.domain.triage import Channel
from controlroom.services.nuisance import do_case_action
from controlroom.services.room_figures import RoomView, room_view
from controlroom.services.sessions import Session
from controlroom.services.termination import pending_approvals
from controlroom.web.console import charts
from controlroom.web.console.alarm import alarm_context
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.forms import read_form
from controlroom.web.console.session import check_csrf, expired_form
from controlroom.web.console.templating import error_page, force_zone, render
from controlroom.web.errors import status_for
from controlroom.web.figures_period import Period, parse_period

router = APIRouter(prefix="/console", include_in_schema=False)
Supervisor = Annotated[Session, Depends(RequireSession(Permission.REPORTS_READ))]
ROUTES = ("emergency", "police_non_emergency", "other_agency", "not_police", NO_TRIAGE)


def period_of(request: Request) -> Period:
    """The filters the request asks for (today, every channel, by default)."""
    params = request.query_params
    return parse_period(
        params.get("from"), params.get("to"), params.get("channel"), force_zone(request)
    )


def _view(request: Request, session: Session, period: Period) -> RoomView:
    return room_view(
        request.app.state.uow_factory,
        session.principal,
        start=period.start,
        end=period.end,
        channel=period.channel,
        zone=period.zone,
        nuisance=request.app.state.nuisance,
        now=datetime.now(UTC),
        level_101=request.app.state.policy.service_level_101,
    )


def _approvals(request: Request, session: Session) -> dict[str, Any]:
    """The termination approvals waiting, for those who may give them (``contact:supervise``)."""
    if Permission.CONTACT_SUPERVISE not in permissions_for(session.principal.role):
        return {}
    return {"approvals": pending_approvals(request.app.state.uow_factory, session.principal)}


def _context(request: Request, view: RoomView, period: Period) -> dict[str, Any]:
    figures = view.figures
    channels = [c.value for c in Channel]
    agencies = request.app.state.policy.agencies
    return {
        "nav": "supervisor",
        "view": view,
        "f": figures,
        "period": period,
        "channels": list(Channel),
        "standard": ANSWER_STANDARD,
        "categories": [(category_label(k, agencies), n) for k, n in _by_count(figures)],
        "histogram": charts.answer_histogram(figures.answer_seconds),
        "by_channel": charts.stacked_hours(
            figures.hours, "by_channel", channels, "Contacts per hour by channel"
        ),
        "by_route": charts.stacked_hours(
            figures.hours, "by_route", ROUTES, "Contacts per hour by triage route"
        ),
        "genuine": charts.genuine_share_line(figures.hours),
        "palette": charts.PALETTE,
        "routes": ROUTES,
        "channel_values": channels,
    }


def _by_count(figures: RoomFigures) -> list[tuple[str, int]]:
    return sorted(figures.inappropriate_by_category.items(), key=lambda item: (-item[1], item[0]))


def category_label(category: str, agencies: Any) -> str:
    """An inappropriate call's category in words."""
    route, _, agency = category.partition(":")
    if agency:
        return f"another agency: {agencies[agency].name if agency in agencies else agency}"
    words = {
        "not_police": "not a police matter",
        "police_non_emergency": "police, not an emergency (101 / online)",
        "other_agency": "another agency",
        "emergency": "triage read an emergency",
        NO_TRIAGE: "no words recorded",
    }
    return words.get(route, route)


@router.get("/supervisor")
def supervisor(request: Request, session: Supervisor) -> Response:
    """The room: figures and plots for the period, the queue now, nuisance cases."""
    try:
        period = period_of(request)
        view = _view(request, session, period)
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    context = (
        _context(request, view, period)
        | _approvals(request, session)
        | alarm_context(request, session)
    )
    return render(request, "supervisor.html", context, session=session)


@router.get("/supervisor/figures")
def figures_fragment(request: Request, session: Supervisor) -> Response:
    """The figures alone (the page reloads them as contacts change)."""
    try:
        period = period_of(request)
        view = _view(request, session, period)
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    context = _context(request, view, period) | _approvals(request, session)
    return render(request, "_figures.html", context, session=session)


@router.get("/supervisor/figures.csv")
def figures_csv(request: Request, session: Supervisor) -> Response:
    """The period's figures hour by hour, as CSV."""
    try:
        period = period_of(request)
        figures = _view(request, session, period).figures
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    out = io.StringIO()
    writer = csv.writer(out)
    channels = [c.value for c in Channel]
    tail = ["calls_999", "answered_999", "answered_within_10s", "genuine_999"]
    writer.writerow(["hour_start", "offered", *channels, *tail])
    for hour in figures.hours:
        counts = [hour.by_channel.get(c, 0) for c in channels]
        values = [hour.calls_999, hour.answered_999, hour.within_target, hour.genuine_999]
        writer.writerow([hour.start.isoformat(), sum(hour.by_channel.values()), *counts, *values])
    name = f"controlroom-figures-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/nuisance/{case_id}/{decision}")
async def decide(case_id: str, decision: str, request: Request, session: Supervisor) -> Response:
    """Approve or reject the step a nuisance case waits on (``contact:supervise``)."""
    form = await read_form(request)
    if not check_csrf(request, session, form):
        return expired_form()
    try:
        if decision == "approve":
            command: Approve | Reject = Approve(note=str(form.get("note", "")))
        elif decision == "reject":
            command = Reject(reason=str(form.get("reason", "")))
        else:
            raise InvalidInput(f"unknown decision {decision!r}", field="decision")
        do_case_action(
            request.app.state.uow_factory,
            session.principal,
            case_id,
            command,
            datetime.now(UTC),
            request.app.state.policy,
            request.app.state.nuisance,
        )
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    return RedirectResponse("/console/supervisor#cases", status_code=303)
