"""The supervisor's outbox page: messages waiting, parked and lately delivered, and "Retry"
for a parked one (docs/console.md#the-outbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from controlroom.domain.access import Permission
from controlroom.domain.errors import DomainError, InvalidInput
from controlroom.services.outbox import list_messages, parse_state, retry_message
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.forms import read_form
from controlroom.web.console.session import check_csrf, expired_form
from controlroom.web.console.templating import error_page, render
from controlroom.web.errors import status_for

router = APIRouter(prefix="/console", include_in_schema=False)
Supervisor = Annotated[Session, Depends(RequireSession(Permission.REPORTS_READ))]


@router.get("/outbox")
def outbox_page(request: Request, session: Supervisor) -> Response:
    """The latest outbox messages (one state when ``?state=`` says so)."""
    try:
        state = parse_state(request.query_params.get("state"))
        view = list_messages(request.app.state.uow_factory, session.principal, state=state)
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    settings = request.app.state.settings
    configured = bool(settings.cc_url or settings.mait_url)
    retried = request.query_params.get("retried", "")
    context = {
        "nav": "outbox",
        "view": view,
        "configured": configured,
        "retried": retried if retried.isdigit() else None,
    }
    return render(request, "outbox.html", context, session=session)


@router.post("/outbox/{message_id}/retry")
async def retry(message_id: str, request: Request, session: Supervisor) -> Response:
    """Send a parked message again (``contact:supervise``; audited)."""
    form = await read_form(request)
    if not check_csrf(request, session, form):
        return expired_form()
    try:
        if not message_id.isdigit():
            raise InvalidInput(f"no outbox message {message_id!r}", field="message_id")
        retry_message(
            request.app.state.uow_factory, session.principal, int(message_id), datetime.now(UTC)
        )
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    return RedirectResponse(f"/console/outbox?retried={message_id}", status_code=303)
