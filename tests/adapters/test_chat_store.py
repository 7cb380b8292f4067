"""The chat stores behave alike, in process and in Redis, and two app instances on one Redis
share chats, queue and messages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from controlroom.adapters.chat_store import InProcessChatStore, RedisChatStore
from controlroom.domain.chat import ChatInfo, ChatState
from tests.adapters.test_pubsub import REDIS_URL, needs_redis
from tests.run_async import run_async

NOW = datetime(2026, 12, 4, 15, tzinfo=UTC)


@pytest.fixture(params=["memory", pytest.param("redis", marks=needs_redis)])
def stores(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Any]]:
    """Two handles on one store (two instances, for Redis)."""
    if request.param == "memory":
        store = InProcessChatStore()
        yield store, store
    else:
        prefix = f"test-{uuid.uuid4().hex[:8]}:"
        yield RedisChatStore(REDIS_URL, prefix=prefix), RedisChatStore(REDIS_URL, prefix=prefix)


def _chat(n: int) -> ChatInfo:
    return ChatInfo(f"chat-{n}", f"C-{n}", "hash", NOW)


def _message(client_id: str, text: str) -> dict[str, Any]:
    return {"client_id": client_id, "from": "visitor", "text": text, "at": NOW.isoformat()}


def test_messages_are_numbered_and_stored_once(stores: tuple[Any, Any]) -> None:
    one, two = stores

    async def work() -> None:
        await one.create(_chat(1))
        first, new = await one.append("chat-1", _message("client-a1", 'héllo "there"'))
        again, repeated = await two.append("chat-1", _message("client-a1", 'héllo "there"'))
        second, _ = await two.append("chat-1", _message("client-b2", "second"))
        assert (first["seq"], second["seq"]) == (1, 2)
        assert (new, repeated) == (True, False) and again == first
        assert first["text"] == 'héllo "there"'
        assert [m["seq"] for m in await one.since("chat-1", 1)] == [2]
        assert await one.since("chat-1", 5) == []

    run_async(work())


def test_concurrent_appends_from_two_instances_get_distinct_numbers(
    stores: tuple[Any, Any],
) -> None:
    one, two = stores

    async def work() -> None:
        await one.create(_chat(1))
        sends = [
            (one if i % 2 else two).append("chat-1", _message(f"client-{i:04d}", str(i)))
            for i in range(100)
        ]
        await asyncio.gather(*sends)
        log = await one.since("chat-1", 0)
        assert [m["seq"] for m in log] == list(range(1, 101))
        assert sorted(int(m["text"]) for m in log) == list(range(100))

    run_async(work())


def test_the_queue_keeps_arrival_order_and_a_chat_is_taken_once(
    stores: tuple[Any, Any],
) -> None:
    one, two = stores

    async def work() -> None:
        for n in range(3):
            await one.create(_chat(n))
        assert [await two.position(f"chat-{n}") for n in range(3)] == [1, 2, 3]
        results = await asyncio.gather(two.take("chat-0", "ann"), one.take("chat-0", "bob"))
        assert sorted(results) == [False, True]
        assert await one.position("chat-1") == 1
        assert [chat.chat_id for chat in await two.waiting(10)] == ["chat-1", "chat-2"]
        taken = await one.get("chat-0")
        assert taken is not None and taken.state is ChatState.ACTIVE
        await one.set_state("chat-2", ChatState.CLOSED)
        assert await two.position("chat-2") is None
        assert await one.mark_escalated("chat-1") is True
        assert await two.mark_escalated("chat-1") is False

    run_async(work())


def test_an_ended_or_unknown_chat_takes_no_messages(stores: tuple[Any, Any]) -> None:
    from controlroom.domain.errors import Conflict, NotFound

    one, two = stores

    async def work() -> None:
        await one.create(_chat(1))
        await two.set_state("chat-1", ChatState.CLOSED)
        with pytest.raises(Conflict, match="ended"):
            await one.append("chat-1", _message("client-a1", "too late"))
        notice, new = await one.append("chat-1", _message("system-x1", "ended"), closed_ok=True)
        assert new and notice["seq"] == 1
        with pytest.raises(NotFound):
            await two.append("chat-404", _message("client-a1", "hello"))

    run_async(work())


def test_the_in_process_store_forgets_old_ended_chats() -> None:
    from datetime import timedelta

    store = InProcessChatStore()
    long_ago = NOW - timedelta(days=8)

    async def work() -> None:
        for n in range(999):
            await store.create(ChatInfo(f"old-{n}", f"C-{n}", "hash", long_ago))
            if n:  # old-0 is still waiting: kept
                await store.set_state(f"old-{n}", ChatState.CLOSED)
        await store.create(_chat(1))
        assert await store.get("old-1") is None
        assert await store.get("old-0") is not None
        assert await store.get("chat-1") is not None

    run_async(work())


def test_a_contacts_chat_is_found_by_its_contact_on_any_instance(stores: tuple[Any, Any]) -> None:
    one, two = stores

    async def work() -> None:
        await one.create(_chat(7))
        found = await two.for_contact("C-7")
        assert found is not None and found.chat_id == "chat-7"
        assert await two.for_contact("C-8") is None
        assert await one.take("chat-7", "hana")
        taken = await two.for_contact("C-7")
        assert taken is not None and taken.state is ChatState.ACTIVE

    run_async(work())
