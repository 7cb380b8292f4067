"""Counting sign-in failures per client address and per account, in a store every instance of
the service shares (the database, or Redis when configured).

The rules themselves are in :mod:`controlroom.domain.login_backoff`; this module reads and
changes the counts. Checking an attempt only reads; a failure or a success changes each count
in one atomic step of the store, so two instances counting at once lose nothing.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from controlroom.domain.errors import DomainError
from controlroom.domain.login_backoff import (
    Attempts,
    Failure,
    Held,
    LoginLimits,
    Wait,
    after_failure,
    wait_before,
)

T = TypeVar("T")


class AttemptStore(Protocol):
    """Sign-in failure counts by key, shared by every instance of the service."""

    def read(self, keys: Sequence[str]) -> dict[str, Attempts]:
        """The counts kept under ``keys`` (keys without one are left out)."""

    def change(self, key: str, change: Callable[[Attempts | None], tuple[Attempts | None, T]]) -> T:
        """Replace the count under ``key`` by the first of ``change(count)`` (None: remove it),
        atomically with respect to every other change of that key; the second is returned."""


class TooManyAttempts(DomainError):
    """A sign-in attempt refused for now, before its password is checked."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, hint: str, retry_after: int, held: Held) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after
        self.held = held


def address_key(client: str) -> str:
    """The key of a client address's count: an IPv4 address, or the /64 network of an IPv6
    one (one subscriber's usual allocation, so hopping between its addresses does not help)."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return f"address:{client}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"address:{address}"


def account_key(name: str) -> str:
    """The key of an account's count (any well-formed name, existing or not)."""
    return f"account:{name}"


class AddressWaits:
    """The waits this process has already read for client addresses, so that an address
    sending attempts during its wait is refused without reading the store each time.

    Only address waits are kept: nothing can shorten one (the address's count is cleared by a
    successful sign-in from it, and every instance refuses its attempts until the wait ends),
    whereas an account's wait ends early when the person signs in. At most ``max_addresses``
    are kept; thread-safe.
    """

    def __init__(self, max_addresses: int = 10_000) -> None:
        self._until: OrderedDict[str, datetime] = OrderedDict()
        self._max = max_addresses
        self._lock = threading.Lock()

    def until(self, key: str, now: datetime) -> datetime | None:
        """When the wait of the address under ``key`` ends, if it has not ended by ``now``."""
        with self._lock:
            until = self._until.get(key)
            if until is not None and until <= now:
                del self._until[key]
                return None
            return until

    def note(self, key: str, until: datetime) -> None:
        """Remember that the address under ``key`` waits until ``until``."""
        with self._lock:
            self._until[key] = until
            self._until.move_to_end(key)
            while len(self._until) > self._max:
                self._until.popitem(last=False)


def _address_refusal(seconds: int) -> TooManyAttempts:
    return TooManyAttempts(
        "too many wrong sign-ins from this address",
        hint=f"wait {seconds} seconds before trying again",
        retry_after=seconds,
        held=Held.ADDRESS,
    )


def known_wait(waits: AddressWaits, client: str, now: datetime) -> TooManyAttempts | None:
    """The refusal for an attempt from ``client``, if this process already knows that the
    address is waiting at ``now`` (reads nothing)."""
    until = waits.until(address_key(client), now)
    return None if until is None else _address_refusal(Wait(Held.ADDRESS, until).seconds(now))


def check(
    store: AttemptStore,
    client: str,
    name: str | None,
    now: datetime,
    limits: LoginLimits,
    *,
    known_browser: bool = False,
    waits: AddressWaits | None = None,
) -> None:
    """Return when an attempt from ``client`` naming account ``name`` may be checked now;
    raise :class:`TooManyAttempts` (saying how long to wait) otherwise. An address's wait
    found is noted in ``waits``, if given."""
    keys = [address_key(client)] + ([] if name is None else [account_key(name)])
    found = store.read(keys)
    account = None if name is None else found.get(account_key(name))
    by_address = found.get(address_key(client))
    wait = wait_before(by_address, account, now, limits, known_browser=known_browser)
    if wait is None:
        return
    seconds = wait.seconds(now)
    if wait.held is Held.ADDRESS:
        if waits is not None:
            waits.note(address_key(client), wait.until)
        raise _address_refusal(seconds)
    raise TooManyAttempts(
        "this account has had many wrong sign-ins recently, and so has this address",
        hint=f"wait {seconds} seconds before trying again, or sign in from your usual browser",
        retry_after=seconds,
        held=wait.held,
    )


@dataclass(frozen=True)
class Counted:
    """One failure counted against the address and (for a well-formed name) the account."""

    address: Failure
    account: Failure | None


def failed(
    store: AttemptStore, client: str, name: str | None, now: datetime, limits: LoginLimits
) -> Counted:
    """Count a failed attempt against ``client`` and the account ``name``."""

    def count_with(backoff_of: str) -> Callable[[Attempts | None], tuple[Attempts, Failure]]:
        backoff = limits.address if backoff_of == "address" else limits.account

        def change(record: Attempts | None) -> tuple[Attempts, Failure]:
            failure = after_failure(record, now, backoff, limits)
            return failure.record, failure

        return change

    by_address = store.change(address_key(client), count_with("address"))
    by_account = None if name is None else store.change(account_key(name), count_with("account"))
    return Counted(by_address, by_account)


def succeeded(store: AttemptStore, client: str, name: str) -> int:
    """Clear the counts of ``client`` and account ``name`` after a successful sign-in; the
    account's failures not yet reported."""

    def clear(record: Attempts | None) -> tuple[None, int]:
        return None, 0 if record is None else record.unreported

    store.change(address_key(client), clear)
    return store.change(account_key(name), clear)
