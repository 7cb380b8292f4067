"""Draining: an instance told to stop hands its long-lived connections to the others.

On SIGTERM the server stops accepting connections and waits for the requests in flight; the
console's live feeds (server-sent events) and the chat sockets would keep it waiting for as
long as someone has the page open. So :func:`start_draining` ends them at once, each with a
hint to come back soon — a feed with ``retry: 250`` (the browser reconnects a quarter of a
second later, through the proxy, to another instance), a socket with close code 1012 ("service
restart"; the chat page reconnects and resumes) — and ``/readyz`` answers 503 from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import FastAPI

#: Sent to a live feed as the instance stops: reconnect in a quarter of a second.
RECONNECT_SOON = "retry: 250\n\n"
#: Sent first on every live feed: after a connection lost without warning (an instance killed,
#: a network fault) the browser tries again a second later, so it is back within two.
RECONNECT_AFTER_LOSS = "retry: 1000\n\n"
#: WebSocket close code for "the service is restarting: connect again".
SERVICE_RESTART = 1012


class Draining:
    """Whether the instance is stopping, and a way to wait for it (one per application)."""

    def __init__(self) -> None:
        self.started = False
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def event(self) -> asyncio.Event:
        """The event set when draining starts (made on the running loop on first use)."""
        if self._event is None:
            self._event = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            if self.started:
                self._event.set()
        return self._event

    def start(self) -> None:
        """Start draining; safe from a signal handler or another thread."""
        self.started = True
        if self._event is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._event.set)


def draining(app: FastAPI | Any) -> Draining:
    """The application's :class:`Draining` (made on first use)."""
    found: Draining | None = getattr(app.state, "draining", None)
    if found is None:
        found = Draining()
        app.state.draining = found
    return found


async def next_or_drain(
    waiting: asyncio.Future[Any] | asyncio.Task[Any], timeout: float, app: FastAPI | Any
) -> tuple[bool, Any]:
    """Wait up to ``timeout`` seconds for ``waiting``: ``(True, result)`` when it came,
    ``(False, None)`` when the time ran out or the instance started draining (then
    :attr:`Draining.started` says which). ``waiting`` is cancelled when not used."""
    stop = asyncio.ensure_future(draining(app).event().wait())
    done, _ = await asyncio.wait({waiting, stop}, timeout=timeout, return_when="FIRST_COMPLETED")
    stop.cancel()
    if waiting in done:
        return True, waiting.result()
    waiting.cancel()
    return False, None


async def close_when_draining(socket: Any) -> None:
    """Close ``socket`` with :data:`SERVICE_RESTART` once the instance starts draining."""
    await draining(socket.app).event().wait()
    with contextlib.suppress(RuntimeError):  # already closed
        await socket.close(SERVICE_RESTART, "the service is restarting: connect again")
