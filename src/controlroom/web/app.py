"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from controlroom import __version__, bootstrap
from controlroom.config import Settings, load_settings
from controlroom.domain.nuisance import NuisanceConfig
from controlroom.domain.policy import Policy
from controlroom.services.contacts import UowFactory
from controlroom.services.demo import seed_demo
from controlroom.services.live import Broker, BrokerPublisher
from controlroom.web.api import install_api
from controlroom.web.api_docs import install_docs
from controlroom.web.console import install_console
from controlroom.web.db_outage import install_outage_handler
from controlroom.web.errors import install_error_handlers
from controlroom.web.health import Readiness, install_health
from controlroom.web.log_redaction import install_redaction
from controlroom.web.metrics import TelephonyTimer, install_metrics
from controlroom.web.open311 import install_open311
from controlroom.web.options import AnswerOptions
from controlroom.web.public import install_public
from controlroom.web.request_context import RequestContext, install_request_context
from controlroom.web.security_headers import SecurityHeaders

#: The page at ``/``: a plain list of the service's front doors.
HOME_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>controlroom</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:18px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;
color:#111;background:#fff}a{color:#0b4f8a}</style></head>
<body><h1>controlroom</h1><ul>
<li><a href="/console/login">Console</a>: call handlers and supervisors sign in here.</li>
<li><a href="/public/">Public pages</a>: "is it a police matter?", online reports, live chat.</li>
<li><a href="/docs">API documentation</a> for integrations (telephony, Open311, triage).</li>
</ul></body></html>
"""


@asynccontextmanager
async def _background(app: FastAPI) -> AsyncIterator[None]:
    """Size the thread pools, and run the outbox's delivery worker (when one is configured)
    while the app serves."""
    threads = app.state.sizing.threads  # database work: the web server's and asyncio's pools
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(threads, thread_name_prefix="controlroom")
    )
    worker = app.state.delivery_worker
    if worker is not None:
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            await asyncio.to_thread(worker.stop)


def create_app(
    settings: Settings | None = None,
    *,
    policy: Policy | None = None,
    uow_factory: UowFactory | None = None,
    nuisance: NuisanceConfig | None = None,
    broker: Broker | None = None,
    readiness: Readiness | None = None,
) -> FastAPI:
    """Build the application. The policy is loaded and the database migrated now, so a broken
    policy or an unreachable database stops start-up. With ``settings.demo`` an empty database
    gets the demo data, and its credentials are printed once on stderr. Domain events reach
    ``app.state.broker`` (topic ``events``) from units of work made here; a ``uow_factory``
    passed in publishes where it was built to. ``/readyz`` asks ``readiness`` (by default: is
    the configured database reachable and migrated, the outbox not stuck). With a C&C endpoint
    configured the outbox's delivery worker runs while the app serves (its lifespan)."""
    settings = settings or load_settings()
    install_redaction()
    install_request_context()
    app = FastAPI(
        title="controlroom",
        version=__version__,
        description="Contact handling and call triage for police control rooms. Every endpoint "
        "but /healthz and /readyz needs an API token: `Authorization: Bearer <token>`.",
        docs_url=None,
        redoc_url=None,
        lifespan=_background,
    )
    app.state.settings = settings
    app.state.sizing = bootstrap.sizing_for(settings)
    app.state.policy = policy or bootstrap.policy_for(settings)
    bootstrap.attach_mait(settings, app.state.policy)
    app.state.broker = broker or bootstrap.broker_for(settings)
    publisher = BrokerPublisher(app.state.broker)
    app.state.uow_factory = uow_factory or bootstrap.uow_factory(settings, publisher=publisher)
    app.state.nuisance = nuisance or bootstrap.nuisance_for(settings, app.state.policy)
    app.state.documents = bootstrap.document_renderer(app.state.nuisance)
    app.state.delivery_worker = bootstrap.delivery_worker(settings, app.state.uow_factory)
    app.state.metrics = bootstrap.metrics_for(settings)
    if settings.demo:
        hasher, nuisance_config = bootstrap.password_hasher(), app.state.nuisance
        seed = seed_demo(app.state.uow_factory, app.state.policy, hasher, nuisance=nuisance_config)
        if seed is not None:
            print(seed.banner(), file=sys.stderr, flush=True)
    install_error_handlers(app)
    install_outage_handler(app)
    install_health(app, readiness or bootstrap.readiness_for(settings))
    install_api(app)
    install_open311(app, settings)
    install_public(app, settings)
    install_console(app)
    install_docs(app)
    install_metrics(app)
    app.add_middleware(AnswerOptions)
    app.add_middleware(SecurityHeaders, tile_url=settings.tile_url)
    if settings.trusted_proxies:
        hosts = [host.strip() for host in settings.trusted_proxies.split(",") if host.strip()]
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=hosts)
    app.add_middleware(TelephonyTimer)
    app.add_middleware(RequestContext)  # outermost: every log line of a request has its id

    @app.get("/", include_in_schema=False)
    def home() -> HTMLResponse:
        """Where to go: the console, the public pages, the API's documentation."""
        return HTMLResponse(HOME_PAGE)

    return app
