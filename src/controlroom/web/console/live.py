"""The console's live feed: server-sent events carrying queue rows as contacts change.

One feed per application watches for changed contacts and fans the rendered rows out to every
open console. It reads what changed from the audit log (every change to a contact writes a row
there in the same transaction), so nothing is missed and several app instances sharing a
database agree; the live-message broker (``app.state.broker``), when there is one, wakes it the
moment an event is published instead of at its next look (every :data:`POLL_SECONDS`).

Each message is ``event: queue`` with ``{"seq": n, "rows": [{"id", "key", "section", "html"}]}``:
``section`` is ``waiting`` or ``working`` (``null`` when the contact has left the queue) and
``key`` orders the rows of a section as text; ``alarm`` is true for an escalated written contact
still waiting (the page then reloads its alarm, ``web/console/alarm.py``). A browser that
reconnects reloads the whole queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from controlroom.domain.access import Permission
from controlroom.services import console as console_service
from controlroom.services.console import QueueItem
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.templating import templates
from controlroom.web.draining import (
    RECONNECT_AFTER_LOSS,
    RECONNECT_SOON,
    draining,
    next_or_drain,
)

log = logging.getLogger(__name__)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]
router = APIRouter(prefix="/console", include_in_schema=False)
#: How often the feed looks for changes when no broker wakes it.
POLL_SECONDS = 0.25
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS = 15.0
#: Undelivered messages one browser may hold before it is told to reload.
SUBSCRIBER_QUEUE = 200
EVENTS_TOPIC = "events"


class LiveFeed:
    """Watches for changed contacts and sends their queue rows to every subscriber."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.seq: int | None = None
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.listener: asyncio.Task[None] | None = None

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue receiving every message from now on (starts the feed if needed)."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(SUBSCRIBER_QUEUE)
        self.subscribers.add(queue)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        if getattr(self.app.state, "broker", None) is not None and (
            self.listener is None or self.listener.done()
        ):
            self.listener = asyncio.create_task(self._listen())
        return queue

    async def begin(self) -> None:
        """Take the audit log's head now, before a new subscriber's stream opens, when the feed
        has none yet: every change after it is sent, and the page's reload on opening covers
        what came before (otherwise a change between the two could be missed)."""
        if self.seq is None:
            factory = self.app.state.uow_factory
            head, _ = await run_in_threadpool(console_service.changes_since, factory, None)
            if self.seq is None:
                self.seq = head

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        """Stop sending to ``queue``."""
        self.subscribers.discard(queue)

    async def _listen(self) -> None:
        broker = self.app.state.broker
        try:
            async with broker.subscription(EVENTS_TOPIC) as messages:
                async for _ in messages:
                    self.wake.set()
                    if not self.subscribers:
                        return
        except Exception:  # the feed still polls without the broker
            log.exception("the live feed lost the broker; polling only")

    async def _run(self) -> None:
        factory = self.app.state.uow_factory
        while self.subscribers:
            try:
                head, changed = await run_in_threadpool(
                    console_service.changes_since, factory, self.seq
                )
                self.seq = head
                if changed:
                    rows = await run_in_threadpool(self._rows, changed)
                    self._send({"seq": head, "rows": [_row(i, r) for i, r in rows.items()]})
            except Exception:
                log.exception("the live feed could not read the changes; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)
            self.wake.clear()

    def _rows(self, changed: list[str]) -> dict[str, QueueItem | None]:
        wrap_up = timedelta(seconds=self.app.state.policy.wrap_up.seconds)
        return console_service.feed_rows(
            self.app.state.uow_factory, changed, now=datetime.now(UTC), wrap_up=wrap_up
        )

    def _send(self, message: dict[str, Any]) -> None:
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:  # too far behind: it reloads the queue
                self.subscribers.discard(queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)


def _row(contact_id: str, item: QueueItem | None) -> dict[str, Any]:
    if item is None:
        return {
            "id": contact_id,
            "key": "",
            "section": None,
            "html": "",
            "state": "",
            "version": 0,
            "alarm": False,
        }
    html = templates.get_template("console/_row.html").render(item=item, active="")
    section = "waiting" if item.waiting else "working"
    return {
        "id": contact_id,
        "key": item.sort_key,
        "section": section,
        "html": html,
        "state": item.state.value,
        "version": item.version,
        "alarm": item.emergency,  # an escalated contact waiting: the page reloads its alarm
        "handler": item.handler,
    }


def feed_for(request: Request) -> LiveFeed:
    """The application's feed (made on first use)."""
    feed: LiveFeed | None = getattr(request.app.state, "console_feed", None)
    if feed is None:
        feed = LiveFeed(request.app)
        request.app.state.console_feed = feed
    return feed


@router.get("/live")
async def live(request: Request, _: Reader) -> StreamingResponse:
    """Server-sent events: queue rows as contacts change."""
    feed = feed_for(request)
    queue = feed.subscribe()
    try:
        await feed.begin()
    except Exception:
        feed.unsubscribe(queue)
        raise

    async def stream() -> AsyncIterator[str]:
        try:
            yield RECONNECT_AFTER_LOSS
            while True:
                came, message = await next_or_drain(
                    asyncio.ensure_future(queue.get()), KEEPALIVE_SECONDS, request.app
                )
                if not came:
                    if draining(request.app).started:
                        yield RECONNECT_SOON
                        return
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                if message is None:
                    yield "event: reload\ndata: {}\n\n"
                    return
                yield f"event: queue\ndata: {json.dumps(message)}\n\n"
        finally:
            feed.unsubscribe(queue)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
