"""The console's session cookie and CSRF tokens.

The cookie holds the session id, the user's id and when the session began, signed with
HMAC-SHA256 under ``CONTROLROOM_SESSION_SECRET``; whether the session is still valid is decided
by ``services.sessions.resume`` on every request. It is ``HttpOnly`` and ``SameSite=Strict``
(and ``Secure`` with ``CONTROLROOM_SECURE_COOKIES``).

Every form that changes something carries a CSRF token: an HMAC of the session id under the
same key, checked on each POST (a form field ``csrf``, or the ``X-CSRF-Token`` header). The
sign-in form has its own token, tied to a random value in a short-lived cookie.

After a successful sign-in the browser also keeps, for 30 days, a signed cookie naming the
accounts signed in to from it (``cr_console_known``, up to 8): wrong passwords others send for
those accounts do not hold it back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from controlroom.config import Settings
from controlroom.domain.access import Unauthenticated
from controlroom.services import sessions
from controlroom.services.sessions import Session

SESSION_COOKIE = "cr_console"
LOGIN_COOKIE = "cr_console_login"
#: Names the accounts (up to 8) signed in to from this browser, each entry signed: such a
#: browser is not held back by wrong passwords others send for them (docs/access.md).
KNOWN_COOKIE = "cr_console_known"
KNOWN_FOR = timedelta(days=30)
KNOWN_ACCOUNTS = 8
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


_SECRET_SETUP = threading.Lock()


def secret_for(request: Request) -> bytes:
    """The key signing cookies and CSRF tokens (random per process when not configured; made
    once, even when the first requests come at the same time)."""
    state = request.app.state
    key: bytes | None = getattr(state, "console_secret", None)
    if key is None:
        with _SECRET_SETUP:
            key = getattr(state, "console_secret", None)
            if key is None:
                configured = settings_of(request).session_secret
                key = configured.encode("utf-8") if configured else secrets.token_bytes(32)
                state.console_secret = key
    return key


def settings_of(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


def _sign(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def encode_cookie(key: bytes, session: Session) -> str:
    """The signed cookie value for ``session``."""
    stamp = int(session.started_at.timestamp())
    payload = json.dumps([session.session_id, session.principal.user_id, stamp]).encode()
    body = base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")
    return f"{body}.{_sign(key, body.encode('ascii'))}"


def decode_cookie(key: bytes, value: str) -> tuple[str, str, datetime] | None:
    """``(session_id, user_id, started_at)`` from a cookie whose signature holds; else None."""
    body, _, signature = value.partition(".")
    if not body or not hmac.compare_digest(_sign(key, body.encode("ascii")), signature):
        return None
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        session_id, user_id, stamp = json.loads(raw)
        return str(session_id), str(user_id), datetime.fromtimestamp(int(stamp), UTC)
    except (ValueError, TypeError):
        return None


def csrf_token(key: bytes, session_id: str) -> str:
    """The CSRF token of a session."""
    return _sign(key, f"csrf|{session_id}".encode())[:40]


def login_token(key: bytes, nonce: str) -> str:
    """The sign-in form's CSRF token for the nonce in its cookie."""
    return _sign(key, f"login|{nonce}".encode())[:40]


def _known_entry(key: bytes, value: str, now: datetime) -> str | None:
    """The account a ``<issued>.<signature>.<name>`` entry vouches for, if it is genuine and
    younger than :data:`KNOWN_FOR`."""
    issued, _, rest = value.partition(".")
    signature, _, name = rest.partition(".")
    if not issued.isdigit() or not name:
        return None
    expected = _sign(key, f"known|{issued}|{name}".encode())[:40]
    age = now.timestamp() - int(issued)
    if hmac.compare_digest(signature, expected) and 0 <= age < KNOWN_FOR.total_seconds():
        return name
    return None


def known_browser_value(key: bytes, name: str, now: datetime, before: str = "") -> str:
    """The cookie value saying this browser signed in to account ``name`` at ``now``, keeping
    the genuine entries of ``before`` (the cookie so far) for up to
    :data:`KNOWN_ACCOUNTS` accounts in all: a shared computer is known to each of its users."""
    issued = int(now.timestamp())
    entries = [f"{issued}.{_sign(key, f'known|{issued}|{name}'.encode())[:40]}.{name}"]
    for entry in before.split("~")[: KNOWN_ACCOUNTS * 2]:
        kept = _known_entry(key, entry, now)
        if kept is not None and kept != name and len(entries) < KNOWN_ACCOUNTS:
            entries.append(entry)
    return "~".join(entries)


def is_known_browser(key: bytes, value: str, name: str, now: datetime) -> bool:
    """True when ``value`` holds an entry this service signed, for account ``name``, less than
    :data:`KNOWN_FOR` ago."""
    wanted = name.strip().lower()
    entries = value.split("~")[: KNOWN_ACCOUNTS * 2]
    return bool(wanted) and any(_known_entry(key, e, now) == wanted for e in entries)


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """Set one of the console's cookies with its safety attributes: ``Secure`` when the request
    came over HTTPS (as a trusted proxy says, behind one) or the settings ask for it always."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=settings_of(request).secure_cookies or request.url.scheme == "https",
    )


def lifetime(request: Request) -> timedelta:
    """How long a session lasts."""
    return timedelta(hours=settings_of(request).session_hours)


def current_session(request: Request) -> Session | None:
    """The valid session the request's cookie presents, or None."""
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    decoded = decode_cookie(secret_for(request), value)
    if decoded is None:
        return None
    session_id, user_id, started_at = decoded
    try:
        return sessions.resume(
            request.app.state.uow_factory,
            session_id=session_id,
            user_id=user_id,
            started_at=started_at,
            now=datetime.now(UTC),
            lifetime=lifetime(request),
        )
    except Unauthenticated:
        return None


def sign_in_redirect(request: Request) -> RedirectResponse:
    """Back to the sign-in page, to return here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/console/login?next={quote(target, safe='')}", status_code=303)


#: What a console form whose CSRF token does not match is told.
EXPIRED_FORM = "The form had expired; reload the page."


def expired_form() -> Response:
    """The answer to a console form whose CSRF token does not match."""
    return Response(EXPIRED_FORM, status_code=400)


def check_csrf(request: Request, session: Session, form: dict[str, Any]) -> bool:
    """True when the POST carries the session's CSRF token."""
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    expected = csrf_token(secret_for(request), session.session_id)
    return hmac.compare_digest(sent, expected)
