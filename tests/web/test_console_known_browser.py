"""The known-browser cookie: which accounts a browser has signed in to, signed, for 30 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlroom.web.console.session import (
    KNOWN_ACCOUNTS,
    is_known_browser,
    known_browser_value,
)

KEY = b"k" * 32
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_a_shared_computer_is_known_to_each_of_its_users() -> None:
    value = known_browser_value(KEY, "sam", T0)
    value = known_browser_value(KEY, "hana", T0 + timedelta(hours=8), value)
    assert is_known_browser(KEY, value, "sam", T0 + timedelta(hours=9))
    assert is_known_browser(KEY, value, "Hana ", T0 + timedelta(hours=9))
    assert not is_known_browser(KEY, value, "ada", T0 + timedelta(hours=9))


def test_only_the_latest_accounts_are_kept_and_each_for_30_days() -> None:
    value = ""
    for n in range(KNOWN_ACCOUNTS + 2):
        value = known_browser_value(KEY, f"user{n}", T0 + timedelta(minutes=n), value)
    later = T0 + timedelta(hours=1)
    assert not is_known_browser(KEY, value, "user0", later)
    assert is_known_browser(KEY, value, f"user{KNOWN_ACCOUNTS + 1}", later)
    assert is_known_browser(KEY, value, "user2", later)
    assert not is_known_browser(KEY, value, "user9", T0 + timedelta(days=30, minutes=10))


def test_a_forged_or_foreign_entry_vouches_for_nobody() -> None:
    value = known_browser_value(KEY, "sam", T0)
    issued, signature, _ = value.split(".")
    assert not is_known_browser(KEY, f"{issued}.{signature}.hana", "hana", T0)
    assert not is_known_browser(b"x" * 32, value, "sam", T0)  # another service's key
    forged = known_browser_value(b"x" * 32, "hana", T0)
    kept = known_browser_value(KEY, "ada", T0, f"{forged}~{value}")
    assert not is_known_browser(KEY, kept, "hana", T0)
    assert is_known_browser(KEY, kept, "sam", T0)
