"""Which public form tokens have been used, in Redis (``SET … NX EX``): shared by every app
instance, so each token serves one submission whichever instance receives it. A token is
remembered until it would have expired anyway. (Without Redis, web/public/guard.py keeps
them in the process.)"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from controlroom.domain.errors import ServiceUnavailable


class RedisSpentTokens:
    """Spent tokens in Redis, shared by every app instance using it."""

    def __init__(self, url: str, *, prefix: str = "controlroom:spent-form:") -> None:
        self.url = url
        self.prefix = prefix
        self._clients: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _redis(self) -> Any:  # redis-py's async types are loose
        loop = id(asyncio.get_running_loop())
        with self._lock:  # one client per event loop: a pool's connections belong to one loop
            if loop not in self._clients:
                self._clients[loop] = aioredis.Redis.from_url(self.url, socket_timeout=5)
            return self._clients[loop]

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        """True the first time ``key`` is given within ``ttl_seconds`` (on any instance)."""
        try:
            stored = await self._redis().set(self.prefix + key, b"1", nx=True, ex=ttl_seconds)
        except RedisError as exc:
            raise ServiceUnavailable(
                "the shared store (Redis) cannot be reached", hint="try again in a moment"
            ) from exc
        return bool(stored)

    async def forget(self, key: str) -> None:
        """Make ``key`` unused again."""
        try:
            await self._redis().delete(self.prefix + key)
        except RedisError as exc:
            raise ServiceUnavailable(
                "the shared store (Redis) cannot be reached", hint="try again in a moment"
            ) from exc
