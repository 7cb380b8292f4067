"""Open311 GeoReport v2 under ``/open311/v2`` (docs/open311.md).

:func:`install_open311` reads the force's report types from the policy file the settings name
(``[online_reporting]``), keeps online reports in the database the units of work use, and adds
the routes.
"""

from __future__ import annotations

from fastapi import FastAPI

from controlroom.bootstrap import reporting_for
from controlroom.config import Settings
from controlroom.domain.reporting import ReportingConfig
from controlroom.web.open311.limits import Limiter, RateLimits
from controlroom.web.open311.routes import Open311, router

__all__ = ["Open311", "install_open311"]


def install_open311(
    app: FastAPI,
    settings: Settings,
    *,
    config: ReportingConfig | None = None,
    limits: RateLimits | None = None,
) -> None:
    """Add the Open311 routes to ``app`` (after ``app.state.policy`` is set)."""
    reporting = reporting_for(settings, app.state.policy, config)
    app.state.open311 = Open311(reporting, Limiter(limits))
    app.include_router(router)
