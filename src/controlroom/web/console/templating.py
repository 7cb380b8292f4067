"""Rendering the console's pages: Jinja templates (autoescaped), their shared context and
filters, and the pages for a refusal or an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from controlroom.domain.access import permissions_for
from controlroom.domain.errors import DomainError
from controlroom.services.location_view import location_panel
from controlroom.services.outbox import parked_count
from controlroom.services.questions_view import question_panel
from controlroom.services.sessions import Session
from controlroom.web.console.numbers import numbers, phone
from controlroom.web.console.session import csrf_token, secret_for, settings_of

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seconds(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds():.0f}"


templates.env.filters["iso"] = _iso
templates.env.filters["seconds"] = _seconds
templates.env.filters["phone"] = phone
templates.env.filters["numbers"] = numbers
templates.env.globals["question_panel"] = question_panel
templates.env.globals["location_panel"] = location_panel


def force_zone(request: Request) -> ZoneInfo:
    """The force's time zone (from its nuisance configuration; Europe/London for the seed)."""
    return ZoneInfo(request.app.state.nuisance.tz)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    session: Session | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The template ``console/<name>`` with the shared context: the session, its CSRF token,
    what the role may see, the force's zone and the map settings."""
    zone = force_zone(request)
    settings = settings_of(request)
    permissions = {p.value for p in permissions_for(session.principal.role)} if session else set()

    def local(value: datetime | None, fmt: str = "%H:%M:%S") -> str:
        return "" if value is None else value.astimezone(zone).strftime(fmt)

    shared: dict[str, Any] = {
        "session": session,
        "csrf": csrf_token(secret_for(request), session.session_id) if session else "",
        "can": permissions,
        "local": local,
        "zone": zone.key,
        "tile_url": settings.tile_url or "",
        "tile_attribution": settings.tile_attribution,
        "policy": request.app.state.policy,
        "outbox_parked": _parked(request) if "reports:read" in permissions else None,
    }
    return templates.TemplateResponse(
        request, f"console/{name}", shared | context, status_code=status
    )


def _parked(request: Request) -> int | None:
    """Parked outbox messages, when C&C or MAIT is configured and the count can be read."""
    if not (settings_of(request).cc_url or settings_of(request).mait_url):
        return None
    try:
        return parked_count(request.app.state.uow_factory)
    except DomainError:
        return None


def refusal(request: Request, session: Session, error: DomainError) -> HTMLResponse:
    """The page for something the signed-in role may not do."""
    return render(request, "refused.html", {"error": error}, session=session, status=403)


def error_page(
    request: Request, session: Session | None, error: DomainError, status: int
) -> HTMLResponse:
    """The page for a request the service refused (an unknown contact, bad input)."""
    return render(request, "refused.html", {"error": error}, session=session, status=status)
