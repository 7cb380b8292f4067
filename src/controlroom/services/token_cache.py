"""Recently checked API tokens, so that a busy integration is not looked up on every request.

Telephony sends hundreds of events a second with one token. Each request checking that token in
the database costs more than the event itself on a busy server, so a token found good is
trusted again, by the process that checked it, for :data:`TRUST_SECONDS`. A token revoked, or
an account disabled, is therefore refused by every server within that time. Only tokens found
good are kept with their principal. A token refused is remembered for the same time (with the
reason, never a principal), so a client retrying a wrong or revoked token in a loop costs no
database look-up; a token made good within that time (none can be: a token's secret is fixed
when it is made) would not be affected. Tokens are kept under a SHA-256 digest of the presented
value, never as presented.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from controlroom.domain.access import Principal, Unauthenticated

#: How long a token found good is trusted without looking it up again.
TRUST_SECONDS = 2.0
#: The most tokens kept (the oldest checked are dropped first).
MAX_TOKENS = 4096


class CheckedTokens:
    """Tokens found good recently, with the principal each stands for."""

    def __init__(self, trust_seconds: float = TRUST_SECONDS, max_tokens: int = MAX_TOKENS):
        self._trust = timedelta(seconds=trust_seconds)
        self._max = max_tokens
        self._found: OrderedDict[bytes, tuple[Principal, datetime]] = OrderedDict()
        self._refused: OrderedDict[bytes, tuple[Unauthenticated, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(presented: str) -> bytes:
        return hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()

    def get(self, presented: str | None, now: datetime) -> Principal | None:
        """The principal ``presented`` stood for when checked less than the trust time ago."""
        if not presented:
            return None
        key = self._key(presented)
        with self._lock:
            found = self._found.get(key)
            if found is None:
                return None
            principal, checked_at = found
            if not checked_at <= now < checked_at + self._trust:
                del self._found[key]
                return None
            return principal

    def put(self, presented: str, principal: Principal, now: datetime) -> None:
        """Remember that ``presented`` was found good at ``now``."""
        key = self._key(presented)
        with self._lock:
            self._found[key] = (principal, now)
            self._found.move_to_end(key)
            while len(self._found) > self._max:
                self._found.popitem(last=False)

    def refusal(self, presented: str | None, now: datetime) -> Unauthenticated | None:
        """Why ``presented`` was refused, if it was less than the trust time ago."""
        if not presented:
            return None
        key = self._key(presented)
        with self._lock:
            found = self._refused.get(key)
            if found is None:
                return None
            reason, checked_at = found
            if not checked_at <= now < checked_at + self._trust:
                del self._refused[key]
                return None
            return Unauthenticated(reason.message, hint=reason.hint)

    def refuse(self, presented: str, reason: Unauthenticated, now: datetime) -> None:
        """Remember that ``presented`` was refused at ``now``, and why."""
        key = self._key(presented)
        with self._lock:
            self._refused[key] = (reason, now)
            self._refused.move_to_end(key)
            while len(self._refused) > self._max:
                self._refused.popitem(last=False)

    def clear(self) -> None:
        """Forget every token (after revoking one, say)."""
        with self._lock:
            self._found.clear()
            self._refused.clear()
