"""Live chat stores (``services.chat_store.ChatStore``): in this process, or in Redis, where
every app instance sees the same chats, queue and messages.

In Redis a chat is a hash (``chat:<id>``), its messages a list (``chat:<id>:log``, ``seq`` being
the position in it) with a hash of the ``client_id`` values stored (``chat:<id>:ids``), and the
queue a sorted set by start time (``chatqueue``). A Lua script appends a message: it checks the
``client_id``, numbers the message and stores it in one step, so two instances appending to one
chat at once cannot give two messages one number, and a repeat is stored once. Everything
about a chat expires :data:`KEEP_SECONDS` after its last change (the transcript is on the
contact by then).
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis

from controlroom.domain.chat import ChatInfo, ChatState
from controlroom.domain.errors import Conflict, NotFound

KEEP_SECONDS = 7 * 24 * 3600
#: Connections to Redis per event loop; when all are busy, a command waits for one.
MAX_CONNECTIONS = 256
_APPEND = """
local state = redis.call('HGET', KEYS[3], 'state')
if not state then return {-2, ''} end
if state == 'closed' and ARGV[4] ~= '1' then return {-1, ''} end
local seen = redis.call('HGET', KEYS[2], ARGV[1])
if seen then
  return {0, redis.call('LINDEX', KEYS[1], tonumber(seen) - 1)}
