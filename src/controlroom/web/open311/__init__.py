"""Open311 GeoReport v2 under ``/open311/v2`` (docs/open311.md).

:func:`install_open311` reads the force's report types from the policy file the settings name
(``[online_reporting]``), keeps online reports in the database the units of work use, and adds
the routes.
"""

from __future__ import annotations

from fastapi import FastAPI

from controlroom.adapters.db.reports import sql_reports
from controlroom.adapters.reporting_config import load_reporting_config
from controlroom.config import Settings
from controlroom.domain.reporting import ReportingConfig
from controlroom.services.reporting import Reporting
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
    if config is None:
        config = load_reporting_config(settings.policy, app.state.policy)
    app.state.open311 = Open311(Reporting(config, sql_reports), Limiter(limits))
    app.include_router(router)
