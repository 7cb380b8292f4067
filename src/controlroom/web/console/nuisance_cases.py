"""A nuisance case in the console: open one, see its flags and its ladder, move it, and produce
its documents. Every rung is shown with the action that would take it, disabled with the reason
when the ladder would refuse it now (docs/console.md, "Nuisance cases")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError

from controlroom.domain.access import Permission
from controlroom.domain.errors import DomainError, InvalidInput
from controlroom.domain.nuisance import DocumentKind
from controlroom.domain.nuisance.rungs import blocking_flags
from controlroom.services.nuisance import (
    CaseView,
    do_case_action,
    do_generate_document,
    do_open_case,
    get_case,
)
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.forms import read_form
from controlroom.web.console.session import check_csrf, expired_form
from controlroom.web.console.templating import error_page, render
from controlroom.web.errors import status_for
from controlroom.web.schemas_nuisance import CaseActionIn

router = APIRouter(prefix="/console/cases", include_in_schema=False)
Handler = Annotated[Session, Depends(RequireSession(Permission.CONTACT_ACT))]
_ACTIONS: TypeAdapter[Any] = TypeAdapter(CaseActionIn)
#: The actions the case page's forms send.
FORM_ACTIONS = frozenset(
    {"propose", "approve", "reject", "record", "override_vulnerability", "close", "reopen"}
)


def _now() -> datetime:
    return datetime.now(UTC)


def _case_view(request: Request, session: Session, case_id: str) -> CaseView:
    state = request.app.state
    return get_case(
        state.uow_factory, session.principal, case_id, _now(), state.policy, state.nuisance
    )


def _page(
    request: Request,
    session: Session,
    view: CaseView,
    error: DomainError | None = None,
    status: int = 200,
) -> Response:
    ladder = view.config.ladder
    documents = [
        kind
        for kind in DocumentKind
        if ladder.with_document(kind) or kind is DocumentKind.SAFEGUARDING_REFERRAL
    ]
    context = {
        "nav": "cases",
        "view": view,
        "case": view.case,
        "names": {step.id: step.name for step in ladder.steps},
        "blocking": blocking_flags(view.case, ladder),
        "documents": documents,
        "error": error,
    }
    return render(request, "nuisance_case.html", context, session=session, status=status)


@router.get("")
def cases_page(request: Request, session: Handler) -> Response:
    """The form to open a case for a number."""
    return render(request, "nuisance_open.html", {"nav": "cases", "error": None}, session=session)


@router.post("")
async def open_case(request: Request, session: Handler) -> Response:
    """Open a case for the number given, then show it."""
    form = await read_form(request)
    if not check_csrf(request, session, form):
        return expired_form()
    state = request.app.state
    try:
        view = do_open_case(
            state.uow_factory,
            session.principal,
            number=str(form.get("number", "")).strip() or None,
            imei=str(form.get("imei", "")).strip() or None,
            reason=str(form.get("reason", "")),
            now=_now(),
            policy=state.policy,
            config=state.nuisance,
        )
    except DomainError as exc:
        context = {"nav": "cases", "error": exc, "form": form}
        return render(
            request, "nuisance_open.html", context, session=session, status=status_for(exc)
        )
    return RedirectResponse(f"/console/cases/{view.case.id}", status_code=303)


@router.get("/{case_id}")
def case_page(case_id: str, request: Request, session: Handler) -> Response:
    """The case: its flags, the safeguard, the ladder with what may be done now."""
    try:
        view = _case_view(request, session, case_id)
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    return _page(request, session, view)


@router.post("/{case_id}/actions")
async def case_action(case_id: str, request: Request, session: Handler) -> Response:
    """Apply the form's action; a refusal is shown on the case page with its rule and hint."""
    form = await read_form(request)
    if not check_csrf(request, session, form):
        return expired_form()
    state = request.app.state
    try:
        command = _command(form)
        do_case_action(
            state.uow_factory,
            session.principal,
            case_id,
            command,
            _now(),
            state.policy,
            state.nuisance,
        )
    except DomainError as exc:
        try:
            view = _case_view(request, session, case_id)
        except DomainError:
            return error_page(request, session, exc, status_for(exc))
        return _page(request, session, view, exc, status_for(exc))
    return RedirectResponse(f"/console/cases/{case_id}", status_code=303)


def _command(form: dict[str, Any]) -> Any:
    """The case action a form describes, validated by the API's own schema."""
    data = {key: value for key, value in form.items() if key != "csrf"}
    if data.get("action") not in FORM_ACTIONS:
        raise InvalidInput(f"unknown action {data.get('action')!r}", field="action")
    try:
        parsed = _ACTIONS.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "action"
        raise InvalidInput(
            f"{where}: {first['msg']}", field=where, hint="fill in every field of the form"
        ) from None
    return parsed.to_command()


@router.get("/{case_id}/documents/{kind}.html")
def document(case_id: str, kind: str, request: Request, session: Handler) -> Response:
    """A case document as an HTML page (audited, like the API's)."""
    state = request.app.state
    try:
        try:
            document_kind = DocumentKind(kind)
        except ValueError:
            known = ", ".join(k.value for k in DocumentKind)
            raise InvalidInput(f"unknown document {kind!r}", field="kind", hint=known) from None
        produced = do_generate_document(
            state.uow_factory,
            session.principal,
            case_id,
            document_kind,
            "html",
            now=_now(),
            policy=state.policy,
            config=state.nuisance,
            renderer=state.documents,
        )
    except DomainError as exc:
        return error_page(request, session, exc, status_for(exc))
    return Response(produced.content, media_type=produced.media_type)
