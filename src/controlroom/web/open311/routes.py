"""``/open311/v2``: the Open311 GeoReport v2 endpoints, thin routes over the reporting use cases.

These answer in the spec's formats (``formats.py``), errors included, so every error raised
under ``/open311/`` is mapped here rather than by the API's handler: a domain error by
:data:`STATUS_FOR_ERROR`, a refusal (413, 429) as it says, anything unexpected as 500 (logged).
Parameters are read by hand (``forms.py``), so no request fails FastAPI's validation in the
API's own error shape. Submitting needs an ``api_key`` in the form body; reading needs nothing
and returns no personal data. Every request is rate-limited (``limits.py``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from controlroom.domain.access import AccessDenied, Unauthenticated
from controlroom.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PolicyError,
    PolicyViolation,
    ServiceUnavailable,
)
from controlroom.domain.policy import Policy
from controlroom.services import reporting as service
from controlroom.services.contacts import UowFactory
from controlroom.web.open311 import forms
from controlroom.web.open311.formats import (
    FORMATS,
    definition,
    error,
    render,
    request_item,
    service_item,
)
from controlroom.web.open311.limits import Limiter

log = logging.getLogger(__name__)
router = APIRouter(prefix="/open311/v2", tags=["open311"])

STATUS_FOR_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthenticated: 403,
    AccessDenied: 403,
    NotFound: 404,
    Conflict: 409,
    PolicyViolation: 409,
    ServiceUnavailable: 503,
    PolicyError: 500,
}
# stated in the schema (enum, lengths) but read by hand, so every refusal is in Open311's shape
Format = Annotated[
    str, Path(description="json or xml", json_schema_extra={"enum": ["json", "xml"]})
]
_FILTER_TEXT: dict[str, Any] = {"maxLength": 2000}


def _answers(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {},
            "text/xml": {"schema": {"type": "string", "description": "The same, as XML."}},
        },
    }


class Open311Error(BaseModel):
    """One error, in GeoReport v2's shape (a list of these is the answer)."""

    code: int = Field(description="The HTTP status.")
    description: str = Field(description="What is wrong and, where known, how to put it right.")


def _refusal(description: str) -> dict[str, Any]:
    return {
        "model": list[Open311Error],
        "description": description,
        "content": {
            "text/xml": {"schema": {"type": "string", "description": "The same, as XML."}},
        },
    }


#: every answer an Open311 endpoint may give, in the spec's own error shape
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: _answers("The answer, as JSON or XML (docs/open311.md)."),
    400: _refusal("A parameter or form field refused, named in the description."),
    403: _refusal("An api_key missing, mistyped or revoked (submitting only)."),
    404: _refusal("An unknown format, jurisdiction, report type, token or reference."),
    409: _refusal("A submission that clashes with one already made."),
    413: _refusal("A form over 64 KiB."),
    429: _refusal("Too many requests from this address or key; Retry-After says when."),
    503: _refusal("The service cannot take reports now."),
}
_FILTERS = {
    "service_request_id": "Comma list of references; overrides every other filter.",
    "service_code": "Comma list of service codes.",
    "start_date": "Requested at or after (ISO 8601 with a time zone).",
    "end_date": "Requested at or before (ISO 8601 with a time zone); at most 90 days on.",
    "status": "open, closed, or both as a comma list.",
    "page": "Page number, from 1.",
    "page_size": f"Reports per page, 1-{service.MAX_PAGE_SIZE} (default 50).",
}
_SUBMIT_BODY = {
    "required": True,
    "description": "api_key, service_code, lat and long (or address_string or address_id), "
    "attribute[CODE], description (at most 4,000 characters), email, first_name, last_name, "
    "phone, media_url (docs/open311.md).",
    "content": {forms.FORM_TYPE: {"schema": {"type": "object", "required": ["api_key"]}}},
}


@dataclass
class Open311:
    """What the Open311 routes work with (``app.state.open311``)."""

    reporting: service.Reporting
    limiter: Limiter
    max_body_bytes: int = forms.MAX_BODY_BYTES


def _setup(request: Request) -> tuple[Open311, Policy, UowFactory]:
    state = request.app.state
    return state.open311, state.policy, state.uow_factory


# -- errors, checks and limits shared by every route ---------------------------------------


def status_for(exc: DomainError) -> int:
    """The status an Open311 answer gives a domain error: the most specific class listed."""
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR_ERROR:
            return STATUS_FOR_ERROR[cls]
    return 400


def _failure(fmt: str, exc: Exception) -> Response:
    if isinstance(exc, forms.Refused):
        return error(fmt, exc.status, exc.description, headers=exc.headers)
    if isinstance(exc, Unauthenticated):
        return error(fmt, 403, "invalid api_key: it is missing, mistyped or revoked")
    if isinstance(exc, DomainError):
        described = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
        return error(fmt, status_for(exc), described)
    log.exception("unexpected error in the Open311 API", exc_info=exc)
    return error(fmt, 500, "unexpected server error; logged")


def _read(fmt: str, request: Request, work: Callable[[], Response]) -> Response:
    """``work()``'s answer to a read, or the error it raised in the spec's format."""
    try:
        _check(fmt, request.query_params.get("jurisdiction_id"), request)
        _limit(_setup(request)[0].limiter.read(_ip(request)))
        return work()
    except Exception as exc:  # every error is answered in the spec's format
        return _failure(fmt, exc)


def _check(fmt: str, jurisdiction: str | None, request: Request) -> None:
    if fmt not in FORMATS:
        raise NotFound(f"unknown format {fmt!r}", field="format", hint="use .json or .xml")
    force = _setup(request)[1].force
    if jurisdiction and jurisdiction != force.id:
        raise NotFound(f"unknown jurisdiction_id {jurisdiction!r}", hint=f"this is {force.id!r}")


