"""Live messages through the brokers: in process, and through the real Redis (two brokers, as
two app instances, see each other's messages)."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from controlroom.adapters.pubsub import OVERFLOW, InProcessBroker, RedisBroker
from controlroom.domain.contacts import ActionKind, Actor, Role
from controlroom.domain.reporting import ReportEscalated
from controlroom.services.live import EVENTS_TOPIC, BrokerPublisher, event_message
from tests.run_async import run_async

REDIS_URL = os.environ.get("CONTROLROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(
    not _redis_up() and not os.environ.get("CI"), reason="no Redis at " + REDIS_URL
)


async def _take(messages: AsyncIterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    got = []
    async with asyncio.timeout(5):
        async for message in messages:
            got.append(message)
            if len(got) == n:
                break
    return got


def test_in_process_subscribers_get_messages_of_their_topics_in_order() -> None:
    broker = InProcessBroker()

    async def main() -> None:
        async with broker.subscription("a") as a, broker.subscription("a", "b") as ab:
            for i in range(3):
                broker.publish("a", {"n": i})
            broker.publish("b", {"n": 99})
            broker.publish("c", {"n": -1})
            assert [m["n"] for m in await _take(a, 3)] == [0, 1, 2]
            got = await _take(ab, 4)
            assert [(m["topic"], m["n"]) for m in got] == [("a", 0), ("a", 1), ("a", 2), ("b", 99)]

    run_async(main())


def test_publishing_from_another_thread_reaches_the_loop() -> None:
    broker = InProcessBroker()

    async def main() -> None:
        async with broker.subscription("t") as messages:
            thread = threading.Thread(target=lambda: broker.publish("t", {"from": "thread"}))
            thread.start()
            thread.join()
            assert (await _take(messages, 1))[0] == {"from": "thread", "topic": "t"}

    run_async(main())


def test_a_slow_subscriber_is_told_how_many_messages_it_missed() -> None:
    broker = InProcessBroker(queue_size=3)

    async def main() -> None:
        async with broker.subscription("t") as messages:
            for i in range(10):
                broker.publish("t", {"n": i})
            await asyncio.sleep(0.01)
            first = await _take(messages, 3)
            broker.publish("t", {"n": 10})
            rest = await _take(messages, 2)
        assert [m["n"] for m in first] == [0, 1, 2]
        assert rest[0] == {"type": OVERFLOW, "topic": "t", "dropped": 7}
        assert rest[1]["n"] == 10

    run_async(main())


def test_nothing_is_delivered_after_the_subscription_ends() -> None:
    broker = InProcessBroker()

    async def main() -> None:
        async with broker.subscription("t"):
            pass
        broker.publish("t", {"n": 1})  # nobody listens: no error

    run_async(main())


def test_committed_events_become_typed_messages_on_the_events_topic() -> None:
    broker = InProcessBroker()
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    event = ReportEscalated(
        contact_id="C-1",
        seq=1,
        action=ActionKind.OFFER,
        actor=Actor("open311:app", Role.INTEGRATION),
        at=at,
        reference="WEB-1",
        service_code="crime",
        summary="burglary in progress",
    )
    message = event_message(event)
    assert message["type"] == "ReportEscalated"
    assert message["at"] == at.isoformat()
    assert message["actor"] == {"id": "open311:app", "role": "integration"}

    async def main() -> None:
        async with broker.subscription(EVENTS_TOPIC) as messages:
            BrokerPublisher(broker).publish([event])
            got = (await _take(messages, 1))[0]
        assert got == {**message, "topic": EVENTS_TOPIC}

    run_async(main())


@pytest.fixture
def two_instances() -> Iterator[tuple[RedisBroker, RedisBroker]]:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    first, second = RedisBroker(REDIS_URL, prefix=prefix), RedisBroker(REDIS_URL, prefix=prefix)
    yield first, second
    first.close()
    second.close()


@needs_redis
def test_two_brokers_on_redis_see_each_others_messages(
    two_instances: tuple[RedisBroker, RedisBroker],
) -> None:
    first, second = two_instances

    async def main() -> None:
        async with first.subscription("room") as one, second.subscription("room") as two:
            first.publish("room", {"from": "first"})
            second.publish("room", {"from": "second"})
            got_one = await _take(one, 2)
            got_two = await _take(two, 2)
        assert sorted(m["from"] for m in got_one) == ["first", "second"]
        assert sorted(m["from"] for m in got_two) == ["first", "second"]
        assert all(m["topic"] == "room" for m in got_one + got_two)
        await first.aclose()
        await second.aclose()

    run_async(main())


@needs_redis
def test_redis_keeps_each_publishers_order_and_loses_nothing(
    two_instances: tuple[RedisBroker, RedisBroker],
) -> None:
    first, second = two_instances

    async def main() -> None:
        async with second.subscription("seq") as messages:
            thread = threading.Thread(
                target=lambda: [first.publish("seq", {"n": i}) for i in range(500)]
            )
            thread.start()
            got = await _take(messages, 500)
            thread.join()
        assert [m["n"] for m in got] == list(range(500))
        await second.aclose()

    run_async(main())


@needs_redis
def test_a_redis_subscriber_listens_only_to_its_topics(
    two_instances: tuple[RedisBroker, RedisBroker],
) -> None:
    first, second = two_instances

    async def main() -> None:
        async with second.subscription("mine") as messages:
            first.publish("other", {"n": 0})
            first.publish("mine", {"n": 1})
            got = await _take(messages, 1)
        assert got == [{"n": 1, "topic": "mine"}]
        await second.aclose()

    run_async(main())


@needs_redis
def test_many_subscriptions_opened_at_once_all_receive(
    two_instances: tuple[RedisBroker, RedisBroker],
) -> None:
    first, second = two_instances

    async def listen(n: int, ready: asyncio.Event, go: asyncio.Event) -> dict[str, Any]:
        async with second.subscription(f"chat:{n}") as messages:
            ready.set()
            await go.wait()
            return (await _take(messages, 1))[0]

    async def main() -> None:
        go = asyncio.Event()
        readies = [asyncio.Event() for _ in range(50)]
        tasks = [asyncio.create_task(listen(n, readies[n], go)) for n in range(50)]
        await asyncio.gather(*(ready.wait() for ready in readies))
        for n in range(50):
            first.publish(f"chat:{n}", {"n": n})
        go.set()
        got = await asyncio.gather(*tasks)
        assert [m["n"] for m in got] == list(range(50))
        await second.aclose()

    run_async(main())
