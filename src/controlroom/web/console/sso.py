"""Signing in to the console through the force's single sign-on (OpenID Connect), when
``CONTROLROOM_OIDC_ISSUER`` is set: the authorization-code flow with PKCE.

``/console/login/sso`` sends the browser to the provider with a random ``state``, ``nonce`` and
PKCE challenge, kept for ten minutes in a signed, ``HttpOnly`` cookie; the provider sends it back
to ``/console/login/sso/callback``, where the state must match, the code is exchanged and the ID
token verified (``adapters/oidc.py``), and the controlroom account it names is signed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from controlroom.domain.errors import DomainError
from controlroom.services import sessions
from controlroom.web.console.login_page import login_page, safe_next
from controlroom.web.console.session import (
    SESSION_COOKIE,
    encode_cookie,
    lifetime,
    secret_for,
    set_cookie,
    settings_of,
)
from controlroom.web.console.sso_provider import provider_of

router = APIRouter(prefix="/console", include_in_schema=False)
SSO_COOKIE = "cr_console_sso"
SSO_SECONDS = 600


def _callback(request: Request) -> str:
    return str(request.url_for("sso_callback"))


def _seal(key: bytes, data: dict[str, str]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{body}.{hmac.new(key, body.encode(), hashlib.sha256).hexdigest()}"


def _open(key: bytes, value: str) -> dict[str, Any] | None:
    body, _, signature = value.partition(".")
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(expected, signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _problem(request: Request, message: str, status: int) -> Response:
    return login_page(request, error=message, status=status)


@router.get("/login/sso")
def sso_start(request: Request) -> Response:
    """Off to the force's sign-on provider."""
    provider = provider_of(request)
    if provider is None:
        return _problem(request, "Single sign-on is not configured here.", 404)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    target = request.query_params.get("next", "/console")
    try:
        url = provider.authorization_url(
            redirect_uri=_callback(request),
            state=state,
            nonce=nonce,
            code_challenge=challenge.decode().rstrip("="),
        )
    except DomainError as exc:
        return _problem(request, exc.message, 503)
    response = RedirectResponse(url, status_code=303)
    sealed = _seal(
        secret_for(request), {"state": state, "nonce": nonce, "verifier": verifier, "next": target}
    )
    set_cookie(response, request, SSO_COOKIE, sealed, SSO_SECONDS)
    return response


@router.get("/login/sso/callback", name="sso_callback")
def sso_callback(request: Request) -> Response:
    """Back from the provider: check, exchange the code, sign the account in."""
    provider = provider_of(request)
    if provider is None:
        return _problem(request, "Single sign-on is not configured here.", 404)
    params = request.query_params
    if params.get("error"):
        why = params.get("error_description") or params["error"]
        return _problem(request, f"The sign-on provider did not sign you in: {why}", 401)
    kept = _open(secret_for(request), request.cookies.get(SSO_COOKIE, ""))
    state = params.get("state", "")
    if kept is None or not state or not hmac.compare_digest(str(kept.get("state")), state):
        return _problem(request, "The sign-in had expired or was not started here; try again.", 400)
    settings = settings_of(request)
    try:
        claims = provider.identity(
            code=params.get("code", ""),
            redirect_uri=_callback(request),
            code_verifier=str(kept["verifier"]),
            nonce=str(kept["nonce"]),
        )
        session = sessions.sign_on(
            request.app.state.uow_factory,
            claims,
            username_claim=settings.oidc_username_claim,
            now=datetime.now(UTC),
            client=request.client.host if request.client else "",
        )
    except DomainError as exc:
        return _problem(request, exc.message, 401)
    response = RedirectResponse(safe_next(str(kept.get("next", ""))), status_code=303)
    value = encode_cookie(secret_for(request), session)
    set_cookie(response, request, SESSION_COOKIE, value, int(lifetime(request).total_seconds()))
    response.delete_cookie(SSO_COOKIE, path="/console")
    return response
