"""The sign-in page, shared by password and single sign-on, and where it may send you after."""

from __future__ import annotations

import secrets

from fastapi import Request
from fastapi.responses import Response

from controlroom.web.console.session import LOGIN_COOKIE, login_token, secret_for, set_cookie
from controlroom.web.console.sso_provider import provider_of
from controlroom.web.console.templating import render


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    if target and target.startswith("/console") and "//" not in target and "\\" not in target:
        return target
    return "/console"


def login_page(
    request: Request, *, error: str = "", username: str = "", status: int = 200
) -> Response:
    """The sign-in form (with a fresh CSRF nonce), showing ``error`` if any."""
    nonce = secrets.token_hex(16)
    context = {
        "error": error,
        "username": username,
        "next": safe_next(request.query_params.get("next")),
        "login_csrf": login_token(secret_for(request), nonce),
        "sso": provider_of(request) is not None,
    }
    response = render(request, "login.html", context, status=status)
    set_cookie(response, request, LOGIN_COOKIE, nonce, max_age=3600)
    return response
