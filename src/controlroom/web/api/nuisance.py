"""``/api/callers`` and ``/api/nuisance``: thin routes over caller history, nuisance cases, their
documents and the supervisor views (docs/nuisance.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from controlroom.domain.access import Permission, Principal
from controlroom.domain.nuisance import (
    DocumentKind,
    NuisanceConfig,
)
from controlroom.domain.policy import Policy
from controlroom.services import nuisance as service
from controlroom.services import nuisance_views as views
from controlroom.services.ports import DocumentRenderer
from controlroom.web.api.nuisance_render import (
    identifier_out,
    jsonable,
    render_brief,
    render_call,
    render_case,
    render_flag,
    render_history,
)
from controlroom.web.auth import require, uow_factory
from controlroom.web.schemas import ErrorResponse
from controlroom.web.schemas_nuisance import (
    CallerHistoryOut,
    CallOut,
    CaseActionIn,
    CaseOut,
    CaseOverviewOut,
    FlaggedListOut,
    MarkCallIn,
    OpenCaseIn,
    TimelineOut,
)

callers_router = APIRouter(prefix="/api/callers", tags=["nuisance"])
router = APIRouter(prefix="/api/nuisance", tags=["nuisance"])

Reader = Annotated[Principal, Depends(require(Permission.CONTACT_READ))]
Handler = Annotated[Principal, Depends(require(Permission.CONTACT_ACT))]
Supervisor = Annotated[Principal, Depends(require(Permission.REPORTS_READ))]
IdentifierPath = Annotated[
    str,
    Path(max_length=40, description="An E.164 number (+447700900123, any country) or an IMEI."),
]


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


AUTH: dict[int | str, dict[str, Any]] = {
    401: _doc("No token, or a token that is not valid (WWW-Authenticate: Bearer)."),
    403: _doc("The token's role does not have the permission."),
}
LOOKUP_ERRORS = AUTH | {
    400: _doc("A withheld or malformed number or IMEI; the hint says what to send."),
}
CASE_ERRORS = AUTH | {404: _doc("No case with this id.")}
ACT_ERRORS = CASE_ERRORS | {
    400: _doc("A value the domain refuses: a withheld or malformed number, unknown step..."),
    409: _doc(
        "policy_violation: the ladder refuses the move, naming the paragraph (e.g. a request "
        "to disconnect a caller flagged as vulnerable, without a supervisor's override); or "
        "conflict: the number is under another case, or the case changed meanwhile."
    ),
    422: _doc("Malformed JSON, an unknown action, a missing or wrong-typed field."),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


def _config(request: Request) -> NuisanceConfig:
    config: NuisanceConfig = request.app.state.nuisance
    return config


# -- callers ----------------------------------------------------------------------------------


@callers_router.get(
    "/{identifier}/history",
    response_model=CallerHistoryOut,
    summary="A caller's history and nuisance flags",
    responses=LOOKUP_ERRORS,
)
def caller_history(identifier: IdentifierPath, request: Request, principal: Reader) -> Any:
    """What a number or handset (IMEI) did over the last 30 days: counts over windows, the
    handler's line, flags with evidence, cases and every call."""
    config = _config(request)
    found = service.caller_history(uow_factory(request), principal, identifier, _now(), config)
    return render_history(found, config.ladder, calls=True)


@callers_router.get(
    "/{identifier}/timeline",
    response_model=TimelineOut,
    summary="A caller's calls and case events in time order",
    responses=LOOKUP_ERRORS,
)
def caller_timeline(
    identifier: IdentifierPath,
    request: Request,
    principal: Reader,
    days: Annotated[int, Query(ge=1, le=views.MAX_TIMELINE_DAYS, description="How far back.")] = 30,
) -> Any:
    """Every call from the number or IMEI (and the other identifiers of its case) and every
    action on its case, oldest first."""
    config = _config(request)
    found = views.timeline(uow_factory(request), principal, identifier, _now(), config, days=days)
    history = found.history
    items = [
        {
            "at": item.at,
            "local_time": f"{history.local(item.at):%Y-%m-%d %H:%M:%S}",
            "type": "call" if item.call is not None else "case",
            "call": None if item.call is None else render_call(item.call, history.tz),
            "case_id": item.case_id,
            "entry": None if item.entry is None else jsonable(item.entry),
        }
        for item in found.items
    ]
    return {
        "identifiers": [identifier_out(identifier) for identifier in found.identifiers],
        "summary": history.summary,
        "flags": [render_flag(flag) for flag in found.flags],
        "cases": [render_brief(record, config.ladder) for record in found.cases],
        "notes": list(found.notes),
        "items": items,
    }


# -- supervisor views -------------------------------------------------------------------------


@router.get(
    "/flagged", response_model=FlaggedListOut, summary="Numbers flagged now", responses=AUTH
)
def flagged(
    request: Request,
    principal: Supervisor,
    hours: Annotated[float, Query(gt=0, le=720, description="Calls in the last N hours.")] = 24,
    limit: Annotated[int, Query(ge=1, le=views.MAX_CANDIDATES, description="At most.")] = 50,
) -> Any:
    """Numbers and IMEIs with calls in the window (or an open case) whose history detection
    flags now, with their calls per day over the last 7 days; surest first, then busiest."""
    now, config = _now(), _config(request)
    window = timedelta(hours=hours)
    found = views.flagged_numbers(
        uow_factory(request), principal, window=window, now=now, config=config, limit=limit
    )
    items = [
        {
            "identifier": identifier_out(item.identifier),
            "calls_in_window": item.calls_in_window,
            "summary": item.summary,
            "flags": [render_flag(flag) for flag in item.flags],
            "trend": [{"day": day.day.isoformat(), "calls": day.calls} for day in item.trend],
            "last_call": item.last_call,
            "case": None if item.case is None else render_brief(item.case, config.ladder),
        }
        for item in found
    ]
    return {"window_hours": hours, "generated_at": now, "items": items}


