"""Flood protection for the public pages, without a captcha.

- **Signed form tokens.** Every public form and the chat carry a token the page was served
  with: ``<issued>.<nonce>.<HMAC-SHA256>`` over the issue time, nonce and purpose, keyed by
  ``CONTROLROOM_PUBLIC_SECRET``. A submission needs a token from a page actually loaded, at
  least :attr:`Guard.min_age` seconds old (people read before they send; scripts do not) and at
  most :attr:`Guard.max_age` old. A form cannot be posted by a script that did not load it.
- **One submission per token.** A token that passed is spent: sending the same form again (a
  double click, a replay, a script re-using one page load) is refused, on every instance
  sharing the Redis of ``CONTROLROOM_REDIS_URL`` (in this process without it).
- **Token buckets** per client address and one shared by everybody, for page loads, form
  posts and chat messages (``Limits``), using the Open311 limiter's buckets.

Client addresses come from the connection (run behind a proxy with ``--proxy-headers``). The
buckets are per process: with several instances the global limits are that many times higher.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from controlroom.web.open311.limits import GLOBAL_KEY, Buckets, Rate


def _spent_key(token: str, purpose: str) -> str:
    return f"{purpose}:{token.rsplit('.', 1)[-1]}"


class Refused(Exception):
    """A request the guard turns away: the status, and what to tell the person."""

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class SpentTokens(Protocol):
    """Remembers the form tokens used (adapters/spent_tokens.py)."""

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        """True the first time ``key`` is given within ``ttl_seconds``, False afterwards."""
        ...

    async def forget(self, key: str) -> None:
        """Make ``key`` unused again."""
        ...


class InProcessSpentTokens:
    """Spent tokens in this process (thread-safe), for a single instance; each forgotten after
    its time to live."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    async def first_use(self, key: str, ttl_seconds: int) -> bool:
        """True the first time ``key`` is given within ``ttl_seconds``, False afterwards."""
        now = time.monotonic()
        with self._lock:
            if now >= self._next_sweep:
                self._until = {k: until for k, until in self._until.items() if until > now}
                self._next_sweep = now + 60
            if self._until.get(key, 0.0) > now:
                return False
            self._until[key] = now + ttl_seconds
            return True

    async def forget(self, key: str) -> None:
        """Make ``key`` unused again."""
        with self._lock:
            self._until.pop(key, None)


#: What a person sending a form a second time is told.
ALREADY_SENT = (
    "This form has already been sent. To send something else, fill in this new form and "
    "send it. If anyone is in danger, call 999."
)
#: What a person starting a second chat from one page load is told.
CHAT_ALREADY_STARTED = (
    "A chat was already started from this page. Please reload the page to start a new one. "
    "If anyone is in danger, call 999."
)


@dataclass(frozen=True)
class Limits:
    """Rates for the public pages (per minute, burst)."""

    pages_per_client: Rate = field(default_factory=lambda: Rate(120, 60))
    posts_per_client: Rate = field(default_factory=lambda: Rate(10, 5))
    posts_overall: Rate = field(default_factory=lambda: Rate(600, 120))
    chats_per_client: Rate = field(default_factory=lambda: Rate(6, 3))
    chat_messages_per_client: Rate = field(default_factory=lambda: Rate(60, 20))
    chat_messages_overall: Rate = field(default_factory=lambda: Rate(60_000, 5_000))


