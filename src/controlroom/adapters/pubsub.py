"""Brokers for live messages (``services.live.Broker``): in process, or through Redis pub/sub.

Both deliver to local subscribers through bounded asyncio queues, one per subscription, fed on
the subscriber's own event loop (``loop.call_soon_threadsafe``), so ``publish`` is safe from
any thread and never waits for a subscriber.

**Slow subscribers.** A subscription holds at most ``queue_size`` undelivered messages. When it
is full, newer messages for it are dropped and counted; as soon as there is room again it
receives one ``{"type": "Overflow", "topic": <topic>, "dropped": n}`` at the point of the gap,
then messages resume. Nobody else waits for it. A consumer that must not miss anything (the
chat) reloads its state from the store when it sees ``Overflow``.

:class:`RedisBroker` fans out across app instances: ``publish`` hands the message to a sender
thread that pipelines ``PUBLISH`` commands to Redis (retrying while Redis is away) — or, called
on an event loop, to a task of that loop doing the same — and each
event loop keeps one Redis subscription connection shared by all its local subscribers,
subscribing to a channel while anyone local listens to it. After a lost connection it
reconnects with back-off, resubscribes, and sends every local subscriber an ``Overflow`` with
``dropped`` ``-1`` (unknown), since messages may have been missed meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import redis
import redis.asyncio as aioredis

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1000
OVERFLOW = "Overflow"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _Subscriber:
    """One subscription: its loop, its queue, and how many messages it has missed."""

    def __init__(self, loop: asyncio.AbstractEventLoop, topics: tuple[str, ...], size: int):
        self.loop = loop
        self.topics = topics
        self.size = size
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.dropped = 0

    def offer(self, message: dict[str, Any]) -> None:
        """Queue ``message`` (on the subscriber's loop), or count it as dropped."""
        if self.queue.qsize() >= self.size:
            self.dropped += 1
            return
        if self.dropped:
            gap = {"type": OVERFLOW, "topic": message.get("topic", ""), "dropped": self.dropped}
            self.queue.put_nowait(gap)
            self.dropped = 0
        self.queue.put_nowait(message)

    def send(self, message: dict[str, Any], running: asyncio.AbstractEventLoop | None) -> None:
        """Offer ``message`` from any thread (``running``: the caller's event loop, if any):
        at once on the subscriber's own loop, else through it (waking it up)."""
        if running is self.loop:
            self.offer(message)
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody listens any more
            self.loop.call_soon_threadsafe(self.offer, message)

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        """The messages, as they come."""
        while True:
            yield await self.queue.get()


class _Registry:
    """Local subscribers by topic; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_topic: dict[str, set[_Subscriber]] = {}

    def add(self, subscriber: _Subscriber) -> list[str]:
        """Register ``subscriber``; the topics nobody listened to before."""
        with self._lock:
            new = [topic for topic in subscriber.topics if not self._by_topic.get(topic)]
            for topic in subscriber.topics:
                self._by_topic.setdefault(topic, set()).add(subscriber)
            return new

    def remove(self, subscriber: _Subscriber) -> list[str]:
        """Unregister ``subscriber``; the topics nobody listens to any more."""
        with self._lock:
            gone = []
            for topic in subscriber.topics:
                listeners = self._by_topic.get(topic, set())
                listeners.discard(subscriber)
                if not listeners:
                    self._by_topic.pop(topic, None)
                    gone.append(topic)
            return gone

    def deliver(self, topic: str, message: Mapping[str, Any]) -> None:
        """Send ``message`` (a copy each, ``"topic"`` set) to the subscribers of ``topic``."""
        with self._lock:
            listeners = list(self._by_topic.get(topic, ()))
        if not listeners:
            return
        running = _running_loop()
        for subscriber in listeners:
            subscriber.send({**message, "topic": topic}, running)

    def topics(self) -> list[str]:
        """Every topic somebody listens to."""
        with self._lock:
            return list(self._by_topic)

    def everyone(self) -> list[_Subscriber]:
        """Every subscriber."""
        with self._lock:
            return list({s for listeners in self._by_topic.values() for s in listeners})


class InProcessBroker:
    """A broker within one process (one app instance)."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._registry = _Registry()

    def publish(self, topic: str, message: Mapping[str, Any]) -> None:
        """Send ``message`` to the current subscribers of ``topic``."""
        self._registry.deliver(topic, message)

    @contextlib.asynccontextmanager
    async def subscription(self, *topics: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Listen to ``topics`` while the context is open."""
        subscriber = _Subscriber(asyncio.get_running_loop(), topics, self.queue_size)
        self._registry.add(subscriber)
        try:
            yield subscriber.messages()
        finally:
            self._registry.remove(subscriber)

    def close(self) -> None:
        """Nothing to release."""


class _Sender(threading.Thread):
    """Pipelines ``PUBLISH`` commands to Redis from a queue, in order, retrying while Redis is
    unreachable; drops the oldest batch (logged) after ``retries`` failures."""

    def __init__(self, client: redis.Redis, *, max_pending: int = 100_000, retries: int = 20):
        super().__init__(name="controlroom-redis-publish", daemon=True)
        self.client = client
        self.retries = retries
        self.pending: queue.Queue[tuple[str, str] | None] = queue.Queue(max_pending)

    def put(self, channel: str, payload: str) -> None:
        try:
            self.pending.put_nowait((channel, payload))
        except queue.Full:
            log.error("Redis publishing is %d messages behind; dropping one", self.pending.maxsize)

    def run(self) -> None:
        while True:
            item = self.pending.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < 500:
                try:
                    more = self.pending.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._send(batch)
                    return
                batch.append(more)
            self._send(batch)

    def _send(self, batch: list[tuple[str, str]]) -> None:
        for attempt in range(self.retries):
            try:
                pipe = self.client.pipeline(transaction=False)
                for channel, payload in batch:
                    pipe.publish(channel, payload)
                pipe.execute()
                return
            except redis.RedisError as error:
                log.warning("publishing to Redis failed (%s); retrying", error)
                time.sleep(min(2.0, 0.05 * 2**attempt))
        log.error("Redis unreachable: %d messages were not published", len(batch))

    def stop(self) -> None:
        self.pending.put(None)


class _LoopListener:
    """One event loop's Redis subscription connection and the task reading it."""

    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker
        self.client = aioredis.Redis.from_url(broker.url)
        self.pubsub = self.client.pubsub()
        self.waiting: dict[str, list[asyncio.Future[None]]] = {}
        self.task: asyncio.Task[None] | None = None
        # One command at a time on the subscription connection: concurrent first commands
        # would each open a connection, and messages to the one dropped would be lost.
        self.lock = asyncio.Lock()
        self.outgoing: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self.writer: asyncio.Task[None] | None = None

    def put(self, channel: str, payload: str) -> None:
        """Publish from this loop's own thread: queued, then pipelined by one writer task (no
        thread hand-off, so no wait for the GIL)."""
        self.outgoing.put_nowait((channel, payload))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.get_running_loop().create_task(self.write())

    async def write(self) -> None:
        while True:
            batch = [await self.outgoing.get()]
            while len(batch) < 500 and not self.outgoing.empty():
                batch.append(self.outgoing.get_nowait())
            for attempt in range(20):
                try:
                    async with self.client.pipeline(transaction=False) as pipe:
                        for channel, payload in batch:
                            pipe.publish(channel, payload)
                        await pipe.execute()
                    break
                except (redis.RedisError, OSError) as error:
                    log.warning("publishing to Redis failed (%s); retrying", error)
                    await asyncio.sleep(min(2.0, 0.05 * 2**attempt))
            else:
                log.error("Redis unreachable: %d messages were not published", len(batch))

    async def subscribe(self, channels: list[str]) -> None:
        """Subscribe and wait until Redis confirms (so nothing published after is missed)."""
        if not channels:
            return
        loop = asyncio.get_running_loop()
        futures = []
        for channel in channels:
            future: asyncio.Future[None] = loop.create_future()
            self.waiting.setdefault(channel, []).append(future)
            futures.append(future)
        async with self.lock:
            await self.pubsub.subscribe(*channels)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.read(), name="controlroom-redis-listen")
        await asyncio.wait_for(asyncio.gather(*futures), timeout=10)

    async def unsubscribe(self, channels: list[str]) -> None:
        if channels:
            with contextlib.suppress(redis.RedisError, OSError):
                async with self.lock:
                    await self.pubsub.unsubscribe(*channels)

    async def read(self) -> None:
        delay = 0.05
        while True:
            try:
                if not self.pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                message = await self.pubsub.get_message(timeout=None)  # wait for the next
                delay = 0.05
            except (redis.RedisError, OSError) as error:
                log.warning("Redis subscription lost (%s); reconnecting", error)
                await asyncio.sleep(delay)
                delay = min(2.0, delay * 2)
                await self.reconnect()
                continue
            if message is not None:
                self.handle(message)

    async def reconnect(self) -> None:
        channels = [self.broker.channel(topic) for topic in self.broker.registry.topics()]
        async with self.lock:
            with contextlib.suppress(Exception):
                await self.pubsub.aclose()
            self.pubsub = self.client.pubsub()
            try:
                if channels:
                    await self.pubsub.subscribe(*channels)
            except (redis.RedisError, OSError):
                return
        running = _running_loop()
        for subscriber in self.broker.registry.everyone():
            subscriber.send({"type": OVERFLOW, "topic": "", "dropped": -1}, running)

    def handle(self, message: dict[str, Any]) -> None:
        channel = message["channel"]
        channel = channel.decode() if isinstance(channel, bytes) else channel
        if message["type"] == "subscribe":
            for future in self.waiting.pop(channel, []):
                if not future.done():
                    future.set_result(None)
            return
        if message["type"] != "message":
            return
        topic = channel[len(self.broker.prefix) :]
        try:
            body = json.loads(message["data"])
        except (ValueError, TypeError):
            log.warning("ignored a message on %s that is not JSON", channel)
            return
        if isinstance(body, dict):
            self.broker.registry.deliver(topic, body)

    async def close(self) -> None:
        for task in (self.task, self.writer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
            await self.client.aclose()


class RedisBroker:
    """A broker shared by every app instance using the same Redis (``url``) and ``prefix``."""

    def __init__(
        self, url: str, *, prefix: str = "controlroom:", queue_size: int = DEFAULT_QUEUE_SIZE
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.queue_size = queue_size
        self.registry = _Registry()
        self._sender = _Sender(redis.Redis.from_url(url))
        self._sender.start()
        self._listeners: dict[asyncio.AbstractEventLoop, _LoopListener] = {}
        self._lock = threading.Lock()

    def channel(self, topic: str) -> str:
        """The Redis channel of ``topic``."""
        return self.prefix + topic

    def publish(self, topic: str, message: Mapping[str, Any]) -> None:
        """Send ``message`` to every subscriber of ``topic`` in every instance."""
        payload = json.dumps({**message, "topic": topic}, separators=(",", ":"))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a thread without an event loop: the sender thread publishes
            self._sender.put(self.channel(topic), payload)
        else:
            self._listener(loop).put(self.channel(topic), payload)

    def _listener(self, loop: asyncio.AbstractEventLoop) -> _LoopListener:
        with self._lock:
            for stale in [other for other in self._listeners if other.is_closed()]:
                del self._listeners[stale]
            if loop not in self._listeners:
                self._listeners[loop] = _LoopListener(self)
            return self._listeners[loop]

    @contextlib.asynccontextmanager
    async def subscription(self, *topics: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Listen to ``topics`` (in every instance) while the context is open."""
        loop = asyncio.get_running_loop()
        listener = self._listener(loop)
        subscriber = _Subscriber(loop, topics, self.queue_size)
        new = self.registry.add(subscriber)
        try:
            await listener.subscribe([self.channel(topic) for topic in new])
            yield subscriber.messages()
        finally:
            gone = self.registry.remove(subscriber)
            await listener.unsubscribe([self.channel(topic) for topic in gone])

    def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(self._sender.client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        """Stop the sender thread (after it has sent what is queued)."""
        self._sender.stop()
        self._sender.join(timeout=5)

    async def aclose(self) -> None:
        """Close this event loop's subscription connection, then the sender."""
        listener = self._listeners.pop(asyncio.get_running_loop(), None)
        if listener is not None:
            await listener.close()
        self.close()
