"""Signing in with a password without letting anyone stall the service or lock a person out.

- When the password-check pool (below) is full, the attempt is answered 503 at once. Else the
  failure counts (``services/login_limits``) are read, in the server's thread pool:
  an address or account that must wait is answered **429** with ``Retry-After`` at once,
  without hashing anything; an address's wait, once read, is remembered by this process until
  it ends, so further attempts from it during the wait read nothing.
- An attempt naming no active account with a password (or a malformed name) is counted as a
  wrong password and answered 401 after as long as a check would take now (the recent checks'
  time, and the queue's), without hashing anything or taking a place in the pool: a flood of
  made-up names costs next to nothing, and its answers look like those for real names.
- Passwords are checked (argon2, about 0.1 s of CPU each) in a small pool of threads of their
  own, never on the event loop nor in the pool that serves other requests: at most
  ``CONTROLROOM_LOGIN_CHECKS`` at once, and four times as many waiting; an attempt beyond that
  is answered **503** with ``Retry-After: 1`` at once rather than queued; two more places are
  kept for browsers that signed in to the named account before. The checking threads
  run at a lower CPU priority (``nice`` 10 on Linux), so a flood of checks takes the CPU the
  rest of the service leaves rather than the other way round.

The pool is per process (it bounds this process's CPU); the counts are shared by every
instance, in the database or Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from controlroom import bootstrap
from controlroom.domain.access import Unauthenticated
from controlroom.domain.errors import DomainError, ServiceUnavailable
from controlroom.services import login_limits, sessions
from controlroom.services.login_limits import AddressWaits, AttemptStore, TooManyAttempts
from controlroom.services.sessions import LoginRules
from controlroom.web.console.forms import read_form
from controlroom.web.console.login_page import login_page, safe_next
from controlroom.web.console.session import (
    KNOWN_COOKIE,
    KNOWN_FOR,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    encode_cookie,
    is_known_browser,
    known_browser_value,
    lifetime,
    login_token,
    secret_for,
    set_cookie,
    settings_of,
)

T = TypeVar("T")
#: Attempts allowed to wait for a check, per check allowed at once.
WAITING_PER_CHECK = 4
#: How long a password check takes before any has been timed (argon2id's defaults, here).
TYPICAL_CHECK_SECONDS = 0.15


class Busy(Exception):
    """Every password check slot, and every place waiting for one, is taken."""


#: How much lower than the rest of the service the check threads run (Linux ``nice``).
CHECK_NICENESS = 10


def _lower_priority() -> None:
    """Run this thread (and the threads argon2 starts from it) at a lower CPU priority, so
    that checks take the CPU the rest of the service leaves (Linux; elsewhere a no-op)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CHECK_NICENESS)


class CheckPool:
    """Runs password checks in ``workers`` threads of its own, with at most ``waiting`` more
    queued; thread-safe."""

    def __init__(self, workers: int, waiting: int, reserved: int = 2) -> None:
        self._executor = ThreadPoolExecutor(
            workers, thread_name_prefix="password-check", initializer=_lower_priority
        )
        self._workers = workers
        self._limit = workers + waiting
        self._reserved = reserved
        self._admitted = 0
        self._typical = TYPICAL_CHECK_SECONDS
        self._lock = threading.Lock()

    def full(self, *, known: bool = False) -> bool:
        """True when a check would be turned away now."""
        return self._admitted >= self._limit + (self._reserved if known else 0)

    def expected_seconds(self) -> float:
        """How long a check admitted now would take, waiting included (from the recent ones)."""
        with self._lock:
            return self._typical * (1 + self._admitted // self._workers)

    def _release(self, _: Future[Any]) -> None:
        with self._lock:
            self._admitted -= 1

    def _timed(self, check: Callable[[], T]) -> T:
        began = time.perf_counter()
        try:
            return check()
        finally:
            took = time.perf_counter() - began
            with self._lock:
                self._typical += (took - self._typical) / 8

    async def run(self, check: Callable[[], T], *, known: bool = False) -> T:
        """``check()``'s answer, computed in the pool; :class:`Busy` at once when full. A
        check keeps its place until it has finished, even if its request is abandoned. A
        ``known`` browser's check may also take one of ``reserved`` places kept for them."""
        limit = self._limit + (self._reserved if known else 0)
        with self._lock:
            if self._admitted >= limit:
                raise Busy
            self._admitted += 1
        future = self._executor.submit(self._timed, check)
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)


