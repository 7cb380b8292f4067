"""Caller history: sliding windows, the force-local day across midnight and DST, the summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance import WINDOWS, CallSummary, OutcomeKind
from controlroom.domain.nuisance.history import local_day_start
from controlroom.domain.policy import VulnerabilityFlag
from tests.domain.nuisance.helpers import (
    FOREIGN,
    IMEI,
    NEW_NUMBER,
    NOW,
    NUMBER,
    abandoned,
    every,
    genuine,
    history,
    inappropriate,
    silent,
)


def test_windows_count_the_calls_offered_in_each() -> None:
    calls = [
        silent("h-1", NOW - timedelta(minutes=10)),
        silent("h-2", NOW - timedelta(minutes=59)),
        silent("d-1", NOW - timedelta(hours=5)),  # 09:00 local, same day
        abandoned("w-1", NOW - timedelta(days=3)),
        inappropriate("m-1", NOW - timedelta(days=20), terminated=True),
        silent("old", NOW - timedelta(days=31)),
    ]
    h = history(calls)
    assert [h.window(name).calls for name in WINDOWS] == [2, 3, 4, 5]
    assert h.window("last_30_days").terminated == 1
    assert h.window("last_30_days").warned == 1  # a terminated call was warned first
    assert h.window("last_7_days").abandoned == 1
    assert h.today.silent == 3
    assert h.today.outcomes[OutcomeKind.SILENT] == 3
    assert len(h.calls) == 6  # the history keeps every call given, windows count within


def test_the_handler_sees_one_line() -> None:
    calls = [silent(f"s-{i}", at) for i, at in enumerate(every(20, 12))]
    calls += [
        abandoned("a-1", NOW - timedelta(minutes=5)),
        abandoned("a-2", NOW - timedelta(minutes=3)),
    ]
    h = history(calls)
    assert h.summary.startswith("14 calls today, 12 silent, 2 abandoned, none with speech")
    assert "14 calls in 7 days, 14 in 30 days" in h.summary


def test_summary_for_a_quiet_number_and_for_speech() -> None:
    assert history([]).summary == "No calls in the last 30 days"
    old = history([silent("s-1", NOW - timedelta(days=3))])
    assert old.summary.startswith("No calls today")
    spoken = history([genuine("g-1", NOW - timedelta(minutes=5))])
    assert spoken.summary.startswith("1 call today, all with speech")
    assert "1 genuine emergency" in spoken.summary


def test_calls_after_now_are_left_out_and_sorted() -> None:
    calls = [silent("late", NOW + timedelta(minutes=1)), silent("b", NOW - timedelta(minutes=1))]
    calls.append(silent("a", NOW - timedelta(minutes=2)))
    h = history(calls)
    assert [c.contact_id for c in h.calls] == ["a", "b"]
    assert h.intervals == (60.0,)


def test_today_starts_at_local_midnight_in_summer() -> None:
    # 23:30 UTC on 1 July is 00:30 BST on 2 July: a new day has begun locally.
    now = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    calls = [
        silent("before", datetime(2026, 7, 1, 22, 50, tzinfo=UTC)),  # 23:50 BST on 1 July
        silent("after", datetime(2026, 7, 1, 23, 10, tzinfo=UTC)),  # 00:10 BST on 2 July
    ]
    h = history(calls, now)
    assert h.today.calls == 1
    assert h.today.since == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
    assert h.window("last_hour").calls == 2


def test_today_in_winter_is_the_utc_day() -> None:
    now = datetime(2026, 1, 15, 0, 30, tzinfo=UTC)
    h = history([silent("s", datetime(2026, 1, 14, 23, 50, tzinfo=UTC))], now)
    assert h.today.calls == 0
    assert h.window("last_hour").calls == 1


@pytest.mark.parametrize(
    ("now", "start", "hours"),
    [
        # clocks go forward at 01:00 UTC on 29 March 2026: a 23-hour day
        (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), datetime(2026, 3, 29, 0, 0, tzinfo=UTC), 23),
        # clocks go back at 01:00 UTC on 25 October 2026: a 25-hour day
        (datetime(2026, 10, 25, 23, 30, tzinfo=UTC), datetime(2026, 10, 24, 23, 0, tzinfo=UTC), 25),
    ],
)
def test_a_day_with_a_clock_change(now: datetime, start: datetime, hours: int) -> None:
    assert local_day_start(now, "Europe/London") == start
    next_day = local_day_start(start + timedelta(hours=hours, minutes=1), "Europe/London")
    assert next_day - start == timedelta(hours=hours)
    # a call every hour from the start of the local day: all of them are "today"
    calls = [silent(f"s-{i}", start + timedelta(hours=i)) for i in range(hours)]
    calls.append(silent("yesterday", start - timedelta(minutes=1)))
    h = history(calls, start + timedelta(hours=hours) - timedelta(seconds=1))
    assert h.today.calls == hours


def test_withheld_international_and_changed_numbers() -> None:
    calls = [
        silent("w", NOW - timedelta(hours=3), number=None),
        silent("f", NOW - timedelta(hours=2), number=FOREIGN),
        silent("n", NOW - timedelta(hours=1), number=NEW_NUMBER),
        CallSummary("i", NOW - timedelta(minutes=5), OutcomeKind.SILENT, imei=IMEI, silent=True),
    ]
    h = history(calls)
    assert h.withheld == 2
    assert h.numbers == (FOREIGN, NEW_NUMBER)
    assert h.imeis == (IMEI,)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": "07700900123"}, "number"),
        ({"number": "+44 7700 900123"}, "number"),
        ({"imei": "12345"}, "imei"),
        ({"offered_at": datetime(2026, 3, 3, 14, 0)}, "offered_at"),
        ({"ended_at": NOW - timedelta(hours=1)}, "ended_at"),
        ({"silent": True, "speech": True}, "silent"),
        ({"contact_id": ""}, "contact_id"),
        ({"outcome": "hoax"}, "outcome"),
    ],
)
def test_malformed_calls_are_refused(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "contact_id": "c-1",
        "offered_at": NOW,
        "outcome": OutcomeKind.SILENT,
        "number": NUMBER,
    }
    values.update(changes)
    with pytest.raises(InvalidInput) as caught:
        CallSummary(**values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_terminated_call_counts_as_warned_and_duration_is_from_answer() -> None:
    call = inappropriate("t", NOW - timedelta(minutes=10), terminated=True)
    assert call.warned and call.inappropriate
    assert call.duration == timedelta(minutes=2) - timedelta(seconds=3)
    assert abandoned("a", NOW).duration == timedelta(seconds=4)
    assert CallSummary("p", NOW, OutcomeKind.IN_PROGRESS).duration is None


def test_history_input_is_checked() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        history([], tz="Mars/Olympus")
    with pytest.raises(InvalidInput, match="listed twice"):
        history([silent("x", NOW), silent("x", NOW - timedelta(minutes=1))])
    with pytest.raises(InvalidInput):
        history([], now=datetime(2026, 3, 3, 14, 0))
    with pytest.raises(InvalidInput, match="unknown window"):
        history([]).window("fortnight")


def test_vulnerability_flags_are_kept_as_a_set() -> None:
    call = inappropriate("v", NOW, VulnerabilityFlag.MENTAL_HEALTH, VulnerabilityFlag.MENTAL_HEALTH)
    assert call.vulnerability == frozenset({VulnerabilityFlag.MENTAL_HEALTH})


def test_a_stored_summary_is_the_same_value_and_needs_every_field() -> None:
    from dataclasses import asdict

    import pytest

    from controlroom.domain.errors import InvalidInput
    from controlroom.domain.nuisance import CallSummary

    call = silent("C-1", NOW)
    fields = {name: getattr(call, name) for name in asdict(call)}
    assert CallSummary.stored(**fields) == call
    fields.pop("hoax")
    with pytest.raises(InvalidInput, match="every field"):
        CallSummary.stored(**fields)
