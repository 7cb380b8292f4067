"""The console's sign-in, sign-out and handler pages: thin routes over the services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from controlroom.domain.access import Permission
from controlroom.domain.contacts import (
    SILENT_PROMPTS,
    ActionKind,
    AdviceKind,
    AgeBand,
    SilentResponse,
    TransferDestination,
)
from controlroom.domain.errors import DomainError
from controlroom.domain.policy import VulnerabilityFlag
from controlroom.services import console as console_service
from controlroom.services import contacts as contacts_service
from controlroom.services import sessions
from controlroom.services.sessions import Session
from controlroom.web.chat_sync import sync_chat
from controlroom.web.console.alarm import alarm_context
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.forms import action_from_form, read_form
from controlroom.web.console.login_gate import sign_in
from controlroom.web.console.login_page import login_page
from controlroom.web.console.queue_view import handler_queue, queue_view
from controlroom.web.console.session import (
    SESSION_COOKIE,
    check_csrf,
    current_session,
    expired_form,
)
from controlroom.web.console.templating import error_page, render
from controlroom.web.errors import note_refusal, status_for

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]


def _now() -> datetime:
    return datetime.now(UTC)


# -- signing in and out ---------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request) -> Response:
    """The sign-in form (or the console, for someone already signed in)."""
    if current_session(request) is not None:
        return RedirectResponse("/console", status_code=303)
    return login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    """Sign in with a name and password (limits and pool: web/console/login_gate.py)."""
    return await sign_in(request)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Sign out: the session ends for good (audited)."""
    session = current_session(request)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/console")
    if session is None:
        return response
    form = await read_form(request)
    if not check_csrf(request, session, form):
        return expired_form()
    sessions.log_out(request.app.state.uow_factory, session, now=_now())
    return response


@router.get("")
def home(request: Request) -> Response:
    """The page for the signed-in role: supervisors see the room, others the handler view."""
    session = current_session(request)
    if session is None:
        return RedirectResponse("/console/login", status_code=303)
    role = session.principal.role.value
    target = "/console/supervisor" if role == "supervisor" else "/console/handler"
    return RedirectResponse(target, status_code=303)


# -- the handler's view ---------------------------------------------------------------------


def _choices(request: Request) -> dict[str, Any]:
    policy = request.app.state.policy
    return {
        "grades": list(policy.grades.values()),
        "agencies": sorted(policy.agencies.values(), key=lambda a: a.name),
        "advice_kinds": list(AdviceKind),
        # 101 last: a 999 call is never passed to it (4.12.4), so it is never the default.
        "destinations": sorted(
            TransferDestination, key=lambda d: d is TransferDestination.POLICE_101
        ),
        "responses": list(SilentResponse),
        "flags": list(VulnerabilityFlag),
        "age_bands": list(AgeBand),
        "silent_prompts": SILENT_PROMPTS,
    }


def _handler_page(
    request: Request,
    session: Session,
    contact_id: str | None,
    *,
    error: DomainError | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    factory = request.app.state.uow_factory
    queue = handler_queue(request, session, _now())
    page = None
    status = 200
    if contact_id is not None:
        try:
            page = console_service.contact_page(
                factory,
                session.principal,
                contact_id,
                now=_now(),
                policy=request.app.state.policy,
                nuisance=request.app.state.nuisance,
            )
        except DomainError as exc:
            return error_page(request, session, exc, status_for(exc))
    if error is not None:
        status = status_for(error)
    done = request.query_params.get("done", "")
    scripts = request.app.state.policy.scripts
    read = request.query_params.get("read", "").split(",")
    prompts = [scripts[sid] for sid in dict.fromkeys(read) if sid in scripts]
    context = {
        "queue": queue,
        "page": page,
        "error": error,
        "form": form or {},
        "done": done,
        "prompts": prompts,
        "ActionKind": ActionKind,
        **queue_view(request, session),
        **_choices(request),
        **alarm_context(request, session),
    }
    return render(request, "handler.html", context, session=session, status=status)


@router.get("/handler")
def handler(request: Request, session: Reader) -> Response:
    """The queue, with no contact open."""
    return _handler_page(request, session, None)


@router.get("/handler/{contact_id}")
def handler_contact(contact_id: str, request: Request, session: Reader) -> Response:
    """The queue and one contact, ready to work."""
    return _handler_page(request, session, contact_id)


@router.post("/contacts/{contact_id}/actions")
async def contact_action(contact_id: str, request: Request, session: Reader) -> Response:
    """Apply a procedure action from a form, through the same service and audit as the API.
    A refusal shows the page again with the reason and the paragraph."""
    try:
        form = await read_form(request)
    except DomainError as exc:
        return _handler_page(request, session, contact_id, error=exc)
    if not check_csrf(request, session, form):
        return expired_form()
    now = _now()
    back = form.pop("return", "")
    try:
        action = action_from_form(form, now)
        details = contacts_service.do_action(
            request.app.state.uow_factory,
            session.principal,
            contact_id,
            action,
            now,
            request.app.state.policy,
        )
    except DomainError as exc:
        note_refusal(exc)
        return _handler_page(request, session, contact_id, error=exc, form=form)
    await sync_chat(request, session, details.contact, now)
    if back == "supervisor":
        return RedirectResponse("/console/supervisor#approvals", status_code=303)
    read = ",".join(prompt.script_id for prompt in details.prompts)
    target = f"/console/handler/{contact_id}?{urlencode({'done': action.kind.value, 'read': read})}"
    return RedirectResponse(target, status_code=303)


@router.get("/contacts/{contact_id}/location.geojson")
def location(contact_id: str, request: Request, session: Reader) -> Response:
    """The contact's location evidence for the map."""
    factory = request.app.state.uow_factory
    try:
        found = contacts_service.location_geojson(factory, session.principal, contact_id, _now())
    except DomainError as exc:
        return JSONResponse({"error": exc.as_dict()}, status_code=status_for(exc))
    return JSONResponse(found, media_type="application/geo+json")


@router.get("/queue")
def queue_fragment(request: Request, session: Reader) -> Response:
    """The queue alone (the page reloads it after it reconnects to the live feed)."""
    queue = handler_queue(request, session, _now())
    context = {"queue": queue, "active": request.query_params.get("active", "")}
    return render(request, "_queue.html", context | queue_view(request, session), session=session)
