"""Sign-in failure counts in Redis, when ``CONTROLROOM_REDIS_URL`` is set: one small JSON
value per key, expiring two days after its last change (``services/login_limits``).

A change is an optimistic transaction (``WATCH``, read, ``MULTI``/``EXEC``, again if the key
changed meanwhile), so instances counting the same key at once both count.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

import redis

from controlroom.domain.login_backoff import Attempts

T = TypeVar("T")
KEEP = timedelta(days=2)


def _encode(record: Attempts) -> str:
    return json.dumps(
        {
            "failures": record.failures,
            "last_failure_at": record.last_failure_at.isoformat(),
            "next_at": record.next_at.isoformat(),
            "reported_at": None if record.reported_at is None else record.reported_at.isoformat(),
            "unreported": record.unreported,
        }
    )


def _decode(raw: bytes | str | None) -> Attempts | None:
    if raw is None:
        return None
    data = json.loads(raw)
    reported = data["reported_at"]
    return Attempts(
        int(data["failures"]),
        datetime.fromisoformat(data["last_failure_at"]),
        datetime.fromisoformat(data["next_at"]),
        None if reported is None else datetime.fromisoformat(reported),
        int(data["unreported"]),
    )


class RedisAttemptStore:
    """Failure counts in Redis under ``<prefix>login:<key>``; thread-safe."""

    def __init__(self, url: str, prefix: str = "controlroom:") -> None:
        self._redis: Any = redis.Redis.from_url(url)
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}login:{key}"

    def read(self, keys: Sequence[str]) -> dict[str, Attempts]:
        """The counts under ``keys``."""
        values = self._redis.mget([self._key(key) for key in keys]) if keys else []
        found = {key: _decode(value) for key, value in zip(keys, values, strict=True)}
        return {key: record for key, record in found.items() if record is not None}

    def change(self, key: str, change: Callable[[Attempts | None], tuple[Attempts | None, T]]) -> T:
        """Change the count under ``key`` atomically (see ``AttemptStore``)."""
        name = self._key(key)
        results: list[T] = []

        def attempt(pipe: Any) -> None:
            new, result = change(_decode(pipe.get(name)))
            results[:] = [result]
            pipe.multi()
            if new is None:
                pipe.delete(name)
            else:
                pipe.set(name, _encode(new), ex=int(KEEP.total_seconds()))

        self._redis.transaction(attempt, name)
        return results[0]

    def close(self) -> None:
        """Close the connections."""
        self._redis.close()
