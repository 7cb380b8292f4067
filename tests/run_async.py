"""Run a coroutine to the end from a test, whatever loop the test's thread may be in.

The browser tests' Playwright (sync API) keeps an event loop running in the worker's main
thread while its browser is open, so ``asyncio.run`` there fails; a thread of its own always
starts clean.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` in a new thread; its result, or its exception."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