end
local seq = redis.call('LLEN', KEYS[1]) + 1
local message = string.gsub(ARGV[2], '"seq":0', '"seq":' .. seq, 1)
redis.call('RPUSH', KEYS[1], message)
redis.call('HSET', KEYS[2], ARGV[1], seq)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {1, message}
"""


def _info(fields: dict[str, str]) -> ChatInfo:
    return ChatInfo(
        chat_id=fields["chat_id"],
        contact_id=fields["contact_id"],
        secret_hash=fields["secret_hash"],
        started_at=datetime.fromisoformat(fields["started_at"]),
        state=ChatState(fields.get("state", ChatState.WAITING)),
        operator=fields.get("operator", ""),
        escalated=fields.get("escalated") == "1",
    )


def _check_open(chat_id: str, state: str | None, closed_ok: bool) -> None:
    """Refuse a message to a chat that does not exist, or has ended (unless ``closed_ok``)."""
    if state is None:
        raise NotFound(f"no chat {chat_id!r}", field="chat")
    if state == ChatState.CLOSED.value and not closed_ok:
        raise Conflict("this chat has ended", field="chat", hint="start a new chat")


def _fields(chat: ChatInfo) -> dict[str, str]:
    return {
        "chat_id": chat.chat_id,
        "contact_id": chat.contact_id,
        "secret_hash": chat.secret_hash,
        "started_at": chat.started_at.isoformat(),
        "state": chat.state.value,
        "operator": chat.operator,
        "escalated": "1" if chat.escalated else "0",
    }


def _encoded(message: dict[str, Any]) -> str:
    """The message as JSON with ``"seq":0`` first, for the script to number."""
    body = {key: value for key, value in message.items() if key != "seq"}
    return json.dumps({"seq": 0, **body}, separators=(",", ":"), ensure_ascii=False)


class InProcessChatStore:
    """Chats in this process's memory (one app instance)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chats: dict[str, dict[str, str]] = {}
        self._logs: dict[str, list[dict[str, Any]]] = {}
        self._ids: dict[str, dict[str, int]] = {}
        self._queue: dict[str, int] = {}  # chat id: ticket, in order of arrival
        self._by_contact: dict[str, str] = {}  # contact id: chat id
        self._tickets = 0

    async def create(self, chat: ChatInfo) -> None:
        with self._lock:
            if len(self._chats) % 1000 == 999:
                self._forget_before(chat.started_at.timestamp() - KEEP_SECONDS)
            self._chats[chat.chat_id] = _fields(chat)
            self._by_contact[chat.contact_id] = chat.chat_id
            self._logs[chat.chat_id] = []
            self._ids[chat.chat_id] = {}
            self._tickets += 1
            self._queue[chat.chat_id] = self._tickets

    def _forget_before(self, cutoff: float) -> None:
        """Drop the chats started before ``cutoff`` that are no longer waiting (as Redis
        expires them)."""
        old = [
            chat_id
            for chat_id, fields in self._chats.items()
            if chat_id not in self._queue
            and datetime.fromisoformat(fields["started_at"]).timestamp() < cutoff
        ]
        for chat_id in old:
            self._by_contact.pop(self._chats[chat_id]["contact_id"], None)
            for table in (self._chats, self._logs, self._ids):
                table.pop(chat_id, None)

    async def get(self, chat_id: str) -> ChatInfo | None:
        with self._lock:
            fields = self._chats.get(chat_id)
            return None if fields is None else _info(fields)

    async def for_contact(self, contact_id: str) -> ChatInfo | None:
        with self._lock:
            chat_id = self._by_contact.get(contact_id)
            fields = None if chat_id is None else self._chats.get(chat_id)
            return None if fields is None else _info(fields)

    async def set_state(
        self, chat_id: str, state: ChatState, *, escalated: bool | None = None
    ) -> None:
        with self._lock:
            fields = self._chats[chat_id]
            fields["state"] = state.value
            if escalated is not None:
                fields["escalated"] = "1" if escalated else "0"
            if state is not ChatState.WAITING:
                self._queue.pop(chat_id, None)

    async def mark_escalated(self, chat_id: str) -> bool:
        with self._lock:
            fields = self._chats[chat_id]
            first = fields.get("escalated") != "1"
            fields["escalated"] = "1"
            return first

    async def append(
        self, chat_id: str, message: dict[str, Any], *, closed_ok: bool = False
    ) -> tuple[dict[str, Any], bool]:
        with self._lock:
            fields = self._chats.get(chat_id)
            _check_open(chat_id, None if fields is None else fields["state"], closed_ok)
            log, ids = self._logs[chat_id], self._ids[chat_id]
            client_id = message["client_id"]
            if client_id in ids:
                return log[ids[client_id] - 1], False
            stored = json.loads(_encoded(message))
            stored["seq"] = len(log) + 1
            log.append(stored)
            ids[client_id] = stored["seq"]
            return stored, True

    async def since(self, chat_id: str, after: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._logs.get(chat_id, [])[max(0, after) :])

    async def openings(self, chat_ids: list[str]) -> dict[str, str]:
        with self._lock:
            logs = {chat_id: self._logs.get(chat_id) for chat_id in chat_ids}
            return {chat_id: log[0]["text"] for chat_id, log in logs.items() if log}

    async def position(self, chat_id: str) -> int | None:
        with self._lock:
            if chat_id not in self._queue:
                return None
            mine = self._queue[chat_id]
            return 1 + sum(1 for other, at in self._queue.items() if (at, other) < (mine, chat_id))

    async def waiting(self, limit: int) -> list[ChatInfo]:
        with self._lock:
            first = sorted(self._queue, key=lambda chat_id: (self._queue[chat_id], chat_id))
            return [_info(self._chats[chat_id]) for chat_id in first[:limit]]

    async def take(self, chat_id: str, operator: str) -> bool:
        with self._lock:
            if self._queue.pop(chat_id, None) is None:
                return False
            self._chats[chat_id] |= {"state": ChatState.ACTIVE.value, "operator": operator}
            return True


