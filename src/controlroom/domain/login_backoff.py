"""The rules that slow down wrong sign-ins without locking the real person out.

Failures are counted twice: against the **client address** they came from and against the
**account** they named. Each count allows a few failures free, then makes the next attempt
wait, twice as long after each further failure, up to a longest delay:

- an address that has reached its delay may not try again, for any account, until it ends;
- an account that has reached its delay refuses attempts, until it ends, from addresses that
  have failed recently themselves; an address with a clean record is still let through, so
  the real person at their own computer signs in while someone elsewhere guesses. A browser
  that has signed in to the account before counts as a clean address for that account.

A successful sign-in clears both counts (reporting the failures not yet reported); a count
whose last failure is older than :attr:`LoginLimits.forget_after` is forgotten. Failures are
reported (audited) in summary: the first at once, then at most one report per
:attr:`LoginLimits.report_every`, giving the number of failures since the previous one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True)
class Backoff:
    """How a count of failures turns into a wait: none until ``threshold`` failures in a row,
    then ``first_delay``, doubled for each further failure, never more than ``longest_delay``."""

    threshold: int
    first_delay: timedelta
    longest_delay: timedelta

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failure in a row."""
        extra = failures - self.threshold
        if extra < 0:
            return timedelta(0)
        longest = self.longest_delay.total_seconds()
        seconds = self.first_delay.total_seconds() * 2.0 ** min(extra, 62)
        return timedelta(seconds=min(longest, seconds))


@dataclass(frozen=True)
class LoginLimits:
    """The limits on sign-in attempts (see the module's description and docs/access.md)."""

    address: Backoff = field(
        default_factory=lambda: Backoff(5, timedelta(seconds=1), timedelta(minutes=15))
    )
    account: Backoff = field(
        default_factory=lambda: Backoff(5, timedelta(seconds=1), timedelta(minutes=1))
    )
    forget_after: timedelta = timedelta(hours=24)
    report_every: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Attempts:
    """The failures counted against one address or account.

    ``next_at`` is the earliest the next attempt is accepted; ``reported_at`` when failures
    were last reported, and ``unreported`` how many came since.
    """

    failures: int
    last_failure_at: datetime
    next_at: datetime
    reported_at: datetime | None = None
    unreported: int = 0


class Held(StrEnum):
    """What makes a sign-in attempt wait."""

    ADDRESS = "address"
    ACCOUNT = "account"


@dataclass(frozen=True)
class Wait:
    """An attempt refused for now: why, and when the next one is accepted."""

    held: Held
    until: datetime

    def seconds(self, now: datetime) -> int:
        """Whole seconds from ``now`` to :attr:`until` (at least 1)."""
        return max(1, math.ceil((self.until - now).total_seconds()))


def current(record: Attempts | None, now: datetime, limits: LoginLimits) -> Attempts | None:
    """``record``, unless it is empty or its last failure is old enough to be forgotten."""
    if record is None or record.failures <= 0:
        return None
    if now - record.last_failure_at >= limits.forget_after:
        return None
    return record


def wait_before(
    address: Attempts | None,
    account: Attempts | None,
    now: datetime,
    limits: LoginLimits,
    *,
    known_browser: bool = False,
) -> Wait | None:
    """Why an attempt from an address with record ``address``, naming an account with record
    ``account``, must wait; None when it may be checked now. An attempt from a browser that
    signed in to the account before (``known_browser``) is treated as from a clean address."""
    by_address = current(address, now, limits)
    if by_address is not None and by_address.next_at > now:
        return Wait(Held.ADDRESS, by_address.next_at)
    if known_browser:
        return None
    by_account = current(account, now, limits)
    if by_address is not None and by_account is not None and by_account.next_at > now:
        return Wait(Held.ACCOUNT, by_account.next_at)
    return None


@dataclass(frozen=True)
class Failure:
    """A failure counted: the new record, whether the delay began with it, and how many
    failures to report now (0: none, the report waits for the next window)."""

    record: Attempts
    delay_began: bool
    report: int


def after_failure(
    record: Attempts | None, now: datetime, backoff: Backoff, limits: LoginLimits
) -> Failure:
    """The record after one more failure at ``now``."""
    before = current(record, now, limits)
    failures = 1 if before is None else before.failures + 1
    next_at = now + backoff.delay(failures)
    reported_at = None if record is None else record.reported_at
    unreported = (0 if record is None else record.unreported) + 1
    report = 0
    if reported_at is None or now - reported_at >= limits.report_every:
        report, reported_at, unreported = unreported, now, 0
    counted = Attempts(failures, now, next_at, reported_at, unreported)
    return Failure(counted, failures == backoff.threshold, report)
