"""A database outage as an HTTP answer: 503 with ``Retry-After``, in the one error shape.

Inside a unit of work an outage arrives as :class:`DatabaseUnavailable`; a driver error met
outside one (connection refused, dropped or timed out) is answered the same way.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from controlroom.domain.errors import DatabaseUnavailable

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
    """Answer a database outage with 503 and ``Retry-After``."""

    async def unavailable(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DatabaseUnavailable):
            return outage_response(exc)
        first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
        log.warning("database unavailable: %s", first)
        return outage_response()

    for error in (DatabaseUnavailable, OperationalError, InterfaceError, DisconnectionError):
        app.add_exception_handler(error, unavailable)
    app.add_exception_handler(PoolTimeout, unavailable)
