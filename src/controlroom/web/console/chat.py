"""Live chat in the console: the conversation of a ``live_chat`` contact, live, on its contact
page (``console/_chat.html``, ``static/console/chat.js``).

Taking a chat is answering its contact (the Answer action: ``web/console/pages.py`` then tells
the chat system, ``services.chat.contact_changed``). Anyone who may read contacts follows the
conversation (server-sent events); handlers and supervisors write in it and end it. Messages
come through the chat store and its topic, so a console on any instance sees them.

The stream: ``event: chat`` for each message (its ``id:`` is the message's ``seq``, so a browser
that reconnects resumes after the last it holds), ``event: typing`` and ``event: state``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from controlroom.domain.access import Permission
from controlroom.domain.chat import Sender
from controlroom.domain.errors import DomainError, InvalidInput
from controlroom.services import chat as service
from controlroom.services.chat import Chats
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.forms import read_form
from controlroom.web.console.pages import _handler_page as handler_page
from controlroom.web.console.session import EXPIRED_FORM, check_csrf, expired_form
from controlroom.web.draining import (
    RECONNECT_AFTER_LOSS,
    RECONNECT_SOON,
    draining,
    next_or_drain,
)
from controlroom.web.errors import status_for
from controlroom.web.public.sockets import follow, stop

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]
Operator = Annotated[Session, Depends(RequireSession(Permission.CONTACT_ACT))]
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS = 15.0


def _chats(request: Request) -> Chats:
    chats: Chats = request.app.state.chats
    return chats


def _error(exc: DomainError) -> JSONResponse:
    return JSONResponse({"error": exc.as_dict()}, status_code=status_for(exc))


class _Frames:
    """The frames a follower gives, for one stream."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def put(self, frame: dict[str, Any]) -> None:
        self.queue.put_nowait(frame)


def _after(request: Request) -> int:
    given = request.headers.get("last-event-id") or request.query_params.get("after", "")
    return int(given) if given.isdigit() else 0


def _event(frame: dict[str, Any]) -> str:
    kind = frame.get("type")
    data = json.dumps(frame, separators=(",", ":"))
    if kind == "message":
        return f"id: {frame.get('seq', 0)}\nevent: chat\ndata: {data}\n\n"
    return f"event: {kind}\ndata: {data}\n\n"


@router.get("/contacts/{contact_id}/chat/live")
async def chat_live(contact_id: str, request: Request, session: Reader) -> Response:
    """The contact's chat as server-sent events: its messages after the last one the browser
    holds, then the live ones, typing notices and changes of state."""
    chats = _chats(request)
    try:
        chat = await service.open_chat(chats, session.principal, contact_id, datetime.now(UTC))
    except DomainError as exc:
        return _error(exc)
    frames = _Frames()
    frames.put({"type": "state", "state": chat.state.value, "operator": chat.operator})
    after = _after(request)

    async def stream() -> AsyncIterator[str]:
        task = asyncio.create_task(
            follow(chats, chat.chat_id, after, frames, me=Sender.OPERATOR.value)
        )
        try:
            yield RECONNECT_AFTER_LOSS
            while not task.done():
                came, frame = await next_or_drain(
                    asyncio.ensure_future(frames.queue.get()), KEEPALIVE_SECONDS, request.app
                )
                if not came:
                    if draining(request.app).started:
                        yield RECONNECT_SOON
                        return
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                yield _event(frame)
        finally:
            await stop(task)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.post("/contacts/{contact_id}/chat/messages")
async def chat_message(contact_id: str, request: Request, session: Operator) -> Response:
    """The operator's message (``client_id``, ``text``): the stored message as JSON."""
    try:
        form = await read_form(request)
        if not check_csrf(request, session, form):
            return JSONResponse({"error": {"code": "expired", "message": EXPIRED_FORM}}, 400)
        stored = await service.operator_says(
            _chats(request),
            session.principal,
            contact_id,
            form.get("client_id"),
            form.get("text"),
            datetime.now(UTC),
        )
    except DomainError as exc:
        return _error(exc)
    return JSONResponse(stored)


@router.post("/contacts/{contact_id}/chat/typing")
async def chat_typing(contact_id: str, request: Request, session: Operator) -> Response:
    """Tell the visitor the operator is typing."""
    try:
        form = await read_form(request)
        if not check_csrf(request, session, form):
            return JSONResponse({"error": {"code": "expired", "message": EXPIRED_FORM}}, 400)
        chat = await service.for_contact(_chats(request), session.principal, contact_id)
    except DomainError as exc:
        return _error(exc)
    service.typing(_chats(request), chat.chat_id, Sender.OPERATOR)
    return Response(status_code=204)


def _answers(text: str) -> dict[str, str]:
    """``CODE=value`` lines as the report type's answers."""
    answers: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        code, equals, value = line.partition("=")
        if not equals or not code.strip():
            raise InvalidInput(
                f"line {number} of the answers is not CODE=value",
                field="answers",
                hint="write one answer a line, as the question's code, '=' and the answer",
            )
        answers[code.strip()] = value.strip()
    return answers


@router.post("/contacts/{contact_id}/chat/end")
async def chat_end(contact_id: str, request: Request, session: Operator) -> Response:
    """End the chat as the operator chose: the transcript onto the contact, and the contact
    closed with advice, an incident or an online report. A refusal shows the page again."""
    try:
        form = await read_form(request)
    except DomainError as exc:
        return handler_page(request, session, contact_id, error=exc)
    if not check_csrf(request, session, form):
        return expired_form()
    chats = _chats(request)
    try:
        chat = await service.for_contact(chats, session.principal, contact_id)
        await service.finish(
            chats,
            session.principal,
            chat.chat_id,
            str(form.get("outcome", "")),
            datetime.now(UTC),
            grade=str(form.get("grade") or ""),
            advice=str(form.get("advice") or "101"),
            service_code=str(form.get("service_code") or ""),
            address=str(form.get("address") or ""),
            answers=_answers(str(form.get("answers") or "")),
        )
    except DomainError as exc:
        return handler_page(request, session, contact_id, error=exc, form=form)
    return RedirectResponse(f"/console/handler/{contact_id}?done=chat_ended", status_code=303)