class RedisChatStore:
    """Chats in Redis, shared by every app instance using it (keys start with ``prefix``)."""

    def __init__(self, url: str, *, prefix: str = "controlroom:") -> None:
        self.url = url
        self.prefix = prefix
        self._clients: dict[int, Any] = {}
        self._scripts: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _redis(self) -> Any:  # redis-py's async types are loose; used as Any here
        loop = id(asyncio.get_running_loop())
        with self._lock:
            return self._redis_unlocked(loop)

    def _redis_unlocked(self, loop: int) -> Any:
        # One client (and pool) per event loop: a pool's connections belong to one loop.
        if loop not in self._clients:
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url, max_connections=MAX_CONNECTIONS, timeout=10, decode_responses=True
            )
            self._clients[loop] = aioredis.Redis(connection_pool=pool)
        return self._clients[loop]

    def _script(self) -> Any:
        """The append script, sent once and then called by its SHA (per event loop)."""
        loop = id(asyncio.get_running_loop())
        with self._lock:
            if loop not in self._scripts:
                self._scripts[loop] = self._redis_unlocked(loop).register_script(_APPEND)
            return self._scripts[loop]

    def _key(self, chat_id: str, part: str = "") -> str:
        return f"{self.prefix}chat:{chat_id}{part}"

    @property
    def _queue(self) -> str:
        return f"{self.prefix}chatqueue"

    async def create(self, chat: ChatInfo) -> None:
        key = self._key(chat.chat_id)
        redis = self._redis()
        ticket = await redis.incr(f"{self.prefix}chatticket")
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=_fields(chat))
            pipe.expire(key, KEEP_SECONDS)
            pipe.zadd(self._queue, {chat.chat_id: ticket})
            pipe.set(self._contact_key(chat.contact_id), chat.chat_id, ex=KEEP_SECONDS)
            await pipe.execute()

    async def get(self, chat_id: str) -> ChatInfo | None:
        fields = await self._redis().hgetall(self._key(chat_id))
        return _info(fields) if fields else None

    def _contact_key(self, contact_id: str) -> str:
        return f"{self.prefix}chatcontact:{contact_id}"

    async def for_contact(self, contact_id: str) -> ChatInfo | None:
        chat_id = await self._redis().get(self._contact_key(contact_id))
        return None if chat_id is None else await self.get(chat_id)

    async def set_state(
        self, chat_id: str, state: ChatState, *, escalated: bool | None = None
    ) -> None:
        mapping = {"state": state.value}
        if escalated is not None:
            mapping["escalated"] = "1" if escalated else "0"
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.hset(self._key(chat_id), mapping=mapping)
            if state is not ChatState.WAITING:
                pipe.zrem(self._queue, chat_id)
            await pipe.execute()

    async def mark_escalated(self, chat_id: str) -> bool:
        redis = self._redis()
        first = await redis.hsetnx(self._key(chat_id), "alerted", "1")
        await redis.hset(self._key(chat_id), "escalated", "1")
        return bool(first)

    async def append(
        self, chat_id: str, message: dict[str, Any], *, closed_ok: bool = False
    ) -> tuple[dict[str, Any], bool]:
        keys = [self._key(chat_id, ":log"), self._key(chat_id, ":ids"), self._key(chat_id)]
        args = [message["client_id"], _encoded(message), KEEP_SECONDS, "1" if closed_ok else "0"]
        script = self._script()
        new, stored = await script(keys=keys, args=args)
        if new < 0:
            _check_open(chat_id, None if new == -2 else ChatState.CLOSED.value, closed_ok)
        return json.loads(stored), bool(new)

    async def since(self, chat_id: str, after: int) -> list[dict[str, Any]]:
        items = await self._redis().lrange(self._key(chat_id, ":log"), max(0, after), -1)
        return [json.loads(item) for item in items]

    async def openings(self, chat_ids: list[str]) -> dict[str, str]:
        async with self._redis().pipeline(transaction=False) as pipe:
            for chat_id in chat_ids:
                pipe.lindex(self._key(chat_id, ":log"), 0)
            found = await pipe.execute()
        return {
            chat_id: json.loads(first)["text"]
            for chat_id, first in zip(chat_ids, found, strict=True)
            if first
        }

    async def position(self, chat_id: str) -> int | None:
        rank = await self._redis().zrank(self._queue, chat_id)
        return None if rank is None else int(rank) + 1

    async def waiting(self, limit: int) -> list[ChatInfo]:
        redis = self._redis()
        chat_ids = await redis.zrange(self._queue, 0, max(0, limit - 1))
        async with redis.pipeline(transaction=False) as pipe:
            for chat_id in chat_ids:
                pipe.hgetall(self._key(chat_id))
            found = await pipe.execute()
        return [_info(fields) for fields in found if fields]

    async def take(self, chat_id: str, operator: str) -> bool:
        redis = self._redis()
        if not await redis.zrem(self._queue, chat_id):
            return False
        mapping = {"state": ChatState.ACTIVE.value, "operator": operator}
        await redis.hset(self._key(chat_id), mapping=mapping)
        return True

    async def aclose(self) -> None:
        """Close this event loop's connections."""
        client = self._clients.pop(id(asyncio.get_running_loop()), None)
        if client is not None:
            await client.aclose()
