"""The contact page's "Partner agencies" panel: send the contact on to a partner agency as a
MAIT message (and updates once sent), and see how each message stands: its delivery from the
outbox and the partner's acknowledgement (docs/console.md#partner-agencies).

The panel is a template global (``partner_panel``) so the contact page needs nothing more; the
fragment route serves the panel alone, which the page fetches again while a message is on its
way or awaits the partner's answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from controlroom.domain.access import Permission
from controlroom.domain.errors import DomainError
from controlroom.services.partner_handoff import send_to_partner
from controlroom.services.partner_view import PartnerPanel, partner_panel
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.forms import read_form
from controlroom.web.console.pages import _handler_page as handler_page
from controlroom.web.console.session import check_csrf, expired_form
from controlroom.web.console.templating import error_page, render, templates
from controlroom.web.errors import status_for

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]


def _panel(request: Request, session: Session | None, contact_id: str) -> PartnerPanel | None:
    """The panel for the contact page; None when it cannot be read (the page still shows)."""
    if session is None:
        return None
    try:
        return partner_panel(
            request.app.state.uow_factory, session.principal, contact_id, request.app.state.policy
        )
    except DomainError:
        return None


templates.env.globals["partner_panel"] = _panel


@router.get("/contacts/{contact_id}/partners")
def panel(contact_id: str, request: Request, session: Reader) -> Response:
    """The panel alone, as the contact page shows it."""
    try:
        found = partner_panel(
            request.app.state.uow_factory, session.principal, contact_id, request.app.state.policy
        )
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    return render(request, "_partners_body.html", {"pp": found}, session=session)


@router.post("/contacts/{contact_id}/partners")
async def send(contact_id: str, request: Request, session: Reader) -> Response:
    """Send the contact to a partner (``agency``; ``update=1`` for an update); a refusal shows
    the contact again with the reason."""
    try:
        form = await read_form(request)
    except DomainError as exc:
        return handler_page(request, session, contact_id, error=exc)
    if not check_csrf(request, session, form):
        return expired_form()
    update = str(form.get("update", "")) == "1"
    try:
        send_to_partner(
            request.app.state.uow_factory,
            session.principal,
            contact_id,
            str(form.get("agency", "")),
            datetime.now(UTC),
            request.app.state.policy,
            update=update,
        )
    except DomainError as exc:
        return handler_page(request, session, contact_id, error=exc)
    done = "partner_update_sent" if update else "sent_to_partner"
    return RedirectResponse(f"/console/handler/{contact_id}?done={done}#partners", status_code=303)
