"""A flood of sign-ins cannot stall the service: passwords are checked off the event loop, a
few at a time, and attempts beyond that are turned away at once."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI

from controlroom.adapters.secrets import Argon2Hasher
from controlroom.config import Settings
from controlroom.web.console import login_gate
from tests.run_async import run_async
from tests.web.console_support import PASSWORD, add_users

CHECK_SECONDS = 0.3


class SlowHasher(Argon2Hasher):
    """A hasher that blocks its thread like a costly check does, and counts its work."""

    used: ClassVar[list[str]] = []

    def verify(self, hashed: str, secret: str) -> bool:
        SlowHasher.used.append("verify")
        time.sleep(CHECK_SECONDS)
        return super().verify(hashed, secret)

    def hash(self, secret: str) -> str:
        SlowHasher.used.append("hash")
        time.sleep(CHECK_SECONDS)
        return super().hash(secret)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(policy="dcp-p-042", database_url=database_url, demo=False, login_checks=1)


@pytest.fixture
def slow_app(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    add_users(app)
    monkeypatch.setattr(login_gate.bootstrap, "password_hasher", SlowHasher)
    yield app


async def _attempt(
    app: FastAPI, address: str, password: str, name: str = "hana"
) -> tuple[int, str, float]:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        page = await client.get("/console/login")
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        data = {"csrf": found.group(1), "username": name, "password": password}
        began = time.perf_counter()
        answer = await client.post("/console/login", data=data)
        return (
            answer.status_code,
            answer.headers.get("retry-after", ""),
            time.perf_counter() - began,
        )


async def _healthz(app: FastAPI) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await asyncio.sleep(0.05)  # the sign-ins are under way
        began = time.perf_counter()
        assert (await client.get("/healthz")).status_code == 200
        return time.perf_counter() - began


async def _flood(app: FastAPI, attempts: int) -> tuple[list[tuple[int, str, float]], float]:
    tries = [_attempt(app, f"198.51.100.{n}", "wrong-password-1") for n in range(attempts)]
    *answers, health = await asyncio.gather(*tries, _healthz(app))
    return answers, health  # type: ignore[return-value]


def test_the_health_check_answers_at_once_while_passwords_are_checked(slow_app: FastAPI) -> None:
    answers, health = run_async(_flood(slow_app, 3))
    assert health < CHECK_SECONDS / 2  # was blocked behind every check on the event loop
    assert sorted(status for status, _, _ in answers) == [401, 401, 401]


def test_attempts_beyond_the_pool_are_turned_away_at_once(slow_app: FastAPI) -> None:
    answers, _ = run_async(_flood(slow_app, 12))  # one check at once, four waiting
    busy = [(retry, took) for status, retry, took in answers if status == 503]
    assert len(busy) == 12 - 5
    assert all(retry == "1" and took < CHECK_SECONDS for retry, took in busy)
    assert sum(status == 401 for status, _, _ in answers) == 5


def test_made_up_names_take_no_place_in_the_pool_and_answer_as_slowly(slow_app: FastAPI) -> None:
    async def flood() -> list[tuple[int, str, float]]:
        tries = [
            _attempt(slow_app, f"198.51.100.{n}", "guess-1234567", f"made-up-{n}")
            for n in range(12)
        ]
        return list(await asyncio.gather(*tries))

    SlowHasher.used.clear()
    answers = run_async(flood())
    assert [status for status, _, _ in answers] == [401] * 12  # none turned away as busy
    assert SlowHasher.used == []  # nothing hashed
    assert min(took for _, _, took in answers) >= 0.1  # as slow as a password check


def test_the_right_password_signs_in_through_the_pool(slow_app: FastAPI) -> None:
    status, _, _ = run_async(_attempt(slow_app, "10.1.2.3", PASSWORD))
    assert status == 303


def test_places_are_kept_for_browsers_known_to_the_account() -> None:
    async def scenario() -> list[str]:
        pool = login_gate.CheckPool(workers=1, waiting=1, reserved=1)
        outcomes: list[str] = []

        async def attempt(known: bool) -> None:
            try:
                await pool.run(lambda: time.sleep(0.2), known=known)
                outcomes.append("checked")
            except login_gate.Busy:
                outcomes.append("busy")

        first = [asyncio.create_task(attempt(False)) for _ in range(3)]
        await asyncio.sleep(0.05)
        await asyncio.gather(*first, attempt(True), attempt(True))
        return outcomes

    outcomes = run_async(scenario())
    assert outcomes.count("busy") == 2  # one stranger and one known browser beyond the reserve
    assert outcomes.count("checked") == 3


def test_the_first_requests_at_once_all_sign_with_the_same_key(app: FastAPI) -> None:
    from controlroom.web.console.session import secret_for

    class Seen:  # what secret_for reads of a request
        def __init__(self) -> None:
            self.app = app

    start = threading.Barrier(8)
    keys: list[bytes] = []

    def first_request() -> None:
        start.wait()
        keys.append(secret_for(Seen()))  # type: ignore[arg-type]

    for _ in range(20):  # a fresh process each round: no key yet
        app.state.console_secret = None
        keys.clear()
        threads = [threading.Thread(target=first_request) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(set(keys)) == 1  # else a form served now fails its CSRF check later
