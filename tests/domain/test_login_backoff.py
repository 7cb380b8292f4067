"""The rules that slow wrong sign-ins: waits that double, clean addresses let through, counts
forgotten, failures reported in summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlroom.domain.login_backoff import (
    Attempts,
    Backoff,
    Held,
    LoginLimits,
    after_failure,
    wait_before,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LIMITS = LoginLimits(
    address=Backoff(3, timedelta(seconds=1), timedelta(minutes=15)),
    account=Backoff(3, timedelta(seconds=1), timedelta(minutes=1)),
)


def failures(n: int, backoff: Backoff, at: datetime = T0) -> Attempts:
    record = None
    for _ in range(n):
        record = after_failure(record, at, backoff, LIMITS).record
    assert record is not None
    return record


def test_the_wait_starts_at_the_threshold_doubles_and_stops_at_the_longest() -> None:
    backoff = LIMITS.address
    waits = [backoff.delay(n).total_seconds() for n in range(1, 16)]
    assert waits[:2] == [0, 0]
    assert waits[2:6] == [1, 2, 4, 8]
    assert waits[-1] == 900
    assert backoff.delay(10_000) == timedelta(minutes=15)


def test_an_address_at_its_limit_waits_for_every_account() -> None:
    address = failures(3, LIMITS.address)
    wait = wait_before(address, None, T0 + timedelta(milliseconds=500), LIMITS)
    assert wait is not None and wait.held is Held.ADDRESS
    assert wait.seconds(T0 + timedelta(milliseconds=500)) == 1
    assert wait_before(address, None, T0 + timedelta(seconds=1), LIMITS) is None


def test_an_account_under_attack_still_lets_a_clean_address_in() -> None:
    account = failures(30, LIMITS.account)
    assert wait_before(None, account, T0 + timedelta(seconds=1), LIMITS) is None
    failed_once = failures(1, LIMITS.address)
    wait = wait_before(failed_once, account, T0 + timedelta(seconds=1), LIMITS)
    assert wait is not None and wait.held is Held.ACCOUNT
    assert wait.until == T0 + timedelta(minutes=1)  # the account's longest wait, not 15 min


def test_counts_are_forgotten_after_a_day() -> None:
    address = failures(20, LIMITS.address)
    assert wait_before(address, None, T0 + timedelta(hours=23), LIMITS) is None  # wait over
    later = T0 + timedelta(hours=24)
    again = after_failure(address, later, LIMITS.address, LIMITS)
    assert again.record.failures == 1 and again.record.next_at == later


def test_failures_are_reported_at_once_then_once_a_window_with_the_count() -> None:
    first = after_failure(None, T0, LIMITS.account, LIMITS)
    assert first.report == 1
    record, reports = first.record, []
    for second in range(1, 60 * 20):  # one failure a second for 20 minutes
        counted = after_failure(record, T0 + timedelta(seconds=second), LIMITS.account, LIMITS)
        record = counted.record
        if counted.report:
            reports.append(counted.report)
    assert reports == [900]  # the one row at 15 minutes counts every failure since the first
    assert record.unreported == 60 * 20 - 1 - 900


def test_the_delay_begins_once_per_run_of_failures() -> None:
    began = []
    record = None
    for n in range(6):
        counted = after_failure(record, T0 + timedelta(seconds=n), LIMITS.address, LIMITS)
        record = counted.record
        began.append(counted.delay_began)
    assert began == [False, False, True, False, False, False]


def test_a_browser_known_to_the_account_is_not_held_by_the_accounts_count() -> None:
    account = failures(30, LIMITS.account)
    failed_once = failures(1, LIMITS.address)
    at = T0 + timedelta(seconds=1)
    assert wait_before(failed_once, account, at, LIMITS, known_browser=True) is None
    address = failures(3, LIMITS.address)  # but its own address's wait still holds
    wait = wait_before(address, account, T0, LIMITS, known_browser=True)
    assert wait is not None and wait.held is Held.ADDRESS
