"""The call-handler and supervisor console: server-rendered pages under ``/console``, signed-in
with a password (docs/console.md), and the vendored scripts and styles under ``/static``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from controlroom.web.console.alarm import router as alarm_router
from controlroom.web.console.chat import router as chat_router
from controlroom.web.console.deps import ConsoleResponse
from controlroom.web.console.live import router as live_router
from controlroom.web.console.location import router as location_router
from controlroom.web.console.nuisance_cases import router as cases_router
from controlroom.web.console.outbox import router as outbox_router
from controlroom.web.console.pages import router as pages_router
from controlroom.web.console.partners import router as partners_router
from controlroom.web.console.planning import router as planning_router
from controlroom.web.console.queue_view import router as queue_view_router
from controlroom.web.console.search import router as search_router
from controlroom.web.console.sms import router as sms_router
from controlroom.web.console.sso import router as sso_router
from controlroom.web.console.supervisor import router as supervisor_router

STATIC = Path(__file__).resolve().parent.parent / "static"


def install_console(app: FastAPI) -> None:
    """Add the console's pages, its live feed and the static files to ``app``."""

    @app.exception_handler(ConsoleResponse)
    async def console_response(_: Request, exc: ConsoleResponse) -> Response:
        return exc.response

    for router in (
        pages_router,
        queue_view_router,
        sso_router,
        live_router,
        supervisor_router,
        cases_router,
        sms_router,
        alarm_router,
        search_router,
    ):
        app.include_router(router)
    app.include_router(location_router)
    app.include_router(chat_router)
    app.include_router(outbox_router)
    app.include_router(partners_router)
    app.include_router(planning_router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
