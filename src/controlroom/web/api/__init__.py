"""The JSON API under ``/api``: its routers and the guard on request bodies.

Bodies sent to ``/api/...`` are read before any route parses them, so an oversized body is
refused with 413 without being held in memory whole, and a body that is not UTF-8 is refused
with 400 in the API's error shape. The limit follows the policy's ``limits.max_text_chars``:
6 bytes a character (the longest JSON escape, ``\\uXXXX``) plus 16 KiB; a batch may be
:data:`BATCH_BODY_FACTOR` times that. Telephony events have a fixed limit of their own
(:data:`FIXED_BODY_LIMITS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controlroom.domain.policy import Policy
from controlroom.web.api.answers import router as answers_router
from controlroom.web.api.asgi_messages import given_back
from controlroom.web.api.contacts import audit_router
from controlroom.web.api.contacts import router as contacts_router
from controlroom.web.api.figures import router as figures_router
from controlroom.web.api.location import router as location_router
from controlroom.web.api.mait import router as mait_router
from controlroom.web.api.nuisance import callers_router
from controlroom.web.api.nuisance import router as nuisance_router
from controlroom.web.api.outbox import router as outbox_router
from controlroom.web.api.planning import router as planning_router
from controlroom.web.api.search import router as search_router
from controlroom.web.api.sms import router as sms_router
from controlroom.web.api.telephony import router as telephony_router
from controlroom.web.api.telephony_fast import TelephonyFastPath
from controlroom.web.api.triage import router as triage_router
from controlroom.web.api.typed_location import router as typed_location_router

API_PREFIX = "/api/"
BODY_BYTES_PER_CHAR = 6
BODY_OVERHEAD_BYTES = 16 * 1024
BATCH_BODY_FACTOR = 8
#: paths whose bodies carry many texts, and how many single bodies they may weigh
BODY_FACTORS: Mapping[str, int] = {"/api/triage/batch": BATCH_BODY_FACTOR}
#: paths with a limit of their own, in bytes, whatever the policy
FIXED_BODY_LIMITS: Mapping[str, int] = {
    "/api/telephony/events": 64 * 1024,
    "/api/location/aml": 8 * 1024,
    "/api/mait/acknowledgements": 256 * 1024,
}
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def install_api(app: FastAPI) -> None:
    """Add the API's routes and its request-body guard to ``app``."""
    # search first: /api/contacts/{contact_id} would take /api/contacts/search
    routers = (
        triage_router,
        search_router,
        contacts_router,
        telephony_router,
        location_router,
        audit_router,
    )
    for router in (*routers, answers_router, callers_router, nuisance_router, sms_router):
        app.include_router(router)
    app.include_router(typed_location_router)
    app.include_router(figures_router)
    app.include_router(outbox_router)
    app.include_router(mait_router)
    app.include_router(planning_router)
    app.add_middleware(TelephonyFastPath)
    app.add_middleware(BodyGuard)  # added last, so it runs first
    generate = app.openapi
    app.openapi = lambda: one_error_shape(generate())  # type: ignore[method-assign]


_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
#: what every ``/api`` operation may answer besides its own documented statuses
_ALWAYS: Mapping[str, str] = {
    "400": "A value the service refuses (what, where and how to fix it are in the error).",
    "401": "No token, or a token that is not valid (WWW-Authenticate: Bearer).",
    "403": "The token's role does not have the permission.",
    "422": "A parameter or body of the wrong shape or type, or out of range; problems lists "
    "every one.",
}


def one_error_shape(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``schema`` stating the answers the service really gives: under ``/api``
    every error is the one error shape (the framework's own 422 model is never sent), and
    the Open311 endpoints, which read their parameters by hand, never answer 422. Applying
    it again changes nothing."""
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            if path.startswith("/open311/"):
                answers.pop("422", None)
                continue
            if not path.startswith(API_PREFIX):
                continue
            for status, description in _ALWAYS.items():
                answer = answers.get(status)
                if answer is None or "HTTPValidationError" in json.dumps(answer):
                    answers[status] = {
                        "description": description,
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    }
    components = schema.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in json.dumps(schema.get("paths", {})):
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def body_limit(policy: Policy, path: str) -> int:
    """The largest request body, in bytes, accepted at ``path`` under ``policy``."""
    fixed = FIXED_BODY_LIMITS.get(path.rstrip("/"))
    if fixed is not None:
        return fixed
    single = BODY_BYTES_PER_CHAR * policy.limits.max_text_chars + BODY_OVERHEAD_BYTES
    return single * BODY_FACTORS.get(path.rstrip("/"), 1)


class BodyGuard:
    """ASGI middleware: 413 for an API body over :func:`body_limit`, 400 for one not UTF-8."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _METHODS_WITH_BODY
            or not scope["path"].startswith(API_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        policy: Policy = scope["app"].state.policy
        limit = body_limit(policy, scope["path"])
        batch = BODY_FACTORS.get(scope["path"].rstrip("/"), 1) > 1
        fixed = scope["path"].rstrip("/") in FIXED_BODY_LIMITS
        headers = Headers(scope=scope)
        declared = _content_length(headers)
        if declared is not None and declared > limit:
            await _too_large(send, limit, policy, declared, batch=batch, fixed=fixed)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit, policy, None, batch=batch, fixed=fixed)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if _is_json(headers):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as exc:
                await _send_error(
                    send,
                    400,
                    code="invalid_input",
                    message=(
                        f"the body is not valid UTF-8 "
                        f"(byte 0x{body[exc.start]:02X} at byte {exc.start + 1})"
                    ),
                    hint="send JSON encoded as UTF-8",
                )
                return
        await self.app(scope, given_back(_whole(body), receive), send)


def _whole(body: bytes) -> Message:
    return {"type": "http.request", "body": body, "more_body": False}


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers.get("content-length", ""))
    except ValueError:
        return None


def _is_json(headers: Headers) -> bool:
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def _too_large(
    send: Send, limit: int, policy: Policy, size: int | None, *, batch: bool, fixed: bool = False
) -> None:
    told = f"{size:,} bytes" if size is not None else "larger than that"
    hint = f"a text may be at most {policy.limits.max_text_chars:,} characters"
    if batch:
        hint += "; send fewer contacts per batch"
    if fixed:
        hint = "send one event per request"
    await _send_error(
        send,
        413,
        code="body_too_large",
        message=f"the request body is {told}; the limit here is {limit:,} bytes",
        hint=hint,
    )


async def _send_error(send: Send, status: int, *, code: str, message: str, hint: str) -> None:
    payload = {"error": {"code": code, "message": message, "field": "body", "hint": hint}}
    body = json.dumps(payload).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
