"""``GET /metrics``: the Prometheus figures of this instance, for the holder of the metrics
token; and the HTTP layer's own measurements (telephony events, procedure refusals).

``/metrics`` answers only a request with ``Authorization: Bearer <CONTROLROOM_METRICS_TOKEN>``
(compared in constant time); anything else gets 401 in the API's error shape and not one
figure. With no token configured, it answers 401 to everybody, saying how to turn it on.
The figures themselves are built in ``adapters/metrics.py`` (through ``bootstrap``); the list
is in docs/operations.md.

:class:`TelephonyTimer` (ASGI middleware) times each ``POST /api/telephony/events`` from its
arrival to the start of its answer, and counts it by its event type and result, whichever
path answers it (the fast path or the route). Procedure refusals are counted where the HTTP
layer answers them (``web/errors.py``: ``note_refusal``).
"""

from __future__ import annotations

import hmac
import json
from time import perf_counter
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controlroom.services.accounts import bearer_token
from controlroom.services.instruments import instruments

router = APIRouter()
TELEPHONY_PATH = "/api/telephony/events"
#: Telephony event types counted by name; any other is counted as ``other``.
TELEPHONY_TYPES = frozenset(
    {
        "call.offered",
        "call.answered",
        "call.dtmf",
        "call.ended",
        "call.reconnected",
        "sms.received",
        "sms.status",
    }
)
_MAX_BODY = 64 * 1024


def _refused(message: str, hint: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": "unauthenticated", "message": message, "hint": hint}},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"},
    )


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """This instance's figures in the Prometheus text format, for the metrics token only."""
    expected: str | None = request.app.state.settings.metrics_token
    if not expected:
        return _refused(
            "metrics are not enabled",
            "set CONTROLROOM_METRICS_TOKEN and scrape with that token as a bearer token",
        )
    given = bearer_token(request.headers.get("authorization")) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _refused(
            "the metrics token is missing or wrong",
            "send 'Authorization: Bearer <CONTROLROOM_METRICS_TOKEN>'",
        )
    source = request.app.state.metrics
    return Response(
        source.exposition(),
        media_type=source.content_type,
        headers={"Cache-Control": "no-store"},
    )


def install_metrics(app: FastAPI) -> None:
    """Add ``/metrics`` to ``app``."""
    app.include_router(router)


def result_of(status: int) -> str:
    """A telephony event's result, from its answer's status."""
    if status < 300:
        return "accepted"
    if status in (401, 403):
        return "unauthorised"
    if status == 409:
        return "refused"
    if status < 500:
        return "invalid"
    return "unavailable" if status == 503 else "error"


def _event_type(body: bytes) -> str:
    try:
        found: Any = json.loads(body).get("type")
    except (ValueError, AttributeError, RecursionError):  # not JSON, not an object, too deep
        return "other"
    return found if isinstance(found, str) and found in TELEPHONY_TYPES else "other"


class TelephonyTimer:
    """ASGI middleware: each telephony event's acknowledgement time and result (module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != TELEPHONY_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        body = bytearray()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) <= _MAX_BODY:
                body.extend(message.get("body", b""))
            return message

        async def send_and_time(message: Message) -> None:
            if message["type"] == "http.response.start":
                seconds = perf_counter() - started
                kind = _event_type(bytes(body)) if len(body) <= _MAX_BODY else "other"
                instruments().telephony_event(kind, result_of(message["status"]), seconds)
            await send(message)

        await self.app(scope, receive_and_keep, send_and_time)
