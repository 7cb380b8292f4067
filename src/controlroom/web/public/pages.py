"""The public pages: "is it a police matter?", reporting online, and checking a report.

No page needs a login, none puts personal data in its URL (descriptions, contact details and
references are posted), and each form carries a signed token from the page that served it
(``guard.py``). Errors are shown on the page, in plain words, with the fields kept.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from starlette.concurrency import run_in_threadpool

from controlroom.domain.errors import DomainError, NotFound, ServiceUnavailable
from controlroom.domain.reporting import HandledElsewhere
from controlroom.services import guidance as guidance_service
from controlroom.services import reporting as reporting_service
from controlroom.services.public_site import PUBLIC_SITE
from controlroom.web.public import forms
from controlroom.web.public.guard import Guard, Refused
from controlroom.web.public.templating import SECURITY_HEADERS, STATIC, render

log = logging.getLogger(__name__)
router = APIRouter(prefix="/public", include_in_schema=False)
STATIC_FILES = {
    "public.css": "text/css",
    "chat.js": "text/javascript",
}


def _guard(request: Request) -> Guard:
    guard: Guard = request.app.state.public.guard
    return guard


def client_of(request: Request) -> str:
    """The client's address, for rate limits."""
    return request.client.host if request.client else "unknown"


def _error(exc: Exception) -> dict[str, str]:
    if isinstance(exc, Refused):
        return {"field": "", "message": exc.message}
    if isinstance(exc, DomainError):
        message = exc.message[:1].upper() + exc.message[1:]
        if exc.hint:
            message += f" ({exc.hint})"
        return {"field": exc.field or "", "message": message}
    return {"field": "", "message": str(exc)}


async def _page(
    request: Request,
    template: str,
    work: Callable[[], Awaitable[dict[str, Any]]],
    purpose: str,
    kept: dict[str, Any] | None = None,
    **base: Any,
) -> Response:
    """Render ``template`` with what ``work`` returns; a refusal or a domain error is shown on
    the same page (with its status) and whatever ``work`` put in ``kept``, anything else as a
    plain apology (logged)."""
    guard = _guard(request)
    kept = {} if kept is None else kept
    retry_after: float | None = None
    try:
        guard.page(client_of(request))
        found = await work()
        context, status = base | kept | found, 200
    except (Refused, DomainError) as exc:
        status, retry_after, error = _refusal(exc)
        context = base | kept | {"errors": [error]}
    except Exception:
        log.exception("public page %s failed", request.url.path)
        return render(
            request,
            "message.html",
            500,
            title="Sorry, something went wrong",
            message="Please try again in a few minutes. If anyone is in danger, call 999.",
        )
    response = render(request, template, status, form_token=guard.form_token(purpose), **context)
    return _with_retry_after(response, retry_after)


def _refusal(exc: Refused | DomainError) -> tuple[int, float | None, dict[str, str]]:
    """The status, the seconds to wait (for 429 and 503) and the error shown for ``exc``."""
    if isinstance(exc, Refused):
        wait = exc.retry_after if exc.status == 429 else None
        return exc.status, wait or (5.0 if exc.status == 429 else None), _error(exc)
    if isinstance(exc, ServiceUnavailable):
        wait = float(getattr(exc, "retry_after", 5))
        message = "We cannot take this just now. Please try again in a minute. If anyone is in "
        return 503, wait, {"field": "", "message": message + "danger, call 999."}
    return (404 if isinstance(exc, NotFound) else 400), None, _error(exc)


def _with_retry_after(response: Response, seconds: float | None) -> Response:
    if seconds is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


@router.get("/", summary="Is it a police matter?")
async def index(request: Request) -> Response:
    """The guidance page."""

    async def work() -> dict[str, Any]:
        return {}

    return await _page(
        request, "index.html", work, "guidance", title="Is it a police matter?", text=""
    )


@router.post("/guidance", summary="Guidance for a description")
async def guidance(request: Request) -> Response:
    """What to do about the description posted: triage worded for the public."""
    kept: dict[str, Any] = {"text": ""}

    async def work() -> dict[str, Any]:
        form = await forms.read_form(request)
        kept["text"] = text = forms.one(form, "text")
        _guard(request).check_form_token(forms.one(form, "form_token"), "guidance", min_age=0)
        policy = request.app.state.policy
        advice = await run_in_threadpool(guidance_service.advise, text, policy)
        return {"guidance": advice, "text": text}

    title = "Is it a police matter?"
    return await _page(request, "index.html", work, "guidance", kept, title=title)


@router.get("/report", summary="Report types")
async def report_types(request: Request) -> Response:
    """The report types the force takes online, and those it points elsewhere."""
    reporting = request.app.state.open311.reporting

    async def work() -> dict[str, Any]:
        return {
            "types": reporting.config.report_types,
            "agencies": request.app.state.policy.agencies,
        }

    return await _page(request, "report_types.html", work, "report", title="Report online")


