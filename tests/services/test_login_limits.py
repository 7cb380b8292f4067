"""Signing in with wrong passwords: addresses wait, accounts slow down without locking the
real person out, and the audit log gets a summary rather than a row per failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from controlroom.domain.access import Unauthenticated
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.login_backoff import Held
from controlroom.services import accounts, sessions
from controlroom.services.login_limits import TooManyAttempts
from tests.fakes.uow import FakeHasher, FakeUnitOfWork
from tests.services.attempts_fake import MemoryAttempts

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PASSWORD = "a-long-password"
RULES = sessions.login_rules(max_failures=3, longest_wait_minutes=15)


class Desk:
    """A fake database with the account ``hana``, and the shared failure counts."""

    def __init__(self) -> None:
        self.uow, self.attempts, self.hasher = FakeUnitOfWork(), MemoryAttempts(), FakeHasher()
        admin = Actor("cli:test", Role.ADMIN)
        accounts.add_user(self.uow, admin, "hana", "call_handler", PASSWORD, hasher=self.hasher)
        self.hashes = 0
        real_verify = self.hasher.verify

        def counting_verify(hashed: str, secret: str) -> bool:
            self.hashes += 1
            return real_verify(hashed, secret)

        self.hasher.verify = counting_verify  # type: ignore[method-assign]

    def factory(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        return self.uow

    def log_in(
        self, password: str, at: datetime, client: str, name: str = "hana"
    ) -> sessions.Session:
        return sessions.log_in(
            self.factory,
            self.hasher,
            name,
            password,
            now=at,
            rules=RULES,
            attempts=self.attempts,
            client=client,
        )

    def fail(self, at: datetime, client: str, name: str = "hana") -> None:
        with pytest.raises(Unauthenticated):
            self.log_in("wrong-password", at, client, name)

    def tags(self, subject: str) -> list[str]:
        return [entry.tag for entry in self.uow.audit.entries() if entry.subject == subject]

    def rows(self, tag: str) -> list[dict[str, object]]:
        return [dict(entry.details) for entry in self.uow.audit.entries() if entry.tag == tag]


@pytest.fixture
def desk() -> Desk:
    return Desk()


def test_an_address_that_keeps_failing_waits_longer_each_time(desk: Desk) -> None:
    for n in range(3):
        desk.fail(T0 + timedelta(seconds=n), "203.0.113.9")
    with pytest.raises(TooManyAttempts) as refused:
        desk.log_in(PASSWORD, T0 + timedelta(seconds=2.5), "203.0.113.9")
    assert refused.value.held is Held.ADDRESS and refused.value.retry_after == 1
    hashes = desk.hashes
    desk.fail(T0 + timedelta(seconds=3), "203.0.113.9")  # the wait is over: checked, wrong
    with pytest.raises(TooManyAttempts) as refused:
        desk.log_in(PASSWORD, T0 + timedelta(seconds=4), "203.0.113.9")
    assert refused.value.retry_after == 1  # 2 s after the 4th failure, 1 s of it left
    assert desk.hashes == hashes + 1  # a refused attempt costs no hashing


def test_the_real_person_signs_in_from_a_clean_address_while_the_account_is_attacked(
    desk: Desk,
) -> None:
    for n in range(40):  # forty addresses, one guess each, then each tries again
        desk.fail(T0 + timedelta(seconds=n), f"198.51.100.{n}")
    with pytest.raises(TooManyAttempts) as refused:
        desk.log_in(PASSWORD, T0 + timedelta(seconds=41), "198.51.100.7")
    assert refused.value.held is Held.ACCOUNT and refused.value.retry_after <= 60
    session = desk.log_in(PASSWORD, T0 + timedelta(seconds=41), "10.1.2.3")
    assert session.principal.name == "hana"


def test_the_real_person_after_a_typo_waits_a_minute_at_most_never_locked_out(
    desk: Desk,
) -> None:
    for n in range(40):
        desk.fail(T0 + timedelta(seconds=n), f"198.51.100.{n}")
    desk.fail(T0 + timedelta(seconds=40), "10.1.2.3")  # the real person mistypes
    with pytest.raises(TooManyAttempts):
        desk.log_in(PASSWORD, T0 + timedelta(seconds=41), "10.1.2.3")
    session = desk.log_in(PASSWORD, T0 + timedelta(seconds=101), "10.1.2.3")
    assert session.principal.name == "hana"


def test_a_good_sign_in_clears_the_counts(desk: Desk) -> None:
    for n in range(2):
        desk.fail(T0 + timedelta(seconds=n), "10.1.2.3")
    desk.log_in(PASSWORD, T0 + timedelta(seconds=3), "10.1.2.3")
    for n in range(2):
        desk.fail(T0 + timedelta(seconds=4 + n), "10.1.2.3")
    assert desk.log_in(PASSWORD, T0 + timedelta(seconds=7), "10.1.2.3")


def test_a_flood_of_failures_leaves_a_summary_in_the_audit_log(desk: Desk) -> None:
    for n in range(500):  # 500 addresses, one guess each, over 25 minutes
        desk.fail(T0 + timedelta(seconds=3 * n), f"10.9.{n // 250}.{n % 250}")
    failed = desk.rows(sessions.LOGIN_FAILED)
    assert [row["failures"] for row in failed] == [1, 300]  # at once, then after 15 minutes
    assert len(desk.rows(sessions.LOCKED)) == 1  # the account's delay began once
    desk.log_in(PASSWORD, T0 + timedelta(hours=1), "10.1.2.3")
    (signed_in,) = desk.rows(sessions.LOGIN)
    assert signed_in["failures_before"] == 199  # none lost: 1 + 300 + 199 = 500


def test_an_address_trying_many_names_is_audited_once_when_its_wait_begins(desk: Desk) -> None:
    for n in range(3):
        desk.fail(T0 + timedelta(seconds=n), "203.0.113.9", name=f"nobody{n}")
    assert desk.tags("address:203.0.113.9") == [sessions.THROTTLED]
    assert desk.rows(sessions.LOGIN_FAILED) == []  # no such accounts: nothing about them
    with pytest.raises(TooManyAttempts):
        desk.log_in(PASSWORD, T0 + timedelta(seconds=2.5), "203.0.113.9", name="nobody9")


def test_a_malformed_name_is_counted_against_the_address_without_hashing(desk: Desk) -> None:
    for n in range(3):
        desk.fail(T0 + timedelta(seconds=n), "203.0.113.9", name="Not A Name!")
    assert desk.hashes == 0
    with pytest.raises(TooManyAttempts):
        desk.log_in(PASSWORD, T0 + timedelta(seconds=2.5), "203.0.113.9")


def test_an_ipv6_attacker_cannot_hop_between_the_addresses_of_its_network(desk: Desk) -> None:
    for n in range(3):
        desk.fail(T0 + timedelta(seconds=n), f"2001:db8:1:2::{n + 1:x}")
    with pytest.raises(TooManyAttempts):
        desk.log_in(PASSWORD, T0 + timedelta(seconds=2.5), "2001:db8:1:2:ffff::9")
    assert desk.log_in(PASSWORD, T0 + timedelta(seconds=2.5), "2001:db8:1:3::1")  # next /64


def test_an_ipv4_address_seen_through_ipv6_is_the_same_address(desk: Desk) -> None:
    for n in range(3):
        desk.fail(T0 + timedelta(seconds=n), "203.0.113.9")
    with pytest.raises(TooManyAttempts):
        desk.log_in(PASSWORD, T0 + timedelta(seconds=2.5), "::ffff:203.0.113.9")


def test_only_an_active_account_with_a_password_needs_its_password_checked(desk: Desk) -> None:
    def needs_check(name: str) -> bool:
        return sessions.check_attempt(
            desk.factory, desk.attempts, name, client="10.1.2.3", now=T0, rules=RULES
        )

    admin = Actor("cli:test", Role.ADMIN)
    accounts.add_user(desk.uow, admin, "sso-only", "call_handler")  # no password
    accounts.add_user(desk.uow, admin, "gone", "call_handler", PASSWORD, hasher=desk.hasher)
    accounts.disable_user(desk.uow, admin, "gone")
    assert needs_check("hana") and needs_check(" Hana ")
    assert not any(needs_check(name) for name in ("nobody", "sso-only", "gone", "Not A Name!"))


def test_an_attempt_naming_no_account_is_counted_like_a_wrong_password(desk: Desk) -> None:
    for n in range(3):
        refused = sessions.refuse_unknown(
            desk.factory,
            desk.attempts,
            "nobody",
            client="203.0.113.9",
            now=T0 + timedelta(seconds=n),
            rules=RULES,
        )
        assert refused.message == "the name or password is wrong"
    assert desk.hashes == 0
    assert desk.tags("address:203.0.113.9") == [sessions.THROTTLED]
    with pytest.raises(TooManyAttempts):
        desk.log_in(PASSWORD, T0 + timedelta(seconds=2.5), "203.0.113.9")


def test_an_address_wait_once_read_is_known_until_it_ends(desk: Desk) -> None:
    from controlroom.services import login_limits

    waits = login_limits.AddressWaits()
    for n in range(3):
        desk.fail(T0 + timedelta(seconds=n), "203.0.113.9")
    with pytest.raises(TooManyAttempts):
        sessions.check_attempt(
            desk.factory,
            desk.attempts,
            "hana",
            client="203.0.113.9",
            now=T0 + timedelta(seconds=2.2),
            rules=RULES,
            waits=waits,
        )
    known = login_limits.known_wait(waits, "203.0.113.9", T0 + timedelta(seconds=2.5))
    assert known is not None and known.retry_after == 1
    assert login_limits.known_wait(waits, "203.0.113.9", T0 + timedelta(seconds=3)) is None
    assert login_limits.known_wait(waits, "203.0.113.10", T0 + timedelta(seconds=2.5)) is None
