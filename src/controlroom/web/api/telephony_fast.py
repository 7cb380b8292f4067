"""``POST /api/telephony/events`` without the framework's per-request layers, when all is well.

Telephony sends an event for every ring, answer, key and hang-up of every call, so this one
endpoint carries most of the service's requests. Routing a request through the framework
(matching it against every route, resolving its dependencies, validating and serialising)
costs about as much as applying the event. :class:`TelephonyFastPath` answers the plain good
case itself, with the same checks in the same order:

1. the bearer token was found good within the trust period (``web/auth.py``) and its role
   may send events (the one access check);
2. the body is JSON that validates as a telephony event (the route's own schema);
3. the batcher accepts the event (``EventBatcher.submit``), and the answer is sent once it is
   committed — or, if the service refuses it, the error in the API's one error shape.

Anything else — no token, one not checked lately, a body that does not validate, an event
refused before it is queued — goes on to the route itself, which answers as it always does,
so every error reads exactly as documented. The request body has already been read and
limited by the body guard, which runs first.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from controlroom.domain.access import Permission, Principal, Unauthenticated, access_check
from controlroom.domain.errors import DomainError
from controlroom.services.accounts import bearer_token
from controlroom.web.api.asgi_messages import given_back
from controlroom.web.api.telephony import batcher_of
from controlroom.web.auth import tokens_of
from controlroom.web.errors import note_refusal, status_for
from controlroom.web.schemas_telephony import TelephonyEventIn

PATH = "/api/telephony/events"
_EVENTS: TypeAdapter[Any] = TypeAdapter(TelephonyEventIn)
_JSON = [(b"content-type", b"application/json")]


class TelephonyFastPath:
    """ASGI middleware: telephony events answered directly when all is well (module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        message = await receive()
        if message["type"] != "http.request" or message.get("more_body", False):
            await self.app(scope, given_back(message, receive), send)  # not as the guard sends it
            return
        answer = self._submit(scope, message.get("body", b""))
        if answer is None:
            await self.app(scope, given_back(message, receive), send)
            return
        try:
            status, body = await asyncio.wrap_future(answer)
        except DomainError as exc:
            note_refusal(exc)
            await _send(send, status_for(exc), {"error": exc.as_dict()}, refused=exc)
            return
        await _send(send, status, body)

    def _submit(self, scope: Scope, body: bytes) -> Any:
        """The batcher's future for the event, or ``None`` to let the route answer."""
        app = scope["app"]
        headers = Headers(scope=scope)
        if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return None
        now = datetime.now(UTC)
        principal: Principal | None = tokens_of(app).get(
            bearer_token(headers.get("authorization")), now
        )
        if principal is None:
            return None
        try:
            access_check(principal, Permission.TELEPHONY_INGEST)
            event = _EVENTS.validate_python(json.loads(body)).to_event()
            return batcher_of(app).submit(principal, event, now)
        except (DomainError, ValidationError, ValueError, RecursionError):
            return None  # RecursionError: JSON nested too deep for json.loads; the route says so


async def _send(
    send: Send, status: int, body: dict[str, Any], refused: DomainError | None = None
) -> None:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = [(b"content-length", str(len(content)).encode()), *_JSON]
    if isinstance(refused, Unauthenticated):
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
