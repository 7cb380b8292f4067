"""An instance told to stop says so on /readyz and lets its long-lived connections go at once
(end to end, through nginx, in tests/deploy/test_layout.py)."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.web.draining import Draining, draining, next_or_drain
from tests.run_async import run_async


def test_a_stopping_instance_is_not_ready(app: FastAPI, client: TestClient) -> None:
    assert client.get("/readyz").status_code == 200
    draining(app).start()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["problems"] == ["instance: stopping"]
    assert answer.headers["retry-after"]
    assert client.get("/healthz").status_code == 200  # alive all the same


def test_waiting_ends_when_draining_starts_and_not_before() -> None:
    class App:
        state = type("State", (), {})()

    app = App()

    async def scenario() -> tuple[tuple[bool, object], tuple[bool, object], float]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        queue.put_nowait("a row")
        came = await next_or_drain(asyncio.ensure_future(queue.get()), 5, app)
        loop = asyncio.get_running_loop()
        started = loop.time()
        loop.call_later(0.1, draining(app).start)
        drained = await next_or_drain(asyncio.ensure_future(queue.get()), 5, app)
        return came, drained, loop.time() - started

    came, drained, waited = run_async(scenario())
    assert came == (True, "a row")
    assert drained == (False, None) and waited < 1
    assert draining(app).started


def test_draining_started_before_anyone_waits_is_seen_at_once() -> None:
    state = Draining()
    state.start()

    async def wait() -> bool:
        await asyncio.wait_for(state.event().wait(), 1)
        return True

    assert run_async(wait())