def _report_type(request: Request, service_code: str) -> Any:
    reporting = request.app.state.open311.reporting
    report_type = reporting.config.report_type(service_code)  # NotFound for an unknown code
    if report_type.agency is not None:
        agency = request.app.state.policy.agencies[report_type.agency]
        raise HandledElsewhere(report_type, agency)
    return report_type


@router.get("/report/{service_code}", summary="A report form")
async def report_form(request: Request, service_code: str) -> Response:
    """The form for one report type."""
    try:
        report_type = _report_type(request, service_code)
    except DomainError as exc:
        return render(
            request,
            "message.html",
            404,
            title="We cannot take this report online",
            message=_error(exc)["message"],
        )

    async def work() -> dict[str, Any]:
        return {}

    return await _page(
        request,
        "report_form.html",
        work,
        "report",
        type=report_type,
        title=report_type.service_name,
        values={},
    )


@router.post("/report/{service_code}", summary="Send a report")
async def send_report(request: Request, service_code: str) -> Response:
    """Submit a report: a triaged ``online_report`` contact; the receipt with the reference."""
    try:
        report_type = _report_type(request, service_code)
    except DomainError as exc:
        return render(
            request,
            "message.html",
            404,
            title="We cannot take this report online",
            message=_error(exc)["message"],
        )
    values: dict[str, str] = {}
    state = request.app.state

    async def work() -> dict[str, Any]:
        form = await forms.read_form(request)
        values.update({name: given[0] for name, given in form.items() if name != "form_token"})
        await _guard(request).use_form_token(forms.one(form, "form_token"), "report")
        _guard(request).post(client_of(request))
        submission = forms.submission(service_code, form)
        receipt = await run_in_threadpool(
            reporting_service.submit_report,
            state.uow_factory,
            PUBLIC_SITE,
            submission,
            datetime.now(UTC),
            state.policy,
            state.open311.reporting,
        )
        return {"receipt": receipt}

    try:
        state.public.guard.page(client_of(request))
        context = await work()
    except (Refused, DomainError) as exc:
        status, retry_after, error = _refusal(exc)
        page = render(
            request,
            "report_form.html",
            status,
            type=report_type,
            values=values,
            title=report_type.service_name,
            errors=[error],
            form_token=_guard(request).form_token("report"),
        )
        return _with_retry_after(page, retry_after)
    except Exception:
        log.exception("sending a public report failed")
        return render(
            request,
            "message.html",
            500,
            title="Sorry, your report was not sent",
            message="Please try again in a few minutes. If anyone is in danger, call 999.",
        )
    return render(request, "receipt.html", title="Report sent", **context)


@router.get("/status", summary="Check a report")
async def status_form(request: Request) -> Response:
    """The form to check a report by its reference (posted, never in the URL)."""

    async def work() -> dict[str, Any]:
        return {}

    return await _page(request, "status.html", work, "status", title="Check a report", reference="")


@router.post("/status", summary="A report's status")
async def status(request: Request) -> Response:
    """The public view of the report with the reference (or receipt code) posted."""
    state = request.app.state
    kept: dict[str, Any] = {"reference": ""}

    async def work() -> dict[str, Any]:
        form = await forms.read_form(request)
        kept["reference"] = reference = forms.one(form, "reference").strip()
        _guard(request).check_form_token(forms.one(form, "form_token"), "status", min_age=0)
        _guard(request).post(client_of(request))
        report = await run_in_threadpool(_lookup, state, reference)
        return {"report": report, "reference": reference}

    return await _page(request, "status.html", work, "status", kept, title="Check a report")


def _lookup(state: Any, given: str) -> Any:
    reporting, uow_factory, policy = state.open311.reporting, state.uow_factory, state.policy
    wanted = given.strip()
    if not wanted:
        raise NotFound(
            "Enter the reference number or receipt code you were given", field="reference"
        )
    try:
        return reporting_service.get_report(uow_factory, wanted.upper(), policy, reporting)
    except NotFound:
        pass
    try:
        reference = reporting_service.reference_for_token(uow_factory, wanted.lower(), reporting)
    except NotFound:
        raise NotFound(
            f"We could not find a report {wanted!r}. Check the number and try again",
            field="reference",
        ) from None
    return reporting_service.get_report(uow_factory, reference, policy, reporting)


@router.get("/static/{name}", summary="Public pages' styles and scripts")
async def static(name: str) -> Response:
    """A file of the public pages (only the ones listed)."""
    if name not in STATIC_FILES:
        return HTMLResponse("not found", status_code=404)
    headers = dict(SECURITY_HEADERS) | {"Cache-Control": "public, max-age=300"}
    return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers=headers)
