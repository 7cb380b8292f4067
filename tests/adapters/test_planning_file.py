"""The room-model file (controlroom.room-model/1), the roster file and scenario files: written
and read back unchanged, and every mistake named by the path of its field."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from controlroom.adapters.planning_file import (
    model_from_data,
    model_to_json,
    read_model,
    read_roster,
)
from controlroom.adapters.scenario_file import read_scenario
from controlroom.domain.contacts import Caller, ContactRecord, ProcedureName, State, Timestamps
from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.demo import demo_model
from controlroom.domain.planning.export import model_to_data
from controlroom.domain.planning.from_records import RecordsBuilder
from controlroom.domain.planning.model import Channel
from controlroom.domain.planning.roster import default_roster
from controlroom.domain.planning.scenario import AddHandlers, MoveShare, Surge
from controlroom.domain.triage import Channel as ContactChannel

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "scenario-deflect.toml"


def test_the_demo_model_round_trips_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text(model_to_json(demo_model()))
    assert read_model(path) == demo_model()
    assert json.loads(path.read_text())["format"] == "controlroom.room-model/1"


def test_a_model_from_records_round_trips_with_empirical_quantiles(tmp_path: Path) -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    builder = RecordsBuilder(start, start + timedelta(weeks=1), ZoneInfo("Europe/London"))
    for n in range(60):
        at = start + timedelta(minutes=37 * n)
        stamps = Timestamps(at, at + timedelta(seconds=2), at + timedelta(seconds=60 + n))
        builder.add(
            ContactRecord(
                f"C-{n}",
                ContactChannel.ONE_ZERO_ONE,
                Caller(),
                stamps,
                ProcedureName.NON_EMERGENCY,
                State.CLOSED,
            )
        )
    model = default_roster(builder.build().model)
    kind = model.channel(Channel.NON_EMERGENCY).kinds[0]
    assert kind.handling.kind.value == "empirical" and len(kind.handling.quantiles) == 21
    path = tmp_path / "records.json"
    path.write_text(model_to_json(model))
    assert read_model(path) == model


def _data() -> dict[str, Any]:
    return copy.deepcopy(model_to_data(demo_model()))


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("channels", 0, "arrivals", 12), -1, "channels[0].arrivals[12]: must be ≥ 0"),
        (("channels", 0, "arrivals", 12), "3", "channels[0].arrivals[12]: must be a number"),
        (("channels", 1, "channel"), "sms", "channels[1].channel: must be one of '999', '101'"),
        (("channels", 2, "kinds", 0, "share"), 1.5, "channels[2].kinds[0].share: must be ≤ 1"),
        (("channels", 0, "kinds", 0, "handling", "mean"), 0, "handling.mean: must be > 0"),
        (("channels", 0, "kinds", 0, "handling", "kind"), "gamma", "must be one of"),
        (("channels", 0, "patience"), KeyError, "channels[0].patience: is missing"),
        (("channels", 0, "colour"), "red", "channels[0].colour: is not a known key"),
        (("groups", 1, "roster", 7), 2.5, "groups[1].roster[7]: must be a whole number"),
        (("groups", 0, "skills", 0), "fax", "groups[0].skills[0]: must be one of"),
        (("format",), "controlroom.room-model/2", "format: must be 'controlroom.room-model/1'"),
        (("channels", 0, "arrivals"), [1.0] * 335, "arrivals: has 335 values, not 336"),
        (("channels", 1, "kinds", 0, "share"), 0.9, "channels[101].kinds: shares add up to"),
    ],
)
def test_mistakes_name_the_path_of_the_field(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        model_from_data(_set(_data(), path, value))
    assert message in caught.value.message


def test_a_file_that_is_not_json_says_where(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text('{"format": "controlroom.room-model/1",\n "channels": [}')
    with pytest.raises(InvalidInput) as caught:
        read_model(path)
    assert caught.value.message.startswith(f"{path}: not JSON at line 2, column 15")
    with pytest.raises(InvalidInput) as missing:
        read_model(tmp_path / "none.json")
    assert "cannot read" in missing.value.message


def test_a_roster_file_gives_the_groups(tmp_path: Path) -> None:
    path = tmp_path / "roster.json"
    groups = [{"name": "all", "skills": ["999", "101", "digital"], "roster": [9] * 336}]
    path.write_text(json.dumps({"format": "controlroom.roster/1", "groups": groups}))
    (group,) = read_roster(path)
    assert group.name == "all" and group.roster == (9,) * 336 and len(group.skills) == 3
    path.write_text(json.dumps({"format": "controlroom.roster/1", "groups": [{"name": "x"}]}))
    with pytest.raises(InvalidInput) as caught:
        read_roster(path)
    assert caught.value.message == "groups[0].skills: is missing"


def test_the_documented_example_scenario_reads() -> None:
    scenario = read_scenario(EXAMPLE)
    move, add, surge = scenario.changes
    assert (
        isinstance(move, MoveShare) and move.share == 0.3 and move.target is Channel.NON_EMERGENCY
    )
    assert isinstance(add, AddHandlers) and add.handlers == 2 and len(add.window.intervals()) == 32
    assert isinstance(surge, Surge) and surge.percent == 20


def test_scenario_files_name_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(EXAMPLE.read_text().replace('from = "18:00"', 'from = "18:05"', 1))
    with pytest.raises(InvalidInput) as caught:
        read_scenario(path)
    assert (
        caught.value.message == f"{path}: changes[1].from: '18:05' is not a time on the half hour"
    )
    path.write_text("format = [")
    with pytest.raises(InvalidInput) as broken:
        read_scenario(path)
    assert broken.value.message.startswith(f"{path}: not TOML")
    as_json = tmp_path / "s.json"
    as_json.write_text(
        json.dumps(
            {
                "format": "controlroom.scenario/1",
                "changes": [{"type": "surge", "percent": 10, "from": "00:00", "to": "00:00"}],
            }
        )
    )
    assert isinstance(read_scenario(as_json).changes[0], Surge)
