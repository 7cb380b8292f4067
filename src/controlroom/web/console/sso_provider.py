"""Which single sign-on provider the console uses, if any."""

from __future__ import annotations

from fastapi import Request

from controlroom import bootstrap
from controlroom.services.sessions import IdentityProvider
from controlroom.web.console.session import settings_of


def provider_of(request: Request) -> IdentityProvider | None:
    """The configured provider (``app.state.identity_provider`` replaces it, for tests)."""
    given: IdentityProvider | None = getattr(request.app.state, "identity_provider", None)
    return given or bootstrap.identity_provider(settings_of(request))
