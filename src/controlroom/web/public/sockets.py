"""What the chat's two WebSockets (visitor and operator) share: reading frames with limits,
one writer per socket, and following a chat's messages in order without gaps or repeats.

Following a chat: subscribe to its topic first, then send what the store holds after the
client's last ``seq``, then the live messages. A live message already sent is skipped; one that
arrives ahead of a missing one (two instances can publish out of order), or an ``Overflow``,
makes the follower read the store from its last ``seq`` instead. So a client always receives a
chat's messages once each, in ``seq`` order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Protocol
from urllib.parse import urlsplit

from fastapi import WebSocket

from controlroom.domain.errors import DomainError
from controlroom.services.chat import Chats, chat_topic

log = logging.getLogger(__name__)

#: The largest frame a client may send (a message is at most 1,000 characters).
MAX_FRAME_CHARS = 8 * 1024
#: Close codes: policy violation, frame too big.
POLICY, TOO_BIG = 1008, 1009


class Closed(Exception):
    """The socket is to be closed with ``code`` after telling the client ``reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def same_origin(socket: WebSocket) -> bool:
    """True unless a browser says the page that opened the socket is another site's."""
    origin = socket.headers.get("origin")
    if not origin:
        return True  # not a browser: tokens and secrets still apply
    return urlsplit(origin).netloc == socket.headers.get("host", "")


async def receive(socket: WebSocket, timeout: float | None = None) -> dict[str, Any]:
    """The next frame as a JSON object; :class:`Closed` for one too big or not an object."""
    if timeout is None:
        text = await socket.receive_text()
    else:
        text = await asyncio.wait_for(socket.receive_text(), timeout)
    if len(text) > MAX_FRAME_CHARS:
        raise Closed(TOO_BIG, f"a frame may be at most {MAX_FRAME_CHARS:,} characters")
    try:
        frame = json.loads(text)
    except ValueError:
        raise Closed(POLICY, "frames are JSON objects") from None
    if not isinstance(frame, dict):
        raise Closed(POLICY, "frames are JSON objects")
    return frame


def error_frame(exc: DomainError, **extra: Any) -> dict[str, Any]:
    """A domain error as a frame: ``{"type": "error", "code", "message", "field"?, ...}``."""
    return {"type": "error", **exc.as_dict(), **extra}


class Outbox:
    """Frames to one socket, sent by one writer task in the order queued."""

    def __init__(self, socket: WebSocket) -> None:
        self.socket = socket
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def put(self, frame: dict[str, Any]) -> None:
        self.queue.put_nowait(frame)

    async def run(self) -> None:
        """Send until :meth:`close` (or the socket fails)."""
        while (frame := await self.queue.get()) is not None:
            await self.socket.send_text(json.dumps(frame, separators=(",", ":")))

    def close(self) -> None:
        self.queue.put_nowait(None)


class Sink(Protocol):
    """Where a follower puts frames: a socket's :class:`Outbox`, or the console's stream."""

    def put(self, frame: dict[str, Any]) -> None: ...


async def follow(
    chats: Chats,
    chat_id: str,
    after: int,
    outbox: Sink,
    *,
    me: str,
    ready: asyncio.Event | None = None,
) -> None:
    """Send chat ``chat_id``'s messages after ``after`` to ``outbox``, then its live traffic,
    until cancelled. Typing notices from ``me`` (the client's own side) are not echoed."""
    sent = after

    async def catch_up() -> None:
        nonlocal sent
        for message in await chats.store.since(chat_id, sent):
            if message["seq"] > sent:
                outbox.put({"type": "message", "chat": chat_id, **message})
                sent = message["seq"]

    async with chats.broker.subscription(chat_topic(chat_id)) as live:
        await catch_up()
        if ready is not None:
            ready.set()
        async for frame in live:
            kind = frame.get("type")
            if kind == "message":
                seq = frame.get("seq", 0)
                if seq == sent + 1:
                    outbox.put({**_without_topic(frame), "chat": chat_id})
                    sent = seq
                elif seq > sent:
                    await catch_up()
            elif kind == "Overflow":
                await catch_up()
            elif kind == "typing" and frame.get("from") != me:
                outbox.put({"type": "typing", "chat": chat_id, "from": frame.get("from")})
            elif kind == "state":
                outbox.put({**_without_topic(frame), "chat": chat_id})


def _without_topic(frame: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in frame.items() if key != "topic"}


async def stop(*tasks: asyncio.Task[Any] | None) -> None:
    """Cancel ``tasks`` and wait for them to end."""
    for task in tasks:
        if task is not None:
            task.cancel()
    for task in tasks:
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def close_quietly(socket: WebSocket, code: int = 1011) -> None:
    """Close ``socket`` after a server error, if it is still open."""
    with contextlib.suppress(Exception):
        await socket.close(code, "sorry, something went wrong: please reconnect")


_closing: set[asyncio.Future[None]] = set()


def close_on_failure(task: asyncio.Task[Any], socket: WebSocket) -> asyncio.Task[Any]:
    """Close ``socket`` (1011) if ``task`` fails, so the client reconnects and resumes rather
    than waiting on a chat nobody follows any more."""

    def done(finished: asyncio.Task[Any]) -> None:
        if not finished.cancelled() and finished.exception() is not None:
            log.error("following a chat failed", exc_info=finished.exception())
            closing = asyncio.ensure_future(close_quietly(socket))
            _closing.add(closing)
            closing.add_done_callback(_closing.discard)

    task.add_done_callback(done)
    return task
