"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from controlroom import __version__
from controlroom.bootstrap import policy_for
from controlroom.config import Settings, load_settings
from controlroom.domain.policy import Policy
from controlroom.web.api import install_api
from controlroom.web.errors import install_error_handlers


def create_app(settings: Settings | None = None, *, policy: Policy | None = None) -> FastAPI:
    """Build the application. The policy is loaded now, so a broken policy stops start-up."""
    settings = settings or load_settings()
    app = FastAPI(
        title="controlroom",
        version=__version__,
        description="Contact handling and call triage for police control rooms.",
    )
    app.state.settings = settings
    app.state.policy = policy or policy_for(settings)
    install_error_handlers(app)
    install_api(app)

    @app.get("/healthz", tags=["health"], summary="Liveness check")
    def healthz() -> dict[str, str]:
        """Answers while the service is up."""
        return {"status": "ok", "version": __version__}

    return app
