"""The console's emergencySMS thread: the thread alone (refreshed live) and a handler's reply.

A reply is sent through the same service as the API (``services.sms_replies``). Each reply
form carries its own idempotency key, so a form sent twice (a double press, a retry after a
dropped connection) sends one SMS.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from controlroom.domain.access import Permission
from controlroom.domain.errors import DomainError
from controlroom.services import console as console_service
from controlroom.services import sms_replies
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.forms import read_form
from controlroom.web.console.pages import _handler_page as handler_page
from controlroom.web.console.session import check_csrf, expired_form
from controlroom.web.console.templating import error_page, render, templates
from controlroom.web.errors import status_for

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]
#: A fresh idempotency key for each reply form the page renders.
templates.env.globals["new_reply_key"] = lambda: uuid.uuid4().hex


@router.get("/contacts/{contact_id}/thread")
def thread(contact_id: str, request: Request, session: Reader) -> Response:
    """The conversation and its timers, as the contact page shows them."""
    factory = request.app.state.uow_factory
    try:
        found, timers = console_service.sms_panel(factory, session.principal, contact_id)
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    context = {"thread": found, "timers": timers}
    return render(request, "_sms_thread.html", context, session=session)


@router.post("/contacts/{contact_id}/messages")
async def reply(contact_id: str, request: Request, session: Reader) -> Response:
    """Send the handler's reply; a refusal shows the contact again with the reason."""
    try:
        form = await read_form(request)
    except DomainError as exc:
        return handler_page(request, session, contact_id, error=exc)
    if not check_csrf(request, session, form):
        return expired_form()
    try:
        sms_replies.send_reply(
            request.app.state.uow_factory,
            session.principal,
            contact_id,
            str(form.get("text", "")),
            str(form.get("key", "")),
            datetime.now(UTC),
            request.app.state.policy,
        )
    except DomainError as exc:
        return handler_page(request, session, contact_id, error=exc, form=form)
    return RedirectResponse(f"/console/handler/{contact_id}?done=sms_reply#sms", status_code=303)
