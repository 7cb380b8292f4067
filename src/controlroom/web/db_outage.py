"""A database outage as an HTTP answer: 503 with ``Retry-After``, in the one error shape."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from controlroom.adapters.db.outage import DatabaseUnavailable, is_outage, reason

log = logging.getLogger(__name__)


def outage_response(exc: DatabaseUnavailable | None = None) -> JSONResponse:
    """The 503 answer for a database outage."""
    error = exc or DatabaseUnavailable()
    return JSONResponse(
        {"error": error.as_dict()},
        status_code=503,
        headers={"Retry-After": str(error.retry_after), "Cache-Control": "no-store"},
    )


def install_outage_handler(app: FastAPI) -> None:
    """Answer a database outage with 503 and ``Retry-After``, whether it was met inside a unit
    of work (:class:`DatabaseUnavailable`) or outside one (a driver error)."""

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DatabaseUnavailable):
            return outage_response(exc)
        if is_outage(exc):
            log.warning("database unavailable: %s", reason(exc))
            return outage_response()
        log.error("database error", exc_info=exc)
        return JSONResponse(
            {"error": {"code": "internal_error", "message": "unexpected server error; logged"}},
            status_code=500,
        )

    for error in (DatabaseUnavailable, DBAPIError, DisconnectionError, PoolTimeout):
        app.add_exception_handler(error, unavailable)
