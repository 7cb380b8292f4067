"""The outbox's rules: the transition table, backoff and parking, and signatures."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlroom.domain.errors import InvalidInput
from controlroom.domain.outbox import (
    TRANSITIONS,
    IllegalTransition,
    MessageEvent,
    MessageState,
    RetryPolicy,
    signature,
    transition,
    verify_signature,
)

S, E = MessageState, MessageEvent
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_the_transition_table_is_the_documented_life_of_a_message() -> None:
    assert dict(TRANSITIONS) == {
        (S.PENDING, E.CLAIM): S.DELIVERING,
        (S.DELIVERING, E.CLAIM): S.DELIVERING,
        (S.DELIVERING, E.SUCCEED): S.DELIVERED,
        (S.DELIVERING, E.FAIL): S.PENDING,
        (S.DELIVERING, E.PARK): S.PARKED,
        (S.PARKED, E.RETRY): S.PENDING,
    }


@pytest.mark.parametrize("event", list(MessageEvent))
def test_delivered_is_final(event: MessageEvent) -> None:
    with pytest.raises(IllegalTransition) as refused:
        transition(S.DELIVERED, event)
    assert "delivered" in refused.value.message and refused.value.hint


@pytest.mark.parametrize("state", [S.PENDING, S.DELIVERING, S.DELIVERED])
def test_only_a_parked_message_can_be_retried(state: MessageState) -> None:
    with pytest.raises(IllegalTransition):
        transition(state, E.RETRY)
    assert transition(S.PARKED, E.RETRY) is S.PENDING


def test_backoff_doubles_from_the_base_up_to_the_longest_wait() -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=2, max_seconds=60)
    waits = [policy.delay(n, jitter=0.999999).total_seconds() for n in range(1, 8)]
    assert [round(w) for w in waits] == [2, 4, 8, 16, 32, 60, 60]
    assert policy.delay(3, jitter=0).total_seconds() == 4  # half of 8: jitter spreads retries


def test_a_failure_is_retried_later_until_the_limit_then_parked() -> None:
    policy = RetryPolicy(max_attempts=3, base_seconds=1, max_seconds=10)
    assert policy.after_failure(1, T0, 0.5) == (S.PENDING, T0 + timedelta(seconds=0.75))
    assert policy.after_failure(2, T0, 0.5)[0] is S.PENDING
    assert policy.after_failure(3, T0, 0.5) == (S.PARKED, None)


@given(
    limit=st.integers(1, 20),
    outcomes=st.lists(st.booleans(), min_size=1, max_size=60),
    jitters=st.lists(st.floats(0, 1, exclude_max=True), min_size=60, max_size=60),
)
def test_attempts_never_exceed_the_limit_and_delivered_stays_delivered(
    limit: int, outcomes: list[bool], jitters: list[float]
) -> None:
    """Drive one message through any run of successes and failures (a supervisor retrying
    whenever it is parked): it is never attempted more than the limit between retries, waits
    grow never shorter than half the base, and once delivered nothing moves it."""
    policy = RetryPolicy(max_attempts=limit, base_seconds=1, max_seconds=30)
    state, attempts, now = S.PENDING, 0, T0
    for succeeded, jitter in zip(outcomes, jitters, strict=False):
        if state is S.DELIVERED:
            for event in MessageEvent:
                with pytest.raises(IllegalTransition):
                    transition(state, event)
            continue
        if state is S.PARKED:
            state, attempts = transition(state, E.RETRY), 0
        state, attempts = transition(state, E.CLAIM), attempts + 1
        assert attempts <= limit
        if succeeded:
            state = transition(state, E.SUCCEED)
            continue
        state, due = policy.after_failure(attempts, now, jitter)
        if state is S.PARKED:
            assert attempts == limit and due is None
        else:
            assert due is not None and timedelta(seconds=0.5) <= due - now <= timedelta(seconds=30)


def test_a_policy_that_cannot_work_is_refused() -> None:
    with pytest.raises(InvalidInput):
        RetryPolicy(max_attempts=0)
    with pytest.raises(InvalidInput):
        RetryPolicy(base_seconds=100, max_seconds=10)


def test_a_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    body = b'{"schema":"controlroom.incident/1"}'
    header = signature("s3cret", 1_765_000_000, body)
    expected = hmac.new(b"s3cret", b"1765000000." + body, hashlib.sha256).hexdigest()
    assert header == f"v1={expected}"
    assert verify_signature("s3cret", "1765000000", body, header, now=1_765_000_100) is None


def test_a_receiver_refuses_tampering_a_wrong_key_and_a_replay() -> None:
    body, at = b'{"a":1}', 1_765_000_000
    header = signature("s3cret", at, body)
    assert verify_signature("s3cret", str(at), b'{"a":2}', header, now=at) == (
        "signature does not match"
    )
    assert verify_signature("other", str(at), body, header, now=at) == "signature does not match"
    replay = verify_signature("s3cret", str(at), body, header, now=at + 301)
    assert replay is not None and "tolerance" in replay
    assert verify_signature("s3cret", "soon", body, header, now=at) is not None
    # a signature for another timestamp does not carry over
    assert verify_signature("s3cret", str(at + 1), body, header, now=at) is not None
