"""The operators' chat socket for API clients, ``/api/chat/ws`` (people chat in the console:
``web/console/chat.py``).

A token in a URL ends up in logs, so the socket's first frame authenticates:
``{"type": "auth", "token": "<API token>"}``, checked with the one access check for
``contact:act``. Then the client receives
``{"type": "queue", "chats": [...]}`` whenever the queue changes, ``{"type": "alert", ...}`` for
every ``ChatEscalated`` and ``ReportEscalated`` event, and the messages of the chats they take or
join. Frames the operator sends: ``take``, ``join`` (with ``after``, to resume), ``message``,
``typing`` and ``close`` (``outcome``: ``advised``, ``incident`` or ``report``), each naming its
``chat``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.chat import ChatInfo, Sender, check_client_id, check_text
from controlroom.domain.errors import DomainError, InvalidInput
from controlroom.services import chat as service
from controlroom.services.accounts import authorise
from controlroom.services.chat import QUEUE_TOPIC, Chats
from controlroom.services.live import EVENTS_TOPIC
from controlroom.web.draining import close_when_draining
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

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
ALERTS = {"ChatEscalated", "ReportEscalated"}
AUTH_SECONDS = 10.0
QUEUE_SHOWN = 50
QUEUE_FRESH_SECONDS = 0.25


@router.websocket("/api/chat/ws")
async def operator_socket(socket: WebSocket) -> None:
    """An operator's connection: the queue, alerts, and the chats they handle."""
    if not same_origin(socket):
        await socket.close(POLICY, "cross-site connection refused")
        return
    await socket.accept()
    chats: Chats = socket.app.state.chats
    outbox = Outbox(socket)
    writer = asyncio.create_task(outbox.run())
    closer = asyncio.create_task(close_when_draining(socket))
    following: dict[str, asyncio.Task[Any]] = {}
    listener: asyncio.Task[Any] | None = None
    try:
        principal = await _authenticate(socket)
        outbox.put({"type": "hello", "operator": principal.name, "role": principal.role.value})
        ready = asyncio.Event()
        listener = asyncio.create_task(_listen(chats, principal, outbox, ready))
        await ready.wait()
        await _commands(socket, chats, principal, outbox, following)
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
        await stop(writer, closer, listener, *following.values())


async def _authenticate(socket: WebSocket) -> Principal:
    """The user behind the first frame's API token."""
    frame = await receive(socket, AUTH_SECONDS)
    token = frame.get("token") if frame.get("type") == "auth" else None
    try:
        if not isinstance(token, str) or not token:
            raise Closed(POLICY, "send {'type': 'auth', 'token': <API token>} first")
        factory = socket.app.state.uow_factory
        return await run_in_threadpool(
            authorise, factory(), f"Bearer {token}", Permission.CONTACT_ACT, now=datetime.now(UTC)
        )
    except DomainError as exc:
        raise Closed(POLICY, exc.message) from None


class _QueueCache:
    """The queue as last read, shared by an instance's operator sockets for a moment, so a
    change seen by many operators is read from the store once."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.read_at = -1.0
        self.chats: list[dict[str, Any]] = []


_caches: dict[int, _QueueCache] = {}


async def _queue(
    chats: Chats, principal: Principal, changed_at: float = -1.0
) -> list[dict[str, Any]]:
    """The waiting chats, read from the store unless another socket read them a moment ago
    and after ``changed_at`` (when this socket heard the queue change)."""
    access_check(principal, Permission.CONTACT_READ)
    cache = _caches.setdefault(id(chats.store), _QueueCache())
    async with cache.lock:
        now = time.monotonic()
        if now - cache.read_at > QUEUE_FRESH_SECONDS or cache.read_at < changed_at:
            cache.chats = await service.waiting(chats, principal, QUEUE_SHOWN)
            cache.read_at = time.monotonic()
        return cache.chats


async def _listen(chats: Chats, principal: Principal, outbox: Outbox, ready: asyncio.Event) -> None:
    """The queue (sent again at most twice a second while it changes) and the alerts."""
    async with chats.broker.subscription(QUEUE_TOPIC, EVENTS_TOPIC) as frames:
        outbox.put({"type": "queue", "chats": await _queue(chats, principal)})
        ready.set()
        changed = asyncio.Event()
        heard = [-1.0]  # when the last change was heard: a queue read before it is stale

        async def send_queue() -> None:
            while True:
                await changed.wait()
                changed.clear()
                chats_waiting = await _queue(chats, principal, heard[0])
                outbox.put({"type": "queue", "chats": chats_waiting})
                await asyncio.sleep(0.5)

        sender = asyncio.create_task(send_queue())
        try:
            async for frame in frames:
                if frame.get("topic") == QUEUE_TOPIC or frame.get("type") == "Overflow":
                    heard[0] = time.monotonic()
                    changed.set()
                elif frame.get("type") in ALERTS:
                    outbox.put({"type": "alert", "event": frame})
        finally:
            await stop(sender)


async def _commands(
    socket: WebSocket,
    chats: Chats,
    principal: Principal,
    outbox: Outbox,
    following: dict[str, asyncio.Task[Any]],
) -> None:
    joined: dict[str, ChatInfo] = {}  # the chats this socket took or joined
    while True:
        frame = await receive(socket)
        kind, chat_id = frame.get("type"), frame.get("chat")
        try:
            if not isinstance(chat_id, str):
                raise InvalidInput("name the chat", field="chat")
            now = datetime.now(UTC)
            if kind in ("take", "join"):
                if kind == "take":
                    chat = await service.take(chats, principal, chat_id, now)
                else:
                    chat = await service.operator_chat(chats, principal, chat_id)
                after = frame.get("after") if kind == "join" else 0
                after = after if isinstance(after, int) and after >= 0 else 0
                if chat_id in following:
                    await stop(following.pop(chat_id))
                outbox.put(
                    {
                        "type": "joined",
                        "chat": chat_id,
                        "state": chat.state.value,
                        "contact_id": chat.contact_id,
                    }
                )
                task = asyncio.create_task(
                    follow(chats, chat_id, after, outbox, me=Sender.OPERATOR.value)
                )
                following[chat_id] = close_on_failure(task, socket)
                joined[chat_id] = chat
            elif kind == "message":
                client_id = check_client_id(frame.get("client_id"))
                text = check_text(frame.get("text"))
                chat = joined.get(chat_id) or await service.operator_chat(chats, principal, chat_id)
                stored, new = await service.say(
                    chats, chat, Sender.OPERATOR, client_id, text, now, operator=principal.name
                )
                if not new:  # a new message is acknowledged by its own echo
                    ack = {"type": "ack", "chat": chat_id, "client_id": client_id}
                    outbox.put(ack | {"seq": stored["seq"]})
            elif kind == "typing":
                service.typing(chats, chat_id, Sender.OPERATOR)
            elif kind == "close":
                done = await service.finish(
                    chats,
                    principal,
                    chat_id,
                    str(frame.get("outcome", "")),
                    now,
                    grade=str(frame.get("grade") or ""),
                    advice=str(frame.get("advice") or "101"),
                    service_code=str(frame.get("service_code") or ""),
                    address=str(frame.get("address") or ""),
                    answers=_answers(frame.get("answers")),
                )
                outbox.put({"type": "closed", "chat": chat_id, **done})
            else:
                raise Closed(POLICY, f"unknown frame type {kind!r}")
        except DomainError as exc:
            outbox.put(error_frame(exc, chat=chat_id, client_id=frame.get("client_id")))


def _answers(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("answers are an object of question code to answer", field="answers")
    return {str(code): str(answer) for code, answer in value.items()}
