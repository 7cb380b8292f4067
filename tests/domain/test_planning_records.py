"""A room model from stored contacts: arrivals per half hour of the week (a mean per week),
kinds by channel and triage route with the §4.12 outcomes, handling times (empirical with
enough samples, else a lognormal), patience from abandoned calls or the stated assumption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from controlroom.domain.contacts import (
    Actor,
    Caller,
    ContactRecord,
    HistoryEntry,
    ProcedureName,
    Role,
    State,
    Timestamps,
)
from controlroom.domain.contacts.records import Incident, WarningGiven
from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.fitting import EMPIRICAL_MIN, handling_from, patience_from
from controlroom.domain.planning.from_records import (
    RecordsBuilder,
    RecordsOptions,
    interval_of,
    planning_channel,
)
from controlroom.domain.planning.model import Channel, DistributionKind, Duration
from controlroom.domain.planning.roster import default_roster
from controlroom.domain.planning.simulation import simulate
from controlroom.domain.planning.summary import summarise
from controlroom.domain.triage import Channel as ContactChannel

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday; GMT, so local time is UTC
END = START + timedelta(weeks=2)
ACTOR = Actor("h", Role.CALL_HANDLER)


def record(
    at: datetime,
    *,
    channel: ContactChannel = ContactChannel.NINE_NINE_NINE,
    wait: float = 3.0,
    handling: float | None = 100.0,
    state: State = State.CLOSED,
    **extra: object,
) -> ContactRecord:
    answered = at + timedelta(seconds=wait)
    stamps = Timestamps(
        offered=at,
        answered=None if state is State.ABANDONED else answered,
        ended=at + timedelta(seconds=wait)
        if state is State.ABANDONED
        else (None if handling is None else answered + timedelta(seconds=handling)),
    )
    return ContactRecord(
        id=f"C-{at.timestamp():.0f}-{wait}",
        channel=channel,
        caller=Caller(),
        timestamps=stamps,
        procedure=ProcedureName.EMERGENCY,
        state=state,
        **extra,  # type: ignore[arg-type]
    )


def inappropriate(at: datetime, **extra: object) -> ContactRecord:
    entry = HistoryEntry(
        2,
        "advise",
        ACTOR,
        at,
        ProcedureName.EMERGENCY,
        State.ASSESSED,  # type: ignore[arg-type]
        ProcedureName.INAPPROPRIATE,
        State.ADVISED,
        {},
    )
    return record(at, history=(entry,), **extra)


def build(records: list[ContactRecord], options: RecordsOptions | None = None):  # type: ignore[no-untyped-def]
    builder = RecordsBuilder(START, END, LONDON)
    for item in records:
        builder.add(item)
    return builder.build(options)


def test_channels_map_onto_three_queues() -> None:
    assert {c.value: planning_channel(c).value for c in ContactChannel} == {
        "999": "999",
        "silent_solution_55": "999",
        "landline_open_line": "999",
        "bsl_999": "999",
        "relay_uk_18000": "999",
        "emergency_sms": "999",
        "101": "101",
        "online_report": "digital",
        "live_chat": "digital",
    }


def test_arrivals_are_a_mean_per_week_by_local_half_hour() -> None:
    monday_9 = START + timedelta(hours=9)
    calls = [record(monday_9 + timedelta(minutes=m)) for m in (1, 5, 20)]  # week one: 3
    calls.append(record(monday_9 + timedelta(weeks=1, minutes=2)))  # week two: 1
    calls.append(record(END + timedelta(minutes=1)))  # after the period: ignored
    arrivals = build(calls).model.channel(Channel.EMERGENCY).arrivals
    assert arrivals[18] == 2.0  # Monday 09:00-09:30, (3 + 1) / 2 weeks
    assert sum(arrivals) == 2.0


def test_british_summer_time_is_local_time() -> None:
    summer = datetime(2026, 7, 6, 8, 10, tzinfo=UTC)  # a Monday, 09:10 in London
    assert interval_of(summer, LONDON) == 18


def test_kinds_shares_and_the_genuine_emergencies() -> None:
    at = START + timedelta(hours=20)
    incident = Incident("immediate", False, "", ACTOR, at)
    calls = [
        record(at, incident=incident),
        record(at + timedelta(minutes=1), incident=incident),
        inappropriate(at + timedelta(minutes=2)),
        inappropriate(at + timedelta(minutes=3), warning=WarningGiven(ACTOR, at)),
        inappropriate(at + timedelta(minutes=4), state=State.TERMINATED),
        record(at + timedelta(minutes=5), channel=ContactChannel.SILENT_SOLUTION_55),
        record(at + timedelta(minutes=6), state=State.ABANDONED),  # no kind: never answered
        record(at + timedelta(minutes=7), channel=ContactChannel.ONLINE_REPORT),
    ]
    found = build(calls)
    nine = next(c for c in found.channels if c.channel is Channel.EMERGENCY)
    assert (nine.offered, nine.answered, nine.abandoned) == (7, 6, 1)
    assert (nine.genuine_emergencies, nine.inappropriate) == (2, 3)
    shares = {kind.name: kind.share for kind in nine.kinds}
    assert shares == {
        "emergency": 2 / 6,
        "inappropriate_advised": 1 / 6,
        "inappropriate_terminated": 1 / 6,
        "inappropriate_warned": 1 / 6,
        "silent": 1 / 6,
    }
    kinds = {k.name: k for k in found.model.channel(Channel.EMERGENCY).kinds}
    assert kinds["inappropriate_warned"].inappropriate and kinds["emergency"].genuine_emergency
    digital = found.model.channel(Channel.DIGITAL)
    assert [k.name for k in digital.kinds] == ["no_triage"]


def test_handling_is_empirical_with_enough_samples_else_lognormal() -> None:
    many = [float(value) for value in range(1, EMPIRICAL_MIN + 1)]
    empirical = handling_from(many)
    assert empirical is not None and empirical.kind is DistributionKind.EMPIRICAL
    assert empirical.quantiles[0] == 1.0 and empirical.quantiles[-1] == float(EMPIRICAL_MIN)
    assert empirical.quantiles[10] == pytest.approx((1 + EMPIRICAL_MIN) / 2)
    few = handling_from(many[: EMPIRICAL_MIN - 1])
    assert few is not None and few.kind is DistributionKind.LOGNORMAL
    assert few.mean == pytest.approx(EMPIRICAL_MIN / 2) and few.sd > 0
    assert handling_from([]) is None


def test_handling_times_come_from_answer_to_end() -> None:
    at = START + timedelta(hours=10)
    calls = [record(at + timedelta(minutes=n), handling=60.0 + n) for n in range(3)]
    kind = build(calls).model.channel(Channel.EMERGENCY).kinds[0]
    assert kind.handling.kind is DistributionKind.LOGNORMAL
    assert kind.handling.mean == pytest.approx(61.0)


def test_patience_from_abandoned_calls_counts_the_answered_waits_too() -> None:
    # five gave up after 20 s; ten were answered after 5 s: (100 + 50) / 5 = 30 s
    patience = patience_from([20.0] * 5, [5.0] * 10)
    assert patience == Duration(DistributionKind.EXPONENTIAL, 30.0)
    assert patience_from([20.0] * 4, [5.0] * 10) is None


def test_patience_is_assumed_and_said_so_without_enough_abandoned_calls() -> None:
    at = START + timedelta(hours=10)
    options = RecordsOptions(patience={Channel.EMERGENCY: None, Channel.NON_EMERGENCY: None})
    found = build([record(at, state=State.ABANDONED)], options)
    nine = next(c for c in found.channels if c.channel is Channel.EMERGENCY)
    assert nine.patience is None
    assert nine.patience_from == "assumed (nobody abandons): fewer than 5 abandoned contacts"
    default = build([record(at, state=State.ABANDONED)])
    assert default.model.channel(Channel.EMERGENCY).patience == Duration(
        DistributionKind.EXPONENTIAL, 180.0
    )
    assert "999 patience: assumed (mean 180 s)" in default.model.notes[0]


def test_a_channel_without_contacts_has_a_default_kind() -> None:
    found = build([])
    digital = found.model.channel(Channel.DIGITAL)
    assert sum(digital.arrivals) == 0
    assert [(k.name, k.share) for k in digital.kinds] == [("unknown", 1.0)]
    assert found.model.source == "records 2026-11-02 to 2026-11-15 (0 contacts, 2.0 weeks)"


def test_a_period_shorter_than_a_week_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        RecordsBuilder(START, START + timedelta(days=6), LONDON)
    assert "at least 7 days" in caught.value.message


def test_open_contacts_count_as_arrivals_without_a_handling_sample() -> None:
    at = START + timedelta(hours=10)
    found = build([record(at, handling=None, state=State.ANSWERED), record(at, wait=4.0)])
    nine = next(c for c in found.channels if c.channel is Channel.EMERGENCY)
    assert (nine.offered, nine.answered) == (2, 2)
    assert nine.kinds[0].samples == 1


def test_a_model_from_records_staffs_and_simulates() -> None:
    at = START + timedelta(hours=9)
    calls = [
        record(at + timedelta(minutes=7 * n), channel=ContactChannel.ONE_ZERO_ONE, handling=60 + n)
        for n in range(120)
    ]
    model = default_roster(build(calls).model)
    kind = model.channel(Channel.NON_EMERGENCY).kinds[0]
    assert kind.handling.kind is DistributionKind.EMPIRICAL
    needed = sum(model.groups[1].roster)
    assert model.groups[1].name == "101 handlers" and needed > 0
    result = simulate(model, weeks=20, seed=1)
    offered = sum(row.offered for row in result.for_channel(Channel.NON_EMERGENCY))
    assert offered == pytest.approx(20 * 60, rel=0.1)  # 120 calls in two weeks: 60 a week
    summary = summarise(model, result)
    level = summary.channel(Channel.NON_EMERGENCY)
    assert level is not None and level.meets_standard  # staffed by the calculator
