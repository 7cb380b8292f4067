"""Live chat for the public: the chat page and the visitor's WebSocket ``/public/chat/ws``.

The protocol (JSON frames; docs/digital101.md has it whole):

- first frame ``{"type": "start", "form_token", "client_id", "text"}`` for a new chat, or
  ``{"type": "resume", "chat", "secret", "after"}`` to pick one up after a reload or a lost
  connection (the page keeps ``chat`` and ``secret`` in the tab's session storage, never in
  the URL);
- answered ``{"type": "joined", "chat", "secret"?, "state", "position"}``, then every message
  after ``after`` and the live ones: ``{"type": "message", "seq", "client_id", "from", "text",
  "at", "emergency"?}``, ``{"type": "typing"}``, ``{"type": "position"}``, ``{"type": "state"}``;
- then the visitor sends ``{"type": "message", "client_id", "text"}`` (acknowledged by the
  message coming back with its ``seq``; resending the same ``client_id`` stores nothing new and
  is answered ``{"type": "ack", "client_id", "seq"}``), ``{"type": "typing"}`` and
  ``{"type": "leave"}``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response, WebSocket, WebSocketDisconnect

from controlroom.domain.chat import ChatInfo, ChatState, Sender, check_client_id, check_text
from controlroom.domain.errors import DomainError
from controlroom.services import chat as service
from controlroom.services.chat import Chats
from controlroom.web.draining import close_when_draining
from controlroom.web.public.guard import CHAT_ALREADY_STARTED, Guard, Refused
from controlroom.web.public.pages import client_of
from controlroom.web.public.sockets import (
    POLICY,
    Closed,
    Outbox,
    close_on_failure,
    error_frame,
    follow,
    receive,
    same_origin,
    stop,
)
from controlroom.web.public.sockets import (
    close_quietly as _close_quietly,
)
from controlroom.web.public.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
FIRST_FRAME_SECONDS = 30.0
POSITION_SECONDS = 1.5


@router.get("/public/chat", summary="Live Chat")
async def chat_page(request: Request) -> Response:
    """The Live Chat page (the chat itself runs over the WebSocket)."""
    guard: Guard = request.app.state.public.guard
    try:
        guard.page(client_of(request))
    except Refused as refused:
        return render(
            request, "message.html", refused.status, title="Please wait", message=refused.message
        )
    return render(request, "chat.html", title="Live Chat", form_token=guard.form_token("chat"))


@router.websocket("/public/chat/ws")
async def visitor_socket(socket: WebSocket) -> None:
    """A visitor's chat."""
    if not same_origin(socket):
        await socket.close(POLICY, "cross-site connection refused")
        return
    await socket.accept()
    chats: Chats = socket.app.state.chats
    guard: Guard = socket.app.state.public.guard
    client = socket.client.host if socket.client else "unknown"
    outbox = Outbox(socket)
    writer = asyncio.create_task(outbox.run())
    tasks: list[asyncio.Task[Any] | None] = [
        writer,
        asyncio.create_task(close_when_draining(socket)),
    ]
    try:
        chat, after = await _join(socket, chats, guard, client, outbox)
        ready = asyncio.Event()
        following = follow(chats, chat.chat_id, after, outbox, me=Sender.VISITOR.value, ready=ready)
        tasks.append(close_on_failure(asyncio.create_task(following), socket))
        await ready.wait()
        tasks.append(asyncio.create_task(_positions(chats, chat.chat_id, outbox)))
        await _conversation(socket, chats, guard, client, chat, outbox)
    except Closed as closed:
        outbox.put({"type": "error", "code": "closed", "message": closed.reason})
        outbox.close()
        await asyncio.wait_for(writer, 2)
        await socket.close(closed.code, closed.reason[:120])
    except (TimeoutError, WebSocketDisconnect, RuntimeError):
        pass
    except Exception:  # never a traceback to the client: logged, and the socket closed
        log.exception("chat socket failed")
        await _close_quietly(socket)
    finally:
        await stop(*tasks)


async def _join(
    socket: WebSocket, chats: Chats, guard: Guard, client: str, outbox: Outbox
) -> tuple[ChatInfo, int]:
    """Start or resume the chat the first frame asks for; the chat and the ``seq`` to follow
    from."""
    while True:
        frame = await receive(socket, FIRST_FRAME_SECONDS)
        try:
            now = datetime.now(UTC)
            if frame.get("type") == "start":
                token = str(frame.get("form_token", ""))
                guard.check_form_token(token, "chat")
                guard.chat(client)
                await guard.spend_form_token(token, "chat", CHAT_ALREADY_STARTED)
                try:
                    started = await service.start(
                        chats, frame.get("text"), frame.get("client_id"), now
                    )
                except DomainError:  # nothing started: the page may try again with its token
                    await guard.unspend_form_token(token, "chat")
                    raise
                chat, secret, after = started.chat, started.secret, 0
            elif frame.get("type") == "resume":
                chat = await service.resume(chats, frame.get("chat"), frame.get("secret"))
                secret, after = None, _int(frame.get("after"))
            else:
                raise Closed(POLICY, "start or resume a chat first")
        except Refused as refused:
            outbox.put(
                {
                    "type": "error",
                    "code": "refused",
                    "message": refused.message,
                    "retry_after": refused.retry_after,
                }
            )
            continue
        except DomainError as exc:
            outbox.put(error_frame(exc))
            continue
        joined: dict[str, Any] = {
            "type": "joined",
            "chat": chat.chat_id,
            "state": chat.state.value,
            "position": await service.position(chats, chat.chat_id),
        }
        if secret is not None:
            joined["secret"] = secret
        outbox.put(joined)
        return chat, after


def _int(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


async def _positions(chats: Chats, chat_id: str, outbox: Outbox) -> None:
    """Tell a waiting visitor their place in the queue whenever it changes."""
    last: int | None = -1
    while True:
        place = await service.position(chats, chat_id)
        if place != last:
            outbox.put({"type": "position", "position": place})
            last = place
        if place is None:
            return
        await asyncio.sleep(POSITION_SECONDS)


async def _conversation(
    socket: WebSocket, chats: Chats, guard: Guard, client: str, chat: ChatInfo, outbox: Outbox
) -> None:
    """The visitor's frames after joining, until they leave or disconnect."""
    while True:
        frame = await receive(socket)
        kind = frame.get("type")
        try:
            if kind == "typing":
                guard.chat_message(client)
                service.typing(chats, chat.chat_id, Sender.VISITOR)
            elif kind == "message":
                guard.chat_message(client)
                client_id = check_client_id(frame.get("client_id"))
                text = check_text(frame.get("text"))
                stored, new = await service.say(
                    chats, chat, Sender.VISITOR, client_id, text, datetime.now(UTC)
                )
                if not new:  # a new message is acknowledged by its own echo
                    outbox.put({"type": "ack", "client_id": client_id, "seq": stored["seq"]})
            elif kind == "leave":
                current = await chats.store.get(chat.chat_id) or chat
                if current.state is not ChatState.CLOSED:
                    await service.visitor_left(chats, current, datetime.now(UTC))
                outbox.put({"type": "left"})
            else:
                raise Closed(POLICY, f"unknown frame type {kind!r}")
        except Refused as refused:
            if kind != "typing":
                outbox.put(
                    {
                        "type": "error",
                        "code": "refused",
                        "message": refused.message,
                        "client_id": frame.get("client_id"),
                        "retry_after": refused.retry_after,
                    }
                )
        except DomainError as exc:
            outbox.put(error_frame(exc, client_id=frame.get("client_id")))
