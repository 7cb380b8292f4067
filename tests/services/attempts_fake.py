"""An in-memory stand-in for the shared store of sign-in failure counts (tests only)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from controlroom.domain.login_backoff import Attempts

T = TypeVar("T")


class MemoryAttempts:
    """``AttemptStore`` in a dict, for one process."""

    def __init__(self) -> None:
        self.counts: dict[str, Attempts] = {}
        self._lock = threading.Lock()

    def read(self, keys: Sequence[str]) -> dict[str, Attempts]:
        with self._lock:
            return {key: self.counts[key] for key in keys if key in self.counts}

    def change(self, key: str, change: Callable[[Attempts | None], tuple[Attempts | None, T]]) -> T:
        with self._lock:
            new, result = change(self.counts.get(key))
            if new is None:
                self.counts.pop(key, None)
            else:
                self.counts[key] = new
            return result
