"""Liveness and readiness: ``/healthz`` answers while the process runs; ``/readyz`` says
whether it can serve (the database reachable and its schema current)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from controlroom import __version__
from controlroom.domain.errors import DatabaseUnavailable
from controlroom.web.draining import draining

RETRY_AFTER = DatabaseUnavailable.retry_after
#: A readiness check: the problems found, empty when ready.
Readiness = Callable[[], list[str]]


def install_health(app: FastAPI, readiness: Readiness) -> None:
    """Add ``/healthz`` (liveness) and ``/readyz`` (readiness, from ``readiness``)."""

    @app.get("/healthz", tags=["health"], summary="Liveness check")
    def healthz() -> dict[str, str]:
        """Answers while the service is up, whatever the state of the database: restart the
        process only when this fails."""
        return {"status": "ok", "version": __version__}

    @app.get("/readyz", tags=["health"], summary="Readiness check")
    def readyz() -> JSONResponse:
        """200 when the service can serve requests; 503 naming what is wrong when the database
        cannot be reached or its schema is not the one this version needs."""
        problems = ["instance: stopping"] if draining(app).started else readiness()
        if problems:
            return JSONResponse(
                {"status": "not ready", "version": __version__, "problems": problems},
                status_code=503,
                headers={
                    "Retry-After": str(DatabaseUnavailable.retry_after),
                    "Cache-Control": "no-store",
                },
            )
        return JSONResponse(
            {"status": "ready", "version": __version__}, headers={"Cache-Control": "no-store"}
        )
