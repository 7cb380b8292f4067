"""Every request has an id, carried into every log record made for it.

:class:`RequestContext` (ASGI middleware, outermost) takes the request's ``X-Request-ID`` when
it is sane (1 to 64 letters, digits, ``.``, ``_``, ``:`` or ``-``), otherwise makes one (32
hex digits), gives it back in the response's ``X-Request-ID`` header, and holds it, with the
contact id of a contact's route (``/api/contacts/<id>/...``, ``/console/contacts/<id>/...``,
``/console/handler/<id>``), in context variables while the request is served.
:func:`install_request_context` gives every log record made in that context (uvicorn's access
log line included, and records made in the worker threads of sync routes, which copy the
context) the attributes ``request_id`` and ``context_contact_id`` (``None`` outside a
request; a record given ``extra={"contact_id": ...}`` names its contact itself).
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
REQUEST_ID: ContextVar[str | None] = ContextVar("controlroom_request_id", default=None)
CONTACT_ID: ContextVar[str | None] = ContextVar("controlroom_contact_id", default=None)
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_CONTACT_PATH = re.compile(
    r"/(?:api/contacts|console/contacts|console/handler)/(?P<id>[A-Za-z0-9._:-]{1,128})(?:/|$)"
)

#: Fixed path segments where a contact id could stand (``/api/contacts/search``).
_NOT_IDS = frozenset({"search"})


def request_id_from(given: str | None) -> str:
    """``given`` when it is a sane request id, otherwise a new one."""
    if given is not None and _SANE.fullmatch(given):
        return given
    return uuid.uuid4().hex


def contact_id_from(path: str) -> str | None:
    """The contact id in a contact's route, or ``None``."""
    found = _CONTACT_PATH.match(path)
    if found is None or found.group("id") in _NOT_IDS:
        return None
    return found.group("id")


class RequestContext:
    """ASGI middleware: the request id and contact id of each request (module doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(HEADER))
        request_token = REQUEST_ID.set(request_id)
        contact_token = CONTACT_ID.set(contact_id_from(scope.get("path", "")))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            CONTACT_ID.reset(contact_token)
            REQUEST_ID.reset(request_token)


def install_request_context() -> None:
    """Give every log record made from now on the request and contact ids of its context
    (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "controlroom_context", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        record.context_contact_id = CONTACT_ID.get()  # ``contact_id`` may come with ``extra``
        return record

    make.__dict__.update(getattr(factory, "__dict__", {}))  # what the wrapped one has done
    make.controlroom_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)