@router.get(
    "/cases", response_model=CaseOverviewOut, summary="Cases by kind and step", responses=AUTH
)
def cases_overview(
    request: Request,
    principal: Supervisor,
    include_closed: Annotated[bool, Query(description="List closed cases too.")] = False,
) -> Any:
    """Nuisance cases grouped by kind (vulnerable person, faulty device, deliberate misuse,
    unassessed) and by the ladder step they stand at."""
    config = _config(request)
    groups = views.cases_by_kind_and_step(
        uow_factory(request), principal, config, include_closed=include_closed
    )
    out = [
        {
            "kind": group.kind,
            "step": group.step,
            "step_name": group.step_name,
            "count": len(group.cases),
            "cases": [render_brief(record, config.ladder) for record in group.cases],
        }
        for group in groups
    ]
    return {"total": sum(group["count"] for group in out), "groups": out}


# -- cases ------------------------------------------------------------------------------------


@router.post(
    "/cases",
    response_model=CaseOut,
    status_code=201,
    summary="Open a nuisance case",
    responses=ACT_ERRORS,
)
def open_case(body: OpenCaseIn, request: Request, principal: Handler) -> Any:
    """A case for a number, an IMEI or both; detection's flags are recorded on it at once."""
    view = service.do_open_case(
        uow_factory(request),
        principal,
        number=body.number,
        imei=body.imei,
        reason=body.reason,
        now=_now(),
        policy=_policy(request),
        config=_config(request),
    )
    return render_case(view)


@router.get(
    "/cases/{case_id}", response_model=CaseOut, summary="One nuisance case", responses=CASE_ERRORS
)
def get_case(case_id: str, request: Request, principal: Reader) -> Any:
    """The case, its record and history, the caller's history and what you may do now."""
    view = service.get_case(
        uow_factory(request), principal, case_id, _now(), _policy(request), _config(request)
    )
    return render_case(view)


@router.post(
    "/cases/{case_id}/actions",
    response_model=CaseOut,
    summary="Move a case on the ladder",
    responses=ACT_ERRORS,
)
def case_action(case_id: str, body: CaseActionIn, request: Request, principal: Handler) -> Any:
    """Apply an action: assess, propose, approve, reject, record, override_vulnerability,
    link_identifier, close or reopen. A move the ladder refuses answers 409 with the
    paragraph, the reason and a hint."""
    view = service.do_case_action(
        uow_factory(request),
        principal,
        case_id,
        body.to_command(),
        _now(),
        _policy(request),
        _config(request),
    )
    return render_case(view)


CallerName = Annotated[
    str, Query(max_length=200, description="The account holder's name, for a warning letter.")
]
DOCUMENT_ERRORS = ACT_ERRORS | {
    400: _doc("The document's step still waits for a supervisor's approval."),
}


def _document(
    request: Request, principal: Principal, case_id: str, kind: DocumentKind, fmt: str, name: str
) -> Response:
    renderer: DocumentRenderer = request.app.state.documents
    document = service.do_generate_document(
        uow_factory(request),
        principal,
        case_id,
        kind,
        fmt,
        now=_now(),
        policy=_policy(request),
        config=_config(request),
        renderer=renderer,
        caller_name=name,
    )
    disposition = "attachment" if fmt == "pdf" else "inline"
    headers = {"Content-Disposition": f'{disposition}; filename="{document.filename}"'}
    return Response(document.content, media_type=document.media_type, headers=headers)


@router.get(
    "/cases/{case_id}/documents/{kind}.pdf",
    summary="A case document as PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **DOCUMENT_ERRORS},
)
def document_pdf(
    case_id: str, kind: DocumentKind, request: Request, principal: Handler, name: CallerName = ""
) -> Response:
    """The warning letter, PECS request, safeguarding referral or prosecution summary, as a
    PDF download; producing it is audited (nuisance:document:generate)."""
    return _document(request, principal, case_id, kind, "pdf", name)


@router.get(
    "/cases/{case_id}/documents/{kind}.html",
    summary="A case document as HTML",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}, **DOCUMENT_ERRORS},
)
def document_html(
    case_id: str, kind: DocumentKind, request: Request, principal: Handler, name: CallerName = ""
) -> Response:
    """The same document as an HTML page; producing it is audited."""
    return _document(request, principal, case_id, kind, "html", name)


@router.post(
    "/calls/{contact_id}/markers",
    response_model=CallOut,
    summary="Mark a call as abusive or a hoax",
    responses=AUTH | {404: _doc("No contact with this id."), 400: _doc("Nothing to mark.")},
)
def mark_call(contact_id: str, body: MarkCallIn, request: Request, principal: Handler) -> Any:
    """The handler's judgement that a call was abusive or a hoax, which deliberate-misuse
    detection counts; audited (nuisance:call:mark)."""
    now, config = _now(), _config(request)
    call = service.do_mark_call(
        uow_factory(request),
        principal,
        contact_id,
        abusive=body.abusive,
        hoax=body.hoax,
        reason=body.reason,
        now=now,
    )
    return render_call(call, config.tz)
