"""Rate limits for the public Open311 endpoints: token buckets kept in memory.

Submitting takes a token from three buckets at once: the client's IP address, the API key,
and one shared by everybody (a cap on the whole service); reading takes one from the IP's read
bucket. The buckets live in this process: with several instances behind a load balancer each
keeps its own, so the real limits are that many times higher; put a shared limiter (at the
proxy, or a store such as Redis) in front of them instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

GLOBAL_KEY = "*"


@dataclass(frozen=True)
class Rate:
    """A bucket refilled at ``per_minute`` tokens a minute, holding at most ``burst``."""

    per_minute: float
    burst: int

    @property
    def per_second(self) -> float:
        """Tokens added each second."""
        return self.per_minute / 60.0


@dataclass(frozen=True)
class RateLimits:
    """The limits of the Open311 endpoints (see docs/open311.md)."""

    submit_per_key: Rate = field(default_factory=lambda: Rate(60, 20))
    submit_per_ip: Rate = field(default_factory=lambda: Rate(20, 10))
    submit_overall: Rate = field(default_factory=lambda: Rate(600, 100))
    read_per_ip: Rate = field(default_factory=lambda: Rate(300, 60))


class Buckets:
    """One token bucket per key at one rate; at most ``max_keys`` are remembered."""

    def __init__(self, rate: Rate, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._state: dict[str, tuple[float, float]] = {}

    def level(self, key: str, now: float) -> float:
        """The tokens in ``key``'s bucket at ``now``."""
        tokens, then = self._state.get(key, (float(self.rate.burst), now))
        return min(float(self.rate.burst), tokens + (now - then) * self.rate.per_second)

    def set(self, key: str, tokens: float, now: float) -> None:
        """Record ``tokens`` in ``key``'s bucket at ``now``."""
        self._state[key] = (tokens, now)
        if len(self._state) > self.max_keys:
            self._prune(now)

    def wait(self, tokens: float) -> float:
        """Seconds until a bucket holding ``tokens`` has one to give."""
        return max(0.0, (1.0 - tokens) / self.rate.per_second)

    def _prune(self, now: float) -> None:
        full = [key for key in self._state if self.level(key, now) >= self.rate.burst]
        for key in full:  # a full bucket is the same as none
            del self._state[key]
        if len(self._state) > self.max_keys:
            oldest = sorted(self._state, key=lambda key: self._state[key][1])
            for key in oldest[: len(oldest) // 2]:
                del self._state[key]


class Limiter:
    """The Open311 rate limits; thread-safe."""

    def __init__(
        self, limits: RateLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or RateLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._per_key = Buckets(self.limits.submit_per_key)
        self._per_ip = Buckets(self.limits.submit_per_ip)
        self._overall = Buckets(self.limits.submit_overall, max_keys=1)
        self._reads = Buckets(self.limits.read_per_ip)

    def submit(self, ip: str, key: str) -> float | None:
        """Take a submission token for ``ip`` and API key ``key``: ``None`` when allowed, else
        the seconds to wait."""
        wanted = [(self._per_ip, ip), (self._per_key, key), (self._overall, GLOBAL_KEY)]
        return self._take(wanted)

    def read(self, ip: str) -> float | None:
        """Take a read token for ``ip``: ``None`` when allowed, else the seconds to wait."""
        return self._take([(self._reads, ip)])

    def _take(self, wanted: list[tuple[Buckets, str]]) -> float | None:
        with self._lock:
            now = self._clock()
            levels = [(buckets, key, buckets.level(key, now)) for buckets, key in wanted]
            waits = [buckets.wait(level) for buckets, _, level in levels if level < 1.0]
            taken = 0.0 if waits else 1.0
            for buckets, key, level in levels:
                buckets.set(key, level - taken, now)
            return max(waits) if waits else None
