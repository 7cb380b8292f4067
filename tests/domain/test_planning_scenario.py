"""Scenarios are data: windows of the week (crossing midnight, chosen days), each change
applied to a model giving a new one, and clear errors naming the bad field."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.demo import demo_model
from controlroom.domain.planning.model import Channel, DistributionKind, Duration, RoomModel
from controlroom.domain.planning.scenario import (
    AddHandlers,
    MoveShare,
    Scenario,
    Surge,
    apply_scenario,
)
from controlroom.domain.planning.scenario_data import scenario_from_data
from controlroom.domain.planning.week import parse_window

FRI, SAT, SUN = 4 * 48, 5 * 48, 6 * 48


@pytest.mark.parametrize(
    ("days", "start", "end", "expected"),
    [
        ("fri", "18:00", "02:00", [*range(FRI + 36, FRI + 48), *range(SAT, SAT + 4)]),
        ("sun", "23:00", "01:00", [0, 1, SUN + 46, SUN + 47]),  # Sunday night runs into Monday
        (["Monday"], "09:30", "10:30", [19, 20]),
        ("weekend", "00:00", "00:00", list(range(SAT, SAT + 96))),  # a whole day each
        ("all", "12:00", "12:30", [day * 48 + 24 for day in range(7)]),
        ("sat", "22:00", "24:00", [SAT + 44, SAT + 45, SAT + 46, SAT + 47]),
    ],
)
def test_windows_of_the_week(days: Any, start: str, end: str, expected: list[int]) -> None:
    assert list(parse_window(days, start, end).intervals()) == sorted(expected)


@pytest.mark.parametrize(
    ("days", "start", "end", "message"),
    [
        ("caturday", "18:00", "02:00", "days[0]: 'caturday' is not a day"),
        ([], "18:00", "02:00", "days: give at least one day"),
        ("fri", "18:15", "02:00", "from: '18:15' is not a time on the half hour"),
        ("fri", "18:00", "25:00", "to: '25:00' is not a time on the half hour"),
        ("fri", "six", "02:00", "from: 'six' is not a time on the half hour"),
    ],
)
def test_bad_windows_are_named(days: Any, start: str, end: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_window(days, start, end)
    assert caught.value.message == message


def _weekly(model: RoomModel, channel: Channel) -> float:
    return sum(model.channel(channel).arrivals)


def _share(model: RoomModel, channel: Channel, name: str) -> float:
    return next(k.share for k in model.channel(channel).kinds if k.name == name)


def test_moving_inappropriate_999_calls_to_101() -> None:
    model = demo_model()
    wrong = sum(k.share for k in model.channel(Channel.EMERGENCY).kinds if k.inappropriate)
    moved = apply_scenario(model, Scenario("deflect", (MoveShare(0.3, Channel.NON_EMERGENCY),)))
    gone = 0.3 * wrong * _weekly(model, Channel.EMERGENCY)
    assert _weekly(moved, Channel.EMERGENCY) == pytest.approx(
        _weekly(model, Channel.EMERGENCY) - gone
    )
    assert _weekly(moved, Channel.NON_EMERGENCY) == pytest.approx(
        _weekly(model, Channel.NON_EMERGENCY) + gone
    )
    # the genuine emergencies are all still there: their share rose as the others fell
    genuine = _share(model, Channel.EMERGENCY, "emergency") * _weekly(model, Channel.EMERGENCY)
    assert _share(moved, Channel.EMERGENCY, "emergency") * _weekly(
        moved, Channel.EMERGENCY
    ) == pytest.approx(genuine)
    new = next(k for k in moved.channel(Channel.NON_EMERGENCY).kinds if k.name == "moved_from_999")
    assert not new.inappropriate
    police = next(
        k for k in model.channel(Channel.NON_EMERGENCY).kinds if k.name == "police_non_emergency"
    )
    assert new.handling == police.handling  # 101's handling time for that kind
    assert new.share * _weekly(moved, Channel.NON_EMERGENCY) == pytest.approx(gone)
    assert moved.notes[-1] == "scenario deflect: move 30% of inappropriate 999 to 101"
    assert model == demo_model()  # the baseline is untouched


def test_moved_calls_can_take_a_stated_handling_time() -> None:
    stated = Duration(DistributionKind.EXPONENTIAL, 90.0)
    change = MoveShare(0.5, Channel.DIGITAL, handling=stated)
    moved = apply_scenario(demo_model(), Scenario("online", (change,)))
    kind = next(k for k in moved.channel(Channel.DIGITAL).kinds if k.name == "moved_from_999")
    assert kind.handling == stated


def test_adding_handlers_across_midnight_on_chosen_days() -> None:
    model = demo_model()
    window = parse_window(["fri", "sat"], "18:00", "02:00")
    changed = apply_scenario(model, Scenario("nights", (AddHandlers(2, window),)))
    before, after = model.groups[0].roster, changed.groups[0].roster
    added = [i for i in range(336) if after[i] != before[i]]
    assert added == list(window.intervals())
    assert all(after[i] - before[i] == 2 for i in added)
    assert len(added) == 2 * 16  # 8 hours, two nights
    assert FRI + 36 in added and SAT + 3 in added and SUN + 3 in added and SAT + 4 not in added
    assert changed.groups[1:] == model.groups[1:]


def test_a_surge_on_saturday_night() -> None:
    model = demo_model()
    window = parse_window("sat", "18:00", "04:00")
    changed = apply_scenario(model, Scenario("surge", (Surge(20, window),)))
    inside = set(window.intervals())
    for channel in model.channels:
        new = changed.channel(channel.channel).arrivals
        for index, value in enumerate(channel.arrivals):
            expected = value * 1.2 if index in inside else value
            assert new[index] == pytest.approx(expected)


def test_a_scenario_file_holds_several_changes_applied_in_order() -> None:
    raw = {
        "format": "controlroom.scenario/1",
        "name": "all three",
        "changes": [
            {"type": "move", "percent": 30, "to": "101"},
            {
                "type": "add_handlers",
                "handlers": 2,
                "days": ["fri"],
                "from": "18:00",
                "to": "02:00",
            },
            {
                "type": "surge",
                "percent": 20,
                "days": "sat",
                "from": "18:00",
                "to": "04:00",
                "channels": ["999"],
            },
        ],
    }
    scenario = scenario_from_data(raw)
    assert [type(change) for change in scenario.changes] == [MoveShare, AddHandlers, Surge]
    changed = apply_scenario(demo_model(), scenario)
    assert changed.notes[-1] == (
        "scenario all three: move 30% of inappropriate 999 to 101; add 2 handlers fri "
        "18:00-02:00; a 20% surge sat 18:00-04:00"
    )
    model = demo_model()
    assert changed.channel(Channel.DIGITAL) == model.channel(Channel.DIGITAL)  # 999 only


BASE: dict[str, Any] = {"format": "controlroom.scenario/1", "name": "x"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([{"type": "moves", "share": 0.3}], "changes[0].type: 'moves' is not a change"),
        ([{"type": "move", "share": 1.3, "to": "101"}], "changes[0].share: must be between"),
        ([{"type": "move", "share": 0.3, "percent": 30, "to": "101"}], "not both"),
        ([{"type": "move", "share": 0.3}], "changes[0].to: is missing"),
        ([{"type": "move", "share": 0.3, "to": "sms"}], "changes[0].to: 'sms' is not a channel"),
        ([{"type": "move", "share": "a third", "to": "101"}], "changes[0].share: must be a number"),
        (
            [
                {"type": "surge", "percent": 20, "from": "18:00", "to": "02:00"},
                {"type": "add_handlers", "handlers": 1.5, "from": "18:00", "to": "02:00"},
            ],
            "changes[1].handlers: must be a whole number other than 0",
        ),
        (
            [{"type": "add_handlers", "handlers": 2, "from": "18:10", "to": "02:00"}],
            "changes[0].from: '18:10' is not a time on the half hour",
        ),
        (
            [
                {
                    "type": "add_handlers",
                    "handlers": 2,
                    "days": ["fri", "sab"],
                    "from": "18:00",
                    "to": "02:00",
                }
            ],
            "changes[0].days[1]: 'sab' is not a day",
        ),
        ([{"type": "surge", "percent": 20, "from": "18:00"}], "changes[0].to: is missing"),
        ([{"type": "surge", "percent": -120, "from": "1:00", "to": "2:00"}], "from -100 to"),
        ([{"type": "surge", "percent": 20, "when": "sat"}], "changes[0].when: is not a known key"),
        ([], "changes: give at least one change"),
    ],
)
def test_bad_scenarios_name_the_field(changes: list[Any], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        scenario_from_data(BASE | {"changes": changes})
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (MoveShare(0.3, Channel.NON_EMERGENCY, as_kind="gossip"), "has no kind 'gossip'"),
        (MoveShare(0.3, Channel.EMERGENCY), "changes[0].to: must differ from from"),
        (
            AddHandlers(2, parse_window("fri", "18:00", "02:00"), group="night shift"),
            "changes[0].group: no handler group 'night shift'",
        ),
        (
            AddHandlers(-50, parse_window("fri", "18:00", "02:00")),
            "changes[0].handlers: leaves -4",
        ),
    ],
)
def test_changes_that_do_not_fit_the_model(change: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_scenario(demo_model(), Scenario("x", (change,)))
    assert message in caught.value.message


def test_a_model_without_the_target_channel_is_refused() -> None:
    model = demo_model()
    without = replace(model, channels=model.channels[:2])
    with pytest.raises(InvalidInput) as caught:
        apply_scenario(without, Scenario("x", (MoveShare(0.3, Channel.DIGITAL),)))
    assert caught.value.message.startswith("changes[0].to: the model has no digital channel")