def pool_of(app: FastAPI) -> CheckPool:
    """The application's password-check pool (made on first use)."""
    state = app.state
    with _SETUP:
        pool: CheckPool | None = getattr(state, "login_checks", None)
        if pool is None:
            workers = state.sizing.login_checks
            pool = state.login_checks = CheckPool(workers, workers * WAITING_PER_CHECK)
    return pool


def waits_of(app: FastAPI) -> AddressWaits:
    """The address waits this process has read (services/login_limits.py)."""
    state = app.state
    with _SETUP:
        waits: AddressWaits | None = getattr(state, "login_waits", None)
        if waits is None:
            waits = state.login_waits = AddressWaits()
    return waits


def attempts_of(app: FastAPI) -> AttemptStore:
    """Where the application counts sign-in failures (made on first use)."""
    state = app.state
    with _SETUP:
        store: AttemptStore | None = getattr(state, "login_attempts", None)
        if store is None:
            store = state.login_attempts = bootstrap.attempt_store(state.settings)
    return store


_SETUP = threading.Lock()


def rules_of(request: Request) -> LoginRules:
    """The sign-in rules the settings give."""
    settings = settings_of(request)
    return sessions.login_rules(settings.login_max_failures, settings.login_lockout_minutes)


def _refused(request: Request, username: str, status: int, error: str, wait: int) -> Response:
    response = login_page(request, error=error, username=username, status=status)
    response.headers["Retry-After"] = str(wait)
    return response


async def sign_in(request: Request) -> Response:
    """The answer to the sign-in form (see the module's description)."""
    try:
        form = await read_form(request)
    except DomainError as exc:
        return login_page(request, error=exc.message, status=400)
    username = str(form.get("username", ""))[:64]
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    sent = str(form.get("csrf", ""))
    if not nonce or not hmac.compare_digest(sent, login_token(secret_for(request), nonce)):
        message = "The sign-in form had expired; please sign in again."
        return login_page(request, error=message, username=username, status=400)
    client = request.client.host if request.client else ""
    store, rules, now = attempts_of(request.app), rules_of(request), datetime.now(UTC)
    key = secret_for(request)
    known_cookie = request.cookies.get(KNOWN_COOKIE, "")[:4096]
    known = is_known_browser(key, known_cookie, username, now)
    factory = request.app.state.uow_factory
    log_in = partial(
        sessions.log_in,
        factory,
        bootstrap.password_hasher(),
        username,
        str(form.get("password", ""))[:1024],
        now=now,
        rules=rules,
        attempts=store,
        client=client,
        known_browser=known,
    )
    pool, waits = pool_of(request.app), waits_of(request.app)
    try:
        if pool.full(known=known):  # no need to read the counts
            raise Busy
        if (waiting := login_limits.known_wait(waits, client, now)) is not None:
            raise waiting  # this address's wait, already read: no need to read it again
        seen = partial(sessions.check_attempt, factory, store, username, client=client, now=now)
        if not await run_in_threadpool(seen, rules=rules, known_browser=known, waits=waits):
            await asyncio.sleep(pool.expected_seconds())  # as long as a check would take
            refuse = partial(sessions.refuse_unknown, factory, store, username, client=client)
            raise await run_in_threadpool(refuse, now=now, rules=rules)
        session = await pool.run(log_in, known=known)
    except TooManyAttempts as exc:
        error = f"{exc.message[:1].upper()}{exc.message[1:]}: {exc.hint}."
        return _refused(request, username, 429, error, exc.retry_after)
    except (Busy, ServiceUnavailable):
        error = "Sign-in is very busy just now; please try again in a moment."
        return _refused(request, username, 503, error, 1)
    except Unauthenticated:
        error = "The name or password is wrong."
        return login_page(request, error=error, username=username, status=401)
    response = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
    value = encode_cookie(key, session)
    set_cookie(response, request, SESSION_COOKIE, value, int(lifetime(request).total_seconds()))
    remembered = known_browser_value(key, session.principal.name, now, known_cookie)
    set_cookie(response, request, KNOWN_COOKIE, remembered, int(KNOWN_FOR.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/console")
    return response
