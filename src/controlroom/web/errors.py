"""The one place that turns errors into HTTP answers. No traceback ever reaches a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from controlroom.domain.access import AccessDenied, Unauthenticated
from controlroom.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PolicyError,
    PolicyViolation,
    SchemaMismatch,
    ServiceUnavailable,
)
from controlroom.services.instruments import instruments

log = logging.getLogger(__name__)


def note_refusal(error: BaseException) -> None:
    """Count ``error`` when it is a procedure's refusal (``controlroom_procedure_refusals``)."""
    if isinstance(error, PolicyViolation):
        instruments().refused(error.paragraph)


STATUS_FOR_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    PolicyViolation: 409,
    PolicyError: 500,
    ServiceUnavailable: 503,
    SchemaMismatch: 503,
    Unauthenticated: 401,
    AccessDenied: 403,
    Conflict: 409,
}


def status_for(error: DomainError) -> int:
    """The HTTP status for a domain error: the most specific class listed wins."""
    for cls in type(error).__mro__:
        if cls in STATUS_FOR_ERROR:
            return STATUS_FOR_ERROR[cls]
    return 400


def _location(loc: tuple[int | str, ...], kind: str) -> str:
    if kind == "json_invalid":  # the location is a character position in the body
        return "body"
    parts = [str(part) for part in loc if part not in ("body", "query", "path")]
    return ".".join(parts) or "body"


#: codes and hints for the errors the framework raises itself (no route, wrong method...)
FRAMEWORK_CODES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_input", "send a JSON body (nested at most a few hundred levels deep)"),
    401: ("unauthenticated", "send Authorization: Bearer <token>"),
    403: ("forbidden", None),
    404: ("not_found", "see /docs for the endpoints"),
    405: ("method_not_allowed", "the Allow header lists the methods this path takes"),
    413: ("body_too_large", None),
    415: ("unsupported_media_type", "send content-type: application/json"),
}


def _detail(exc: HTTPException) -> str:
    detail = exc.detail
    return detail if isinstance(detail, str) and detail else "request refused"


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, request-validation errors and anything unexpected to JSON answers."""

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        note_refusal(exc)
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        return JSONResponse({"error": exc.as_dict()}, status_code=status_for(exc), headers=headers)

    @app.exception_handler(HTTPException)
    async def framework_error(_: Request, exc: HTTPException) -> JSONResponse:
        code, hint = FRAMEWORK_CODES.get(exc.status_code, ("http_error", None))
        error: dict[str, str] = {"code": code, "message": _detail(exc)}
        if hint is not None:
            error["hint"] = hint
        return JSONResponse({"error": error}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": _location(tuple(err.get("loc", ())), str(err.get("type", ""))),
                "message": str(err.get("msg", "")),
            }
            for err in exc.errors()
        ]
        first = problems[0] if problems else {"field": "body", "message": "invalid request"}
        return JSONResponse(
            {
                "error": {
                    "code": "invalid_request",
                    "message": f"{first['field']}: {first['message']}",
                    "field": first["field"],
                    "hint": "see the OpenAPI schema at /docs for the expected shape",
                    "problems": problems,
                }
            },
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse(
            {"error": {"code": "internal_error", "message": "unexpected server error; logged"}},
            status_code=500,
        )