def _limit(wait: float | None) -> None:
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        headers = {"Retry-After": str(seconds)}
        raise forms.Refused(429, f"too many requests: try again in {seconds} s", headers)


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- routes ---------------------------------------------------------------------------------


@router.get("/services.{fmt}", summary="Open311: the report types", responses=ANSWERS)
def services(fmt: Format, request: Request) -> Response:
    """Every report type the force takes online (Open311 ``services``)."""

    def work() -> Response:
        config = _setup(request)[0].reporting.config
        return render(fmt, "services", [service_item(item) for item in config.report_types])

    return _read(fmt, request, work)


@router.get(
    "/services/{service_code}.{fmt}",
    summary="Open311: one report type's questions",
    responses=ANSWERS,
)
def service_definition(service_code: str, fmt: Format, request: Request) -> Response:
    """The attributes (questions) of one report type (Open311 service definition)."""

    def work() -> Response:
        item = _setup(request)[0].reporting.config.report_type(service_code)
        return render(fmt, "service_definition", definition(item))

    return _read(fmt, request, work)


@router.post(
    "/requests.{fmt}",
    summary="Open311: submit a report",
    openapi_extra={"requestBody": _SUBMIT_BODY},
    responses=ANSWERS,
)
async def submit(fmt: Format, request: Request) -> Response:
    """A report from a partner system, made into a triaged online-report contact."""
    try:
        forms.refuse_private_query(request.query_params)
        open311, policy, factory = _setup(request)
        body = await forms.read_body(request, open311.max_body_bytes)
        fields = forms.read_form(body, request.headers.get("content-type", ""))
        _check(fmt, fields.get("jurisdiction_id"), request)
        api_key = fields.get("api_key", "")
        _limit(open311.limiter.submit(_ip(request), forms.key_id(api_key)))
        submission = forms.submission(fields)
        now = datetime.now(UTC)
        client = await run_in_threadpool(service.api_client, factory, api_key, now)
        receipt = await run_in_threadpool(
            service.submit_report, factory, client, submission, now, policy, open311.reporting
        )
    except Exception as exc:  # every error is answered in the spec's format
        return _failure(fmt, exc)
    answer: dict[str, Any] = {}
    if receipt.token is not None:
        answer["token"] = receipt.token
    elif receipt.reference is not None:
        answer["service_request_id"] = receipt.reference
    answer |= {"service_notice": receipt.service_notice, "account_id": None}
    return render(fmt, "service_requests", [answer])


@router.get(
    "/tokens/{token}.{fmt}", summary="Open311: the reference for a token", responses=ANSWERS
)
def token(token: str, fmt: Format, request: Request) -> Response:
    """The reference of a report whose type answers with a token (Open311 ``batch``)."""

    def work() -> Response:
        open311, _, factory = _setup(request)
        reference = service.reference_for_token(factory, token, open311.reporting)
        return render(fmt, "service_requests", [{"service_request_id": reference, "token": token}])

    return _read(fmt, request, work)


@router.get("/requests.{fmt}", summary="Open311: search reports", responses=ANSWERS)
def requests(
    fmt: Format,
    request: Request,
    service_request_id: Annotated[
        str | None,
        Query(description=_FILTERS["service_request_id"], json_schema_extra=_FILTER_TEXT),
    ] = None,
    service_code: Annotated[
        str | None, Query(description=_FILTERS["service_code"], json_schema_extra=_FILTER_TEXT)
    ] = None,
    start_date: Annotated[
        str | None, Query(description=_FILTERS["start_date"], json_schema_extra=_FILTER_TEXT)
    ] = None,
    end_date: Annotated[
        str | None, Query(description=_FILTERS["end_date"], json_schema_extra=_FILTER_TEXT)
    ] = None,
    status: Annotated[
        str | None, Query(description=_FILTERS["status"], json_schema_extra=_FILTER_TEXT)
    ] = None,
    page: Annotated[
        str | None, Query(description=_FILTERS["page"], json_schema_extra=_FILTER_TEXT)
    ] = None,
    page_size: Annotated[
        str | None, Query(description=_FILTERS["page_size"], json_schema_extra=_FILTER_TEXT)
    ] = None,
) -> Response:
    """Reports, newest first, without personal data: by reference, type, period and status.
    The number found in all is in the ``X-Total-Count`` header."""

    def work() -> Response:
        open311, policy, factory = _setup(request)
        query, number, size = forms.search(request.query_params)
        found = service.list_reports(
            factory,
            query,
            datetime.now(UTC),
            policy,
            open311.reporting,
            page=number or 1,
            page_size=size or service.DEFAULT_PAGE_SIZE,
        )
        items = [request_item(report) for report in found.items]
        return render(fmt, "service_requests", items, headers={"X-Total-Count": str(found.total)})

    return _read(fmt, request, work)


@router.get(
    "/requests/{service_request_id}.{fmt}", summary="Open311: one report", responses=ANSWERS
)
def one_request(service_request_id: str, fmt: Format, request: Request) -> Response:
    """One report by its reference, without personal data."""

    def work() -> Response:
        open311, policy, factory = _setup(request)
        report = service.get_report(factory, service_request_id, policy, open311.reporting)
        return render(fmt, "service_requests", [request_item(report)])

    return _read(fmt, request, work)


@router.api_route("/{path:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown(path: str) -> Response:
    """Anything else under ``/open311/v2``: 404 in the spec's format (XML for ``.xml``)."""
    fmt = "xml" if path.endswith(".xml") else "json"
    return error(fmt, 404, "no such Open311 endpoint (see docs/open311.md)")
