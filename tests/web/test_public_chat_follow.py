"""Following a chat (``web/public/sockets.follow``): messages reach the client once each, in
``seq`` order, even when they are published out of order or the subscriber overflows."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from controlroom.adapters.chat_store import InProcessChatStore
from controlroom.adapters.pubsub import InProcessBroker
from controlroom.domain.chat import ChatInfo
from controlroom.services.chat import Chats, chat_topic
from controlroom.web.public.sockets import follow
from tests.run_async import run_async

NOW = datetime(2026, 12, 4, 15, tzinfo=UTC)


class _Outbox:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    def put(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)


def _message(n: int) -> dict[str, Any]:
    return {"client_id": f"client-{n:04d}", "from": "visitor", "text": str(n), "at": ""}


def test_out_of_order_and_lost_live_messages_are_filled_in_from_the_store() -> None:
    async def work() -> list[int]:
        store, broker = InProcessChatStore(), InProcessBroker(queue_size=2)
        chats = Chats(None, None, broker, store)  # type: ignore[arg-type]
        await store.create(ChatInfo("chat-1", "C-1", "x", NOW))
        stored = [(await store.append("chat-1", _message(n)))[0] for n in range(1, 4)]
        outbox = _Outbox()
        ready = asyncio.Event()
        task = asyncio.create_task(
            follow(chats, "chat-1", 1, outbox, me="operator", ready=ready)  # type: ignore[arg-type]
        )
        await ready.wait()  # seq 2 and 3 came from the store
        more = [(await store.append("chat-1", _message(n)))[0] for n in range(4, 9)]
        topic = chat_topic("chat-1")
        broker.publish(topic, {"type": "message", **more[1]})  # seq 5 before 4
        broker.publish(topic, {"type": "message", **more[0]})
        broker.publish(topic, {"type": "message", **stored[2]})  # an old one again
        for message in more[2:]:  # more than the queue holds: an Overflow, then caught up
            broker.publish(topic, {"type": "message", **message})
        await asyncio.sleep(0.05)
        task.cancel()
        return [frame["seq"] for frame in outbox.frames if frame["type"] == "message"]

    assert run_async(work()) == [2, 3, 4, 5, 6, 7, 8]