class Guard:
    """Form tokens and rate limits for the public pages; thread-safe."""

    def __init__(
        self,
        secret: str | None,
        limits: Limits | None = None,
        *,
        min_age: float = 2.0,
        max_age: float = 4 * 3600.0,
        clock: Callable[[], float] = time.time,
        spent: SpentTokens | None = None,
    ) -> None:
        self._key = (secret or secrets.token_hex(32)).encode()
        self._spent: SpentTokens = spent or InProcessSpentTokens()
        self.limits = limits or Limits()
        self.min_age = min_age
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, Buckets] = {}

    # -- signed tokens -----------------------------------------------------------------------

    def sign(self, text: str) -> str:
        """An HMAC of ``text`` (hex, 32 characters)."""
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()[:32]

    def form_token(self, purpose: str) -> str:
        """A token for a form about to be served."""
        body = f"{int(self._clock())}.{secrets.token_hex(6)}"
        return f"{body}.{self.sign(purpose + ':' + body)}"

    def check_form_token(self, token: str, purpose: str, *, min_age: float | None = None) -> None:
        """Return when ``token`` is one this service issued for ``purpose`` and its age is
        right; raise :class:`Refused` otherwise."""
        issued, _, rest = token.partition(".")
        nonce, _, mac = rest.partition(".")
        if not issued.isdigit() or not hmac.compare_digest(
            mac, self.sign(f"{purpose}:{issued}.{nonce}")
        ):
            raise Refused(
                400,
                "This form has expired or was not sent from our page. "
                "Please reload the page and try again.",
            )
        age = self._clock() - int(issued)
        if age > self.max_age:
            raise Refused(400, "This form has expired. Please reload the page and try again.")
        if age < (self.min_age if min_age is None else min_age):
            raise Refused(
                429,
                "That was sent very quickly. Please wait a moment and send it again.",
                retry_after=self.min_age,
            )

    async def use_form_token(
        self, token: str, purpose: str, *, min_age: float | None = None
    ) -> None:
        """:meth:`check_form_token`, then spend the token: :class:`Refused` (409) when it was
        used before, on this instance or another sharing the store."""
        self.check_form_token(token, purpose, min_age=min_age)
        await self.spend_form_token(token, purpose)

    async def spend_form_token(self, token: str, purpose: str, message: str = ALREADY_SENT) -> None:
        """Mark a checked ``token`` used: :class:`Refused` (409, ``message``) when it was."""
        if not await self._spent.first_use(_spent_key(token, purpose), int(self.max_age) + 60):
            raise Refused(409, message)

    async def unspend_form_token(self, token: str, purpose: str) -> None:
        """Make ``token`` usable again: what it was spent on was refused, and nothing made."""
        await self._spent.forget(_spent_key(token, purpose))

    # -- rate limits -------------------------------------------------------------------------

    def page(self, client: str) -> None:
        """A page load by ``client``."""
        self._take([("pages", client, self.limits.pages_per_client)])

    def post(self, client: str) -> None:
        """A form sent by ``client``."""
        self._take(
            [
                ("posts", client, self.limits.posts_per_client),
                ("posts*", GLOBAL_KEY, self.limits.posts_overall),
            ]
        )

    def chat(self, client: str) -> None:
        """A chat started by ``client``."""
        self._take(
            [
                ("chats", client, self.limits.chats_per_client),
                ("posts*", GLOBAL_KEY, self.limits.posts_overall),
            ]
        )

    def chat_message(self, client: str) -> None:
        """A chat message (or typing notice) from ``client``."""
        self._take(
            [
                ("messages", client, self.limits.chat_messages_per_client),
                ("messages*", GLOBAL_KEY, self.limits.chat_messages_overall),
            ]
        )

    def _take(self, wanted: list[tuple[str, str, Rate]]) -> None:
        with self._lock:
            now = time.monotonic()
            levels = []
            for name, key, rate in wanted:
                buckets = self._buckets.setdefault(name, Buckets(rate))
                levels.append((buckets, key, buckets.level(key, now)))
            waits = [buckets.wait(level) for buckets, _, level in levels if level < 1.0]
            taken = 0.0 if waits else 1.0
            for buckets, key, level in levels:
                buckets.set(key, level - taken, now)
        if waits:
            wait = max(waits)
            raise Refused(
                429,
                f"Too many requests. Please wait {max(1, round(wait))} seconds "
                "and try again. If anyone is in danger, call 999.",
                retry_after=wait,
            )
