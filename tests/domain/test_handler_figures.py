"""Each handler's figures and the 101 service level, from contacts (table-driven)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from controlroom.domain.contacts import (
    Actor,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Caller,
    Contact,
    ContactRecord,
    HangUp,
    LogIncident,
    Role,
    Terminate,
    Warn,
)
from controlroom.domain.handler_figures import handler_figures, handler_of, median, percentile
from controlroom.domain.policy import Policy, ServiceLevel
from controlroom.domain.room_figures import room_figures
from controlroom.domain.triage import Channel
from tests.domain.contacts.helpers import considerations

T0 = datetime(2026, 1, 23, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
ALICE = Actor("alice", Role.CALL_HANDLER)
BOB = Actor("bob", Role.CALL_HANDLER)

#: The §4.12 steps after the 4.12.3 assessment, by name.
STEPS = {
    "advise": (Advise(AdviceKind.CALL_101),),
    "warn": (Advise(AdviceKind.CALL_101), Warn()),
    "terminate": (Advise(AdviceKind.CALL_101), Warn(), Terminate()),
    "log": (Advise(AdviceKind.CALL_101), LogIncident(grade="scheduled", reason="burglary")),
}


def contact(
    policy: Policy,
    n: int,
    *,
    wait: float | None,
    by: Actor = ALICE,
    channel: Channel = Channel.NINE_NINE_NINE,
    path: str = "",
) -> ContactRecord:
    """A contact answered by ``by`` after ``wait`` seconds (abandoned when None), taken down
    the §4.12 ``path`` when given."""
    made, _ = Contact.offer(
        contact_id=f"C-20260123-{n:010x}",
        channel=channel,
        caller=Caller(number="+447700900001"),
        actor=by,
        now=T0,
        policy=policy,
    )
    if wait is None:
        made.apply(HangUp(), actor=by, now=T0 + timedelta(seconds=30), policy=policy)
        return made.record
    at = T0 + timedelta(seconds=wait)
    actions: tuple[object, ...] = (Answer(),)
    if path:
        assess = Assess(grade="resolution_without_deployment")
        actions += (assess, considerations(), *STEPS[path])
    for action in actions:
        made.apply(action, actor=by, now=at, policy=policy)  # type: ignore[arg-type]
        at += timedelta(seconds=5)
    return made.record


@pytest.mark.parametrize(
    ("values", "expected_median", "expected_p90"),
    [
        ([], None, None),
        ([7.0], 7.0, 7.0),
        ([4.0, 2.0], 3.0, 4.0),
        ([1.0, 2.0, 3.0], 2.0, 3.0),
        ([float(n) for n in range(1, 11)], 5.5, 9.0),  # rank ceil(0.9 * 10) = 9
        ([float(n) for n in range(1, 21)], 10.5, 18.0),
        ([30.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 6.0, 10.0),
    ],
)
def test_median_and_nearest_rank_percentile(
    values: list[float], expected_median: float | None, expected_p90: float | None
) -> None:
    assert median(values) == expected_median
    assert percentile(values, 90) == expected_p90


def test_a_percentile_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 100"):
        percentile([1.0], 101)


@dataclass(frozen=True)
class Case:
    name: str
    made: list[dict[str, object]]
    #: handler -> (contacts, median, p90, inappropriate, advised, warned, terminated, logged)
    expected: dict[str, tuple[object, ...]]


CASES = [
    Case("nobody answered", [{"wait": None}], {}),
    Case(
        "one handler, answer times",
        [{"wait": 2}, {"wait": 4}, {"wait": 30}],
        {"alice": (3, 4.0, 30.0, 0, 0, 0, 0, 0)},
    ),
    Case(
        "two handlers apart",
        [{"wait": 2}, {"wait": 8, "by": BOB}, {"wait": 12, "by": BOB}],
        {"alice": (1, 2.0, 2.0, 0, 0, 0, 0, 0), "bob": (2, 10.0, 12.0, 0, 0, 0, 0, 0)},
    ),
    Case(
        "each step of 4.12 counts every step reached",
        [
            {"wait": 1, "path": "advise"},
            {"wait": 1, "path": "warn"},
            {"wait": 1, "path": "terminate"},
            {"wait": 1, "path": "log", "by": BOB},
        ],
        {"alice": (3, 1.0, 1.0, 3, 3, 2, 1, 0), "bob": (1, 1.0, 1.0, 1, 1, 0, 0, 1)},
    ),
    Case(
        "an online report is handled, but its wait is no answer time",
        [
            {"wait": 3600, "channel": Channel.ONLINE_REPORT},
            {"wait": 5, "channel": Channel.LIVE_CHAT},
        ],
        {"alice": (2, 5.0, 5.0, 0, 0, 0, 0, 0)},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_handler_figures(policy: Policy, case: Case) -> None:
    records = [
        contact(policy, n, **made)  # type: ignore[arg-type]
        for n, made in enumerate(case.made, start=1)
    ]
    found = {
        item.handler: (
            item.contacts,
            item.median_answer_seconds,
            item.p90_answer_seconds,
            item.inappropriate,
            item.advised,
            item.warned,
            item.terminated,
            item.logged,
        )
        for item in handler_figures(records)
    }
    assert found == case.expected
    assert [item.handler for item in handler_figures(records)] == sorted(case.expected)


def test_the_handler_is_who_answered(policy: Policy) -> None:
    assert handler_of(contact(policy, 1, wait=3, by=BOB)) == "bob"
    assert handler_of(contact(policy, 2, wait=None)) is None


@pytest.mark.parametrize(
    ("level", "waits", "expected"),
    [
        # (within, answered, abandoned, share, meets the standard)
        (ServiceLevel(60, 80), [], (0, 0, 0, None, None)),
        (ServiceLevel(60, 80), [5, 59.9, 60, None], (2, 3, 1, 2 / 3, False)),
        (ServiceLevel(60, 50), [5, 59.9, 60], (2, 3, 0, 2 / 3, True)),
        (ServiceLevel(10, 80), [5, 20, 30, 40], (1, 4, 0, 0.25, False)),
        (ServiceLevel(120, 100), [5, 119], (2, 2, 0, 1.0, True)),
    ],
)
def test_the_101_service_level_against_the_policy_target(
    policy: Policy,
    level: ServiceLevel,
    waits: list[float | None],
    expected: tuple[object, ...],
) -> None:
    records = [
        contact(policy, n, wait=wait, channel=Channel.ONE_ZERO_ONE)
        for n, wait in enumerate(waits, start=1)
    ]
    records.append(contact(policy, 99, wait=50))  # a 999 call: not on the 101 line
    figures = room_figures(
        records, start=T0, end=T0 + timedelta(hours=1), zone=LONDON, level_101=level
    )
    line = figures.line_101
    assert (line.within, line.answered, line.abandoned, line.share, line.meets_standard) == (
        expected
    )
    assert line.calls == len(waits)
    assert figures.within_target == 0 and figures.answered_999 == 1  # 999's own target


def test_room_figures_carry_each_handlers_figures(policy: Policy) -> None:
    records = [contact(policy, 1, wait=3), *(contact(policy, n, wait=n, by=BOB) for n in (2, 6))]
    hour = timedelta(hours=1)
    figures = room_figures(records, start=T0, end=T0 + hour, zone=LONDON)
    assert [(h.handler, h.contacts) for h in figures.handlers] == [("alice", 1), ("bob", 2)]
    later = room_figures(records, start=T0 + hour, end=T0 + 2 * hour, zone=LONDON)
    assert later.handlers == []  # contacts offered outside the period are no one's figures
