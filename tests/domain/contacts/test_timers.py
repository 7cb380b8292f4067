"""Timers: answer targets, the landline window and relay allowances."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from controlroom.domain.contacts.timers import (
    ANSWER_TARGET,
    LANDLINE_RECONNECT_WINDOW,
    AnswerBand,
    RelayAllowance,
    answer_band,
    answer_delay,
    answer_due,
    answer_overdue,
    reconnect_deadline,
    relay_allowance,
    reply_due,
    reply_overdue,
    reply_wait,
    within_reconnect_window,
)
from controlroom.domain.errors import InvalidInput
from controlroom.domain.triage.decision import Channel
from tests.domain.contacts.helpers import START

S = timedelta(seconds=1)
EMERGENCY_LINES = [channel for channel in Channel if channel.is_emergency_line]


def test_defaults_match_the_reference_notes() -> None:
    assert ANSWER_TARGET == 10 * S
    assert LANDLINE_RECONNECT_WINDOW == 45 * S


@pytest.mark.parametrize(
    ("seconds", "band"),
    [
        (0, AnswerBand.UNDER_10_S),
        (9.9, AnswerBand.UNDER_10_S),
        (10, AnswerBand.UNDER_60_S),
        (59.9, AnswerBand.UNDER_60_S),
        (60, AnswerBand.OVER_60_S),
        (300, AnswerBand.OVER_60_S),
    ],
)
def test_answer_band(seconds: float, band: AnswerBand) -> None:
    assert answer_band(timedelta(seconds=seconds)) is band


def test_answer_delay_and_its_checks() -> None:
    assert answer_delay(START, START + 7 * S) == 7 * S
    with pytest.raises(InvalidInput):
        answer_delay(START, START - S)
    with pytest.raises(InvalidInput):
        answer_band(-S)
    with pytest.raises(InvalidInput):
        answer_delay(datetime(2026, 1, 1), START)


@pytest.mark.parametrize("channel", EMERGENCY_LINES)
def test_every_route_into_999_has_the_voice_answer_target(channel: Channel) -> None:
    assert answer_due(START, channel) == START + 10 * S
    assert not answer_overdue(START, START + 10 * S, channel)
    assert answer_overdue(START, START + 11 * S, channel)


def test_non_emergency_answer_targets_are_the_forces_own() -> None:
    assert answer_due(START, Channel.ONE_ZERO_ONE) is None
    assert not answer_overdue(START, START + timedelta(hours=1), Channel.ONE_ZERO_ONE)
    targets = {Channel.ONE_ZERO_ONE: timedelta(minutes=3)}
    assert answer_due(START, Channel.ONE_ZERO_ONE, targets=targets) == START + timedelta(minutes=3)


@pytest.mark.parametrize(
    ("seconds", "inside"), [(-1, False), (0, True), (30, True), (45, True), (45.5, False)]
)
def test_reconnect_window(seconds: float, inside: bool) -> None:
    assert within_reconnect_window(START, START + timedelta(seconds=seconds)) is inside
    assert reconnect_deadline(START) == START + 45 * S


def test_reconnect_window_is_a_parameter() -> None:
    assert within_reconnect_window(START, START + 50 * S, window=60 * S)


def test_voice_and_text_channels_have_no_relay_allowance() -> None:
    for channel in (Channel.NINE_NINE_NINE, Channel.LIVE_CHAT, Channel.SILENT_SOLUTION_55):
        assert relay_allowance(channel) == RelayAllowance()
        assert reply_wait(channel) == 30 * S


def test_relay_channels_wait_longer_for_replies() -> None:
    assert reply_wait(Channel.BSL_999) == 60 * S
    assert reply_wait(Channel.RELAY_UK_18000) == 90 * S
    assert reply_wait(Channel.EMERGENCY_SMS) == timedelta(minutes=2)
    assert reply_wait(Channel.EMERGENCY_SMS, exchanges=3) == timedelta(minutes=6)
    assert reply_wait(Channel.EMERGENCY_SMS, base=timedelta(minutes=5)) == timedelta(minutes=5)


def test_relay_allowances_are_parameters() -> None:
    allowances = {Channel.RELAY_UK_18000: RelayAllowance(multiplier=5.0)}
    assert reply_wait(Channel.RELAY_UK_18000, allowances=allowances) == 150 * S
    assert reply_wait(Channel.EMERGENCY_SMS, allowances=allowances) == 30 * S


def test_reply_due_and_overdue() -> None:
    assert reply_due(START, Channel.EMERGENCY_SMS) == START + timedelta(minutes=2)
    assert not reply_overdue(START, START + 100 * S, Channel.EMERGENCY_SMS)
    assert reply_overdue(START, START + 100 * S, Channel.NINE_NINE_NINE)


def test_bad_allowances_and_waits_are_refused() -> None:
    with pytest.raises(InvalidInput):
        RelayAllowance(multiplier=0.5)
    with pytest.raises(InvalidInput):
        RelayAllowance(per_exchange=-S)
    with pytest.raises(InvalidInput):
        reply_wait(Channel.BSL_999, exchanges=0)
    with pytest.raises(InvalidInput):
        reply_wait(Channel.BSL_999, base=-S)
