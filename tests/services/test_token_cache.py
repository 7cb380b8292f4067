"""Tokens found good are trusted for a short time, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlroom.domain.access import Principal, Unauthenticated
from controlroom.domain.contacts import Role
from controlroom.services.token_cache import CheckedTokens

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
PBX = Principal("pbx", Role.INTEGRATION, token_id="abc")


def test_a_good_token_is_trusted_for_the_trust_time_only() -> None:
    checked = CheckedTokens(trust_seconds=2)
    checked.put("cr_abc_secret", PBX, T0)
    assert checked.get("cr_abc_secret", T0 + timedelta(seconds=1.9)) == PBX
    assert checked.get("cr_abc_secret", T0 + timedelta(seconds=2)) is None
    assert checked.get("cr_abc_secret", T0 + timedelta(seconds=1)) is None  # forgotten


def test_only_the_same_token_matches_and_none_never_does() -> None:
    checked = CheckedTokens()
    checked.put("cr_abc_secret", PBX, T0)
    assert checked.get("cr_abc_secreT", T0) is None
    assert checked.get(None, T0) is None
    assert checked.get("", T0) is None


def test_a_clock_going_back_is_not_trusted() -> None:
    checked = CheckedTokens(trust_seconds=2)
    checked.put("cr_abc_secret", PBX, T0)
    assert checked.get("cr_abc_secret", T0 - timedelta(seconds=1)) is None


def test_no_trust_time_trusts_nothing() -> None:
    checked = CheckedTokens(trust_seconds=0)
    checked.put("cr_abc_secret", PBX, T0)
    assert checked.get("cr_abc_secret", T0) is None


def test_the_oldest_tokens_are_dropped_beyond_the_limit() -> None:
    checked = CheckedTokens(max_tokens=2)
    for n in range(3):
        checked.put(f"cr_{n}_secret", PBX, T0)
    assert checked.get("cr_0_secret", T0) is None
    assert checked.get("cr_1_secret", T0) == PBX and checked.get("cr_2_secret", T0) == PBX


def test_a_refused_token_is_refused_again_for_the_trust_time_only() -> None:
    checked = CheckedTokens(trust_seconds=2)
    reason = Unauthenticated("the token is not valid", hint="it may be revoked")
    checked.refuse("cr_abc_wrong", reason, T0)
    again = checked.refusal("cr_abc_wrong", T0 + timedelta(seconds=1.9))
    assert again is not None and (again.message, again.hint) == (reason.message, reason.hint)
    assert checked.get("cr_abc_wrong", T0 + timedelta(seconds=1)) is None  # never a principal
    assert checked.refusal("cr_abc_wrong", T0 + timedelta(seconds=2)) is None
    assert checked.refusal(None, T0) is None
