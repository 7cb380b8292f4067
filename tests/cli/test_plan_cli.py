"""``controlroom plan``: a model from the records, shown and saved; runs of a scenario beside
the baseline with CSV and JSON out; the handlers needed; clear errors for bad input."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from controlroom.bootstrap import uow_factory
from controlroom.cli import main
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from tests.planning_support import store_call

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "scenario-deflect.toml"


def run(*args: str, url: str | None = None) -> tuple[int, str, str]:
    env = {} if url is None else {"CONTROLROOM_DATABASE_URL": url}
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def figure(out: str, label: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.startswith(label))
    return line[len(label) :].split()


def test_a_scenario_beside_the_baseline_with_csv_and_json(tmp_path: Path) -> None:
    csv_path, json_path = tmp_path / "plan.csv", tmp_path / "plan.json"
    code, out, err = run(
        "plan",
        "run",
        "--demo",
        "--scenario",
        str(EXAMPLE),
        "--weeks",
        "2",
        "--csv",
        str(csv_path),
        "--json",
        str(json_path),
    )
    assert code == 0, err
    assert "move 30% of inappropriate 999 to 101; add 2 handlers fri, sat 18:00-02:00" in out
    before, after = figure(out, "handler-hours on inappropriate calls a week")
    assert float(after) < float(before)
    hours = figure(out, "handler-hours on duty a week")
    assert int(hours[1]) - int(hours[0]) == 32
    within = figure(out, "999 answered within 10 s (standard 90%)")
    assert all(value.endswith("%") for value in within) and len(within) == 2
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert len(rows) == 2 * 3 * 336
    assert {row["run"] for row in rows} == {"baseline", "scenario"}
    data = json.loads(json_path.read_text())
    assert data["format"] == "controlroom.plan-run/1"
    scenario = data["runs"][1]
    assert scenario["model"]["format"] == "controlroom.room-model/1"
    assert scenario["summary"]["weeks"] == 2


def test_the_same_seed_gives_the_same_run() -> None:
    first = run("plan", "run", "--demo", "--weeks", "1", "--seed", "7")[1]
    again = run("plan", "run", "--demo", "--weeks", "1", "--seed", "7")[1]
    other = run("plan", "run", "--demo", "--weeks", "1", "--seed", "8")[1]
    assert first == again and first != other


def test_long_runs_show_a_progress_bar() -> None:
    code, out, _ = run("plan", "run", "--demo", "--weeks", "8")
    assert code == 0 and "simulating" in out


def test_a_saved_model_runs_and_staffs(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    code, out, _ = run("plan", "model", "--demo", "--out", str(path))
    assert code == 0 and f"model written to {path}" in out
    assert "group '999 handlers' (999): 766 handler-hours a week" in out
    code, out, _ = run("plan", "staff", str(path), "--csv", str(tmp_path / "needs.csv"))
    assert code == 0
    assert out.splitlines()[2].split() == ["hour", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    needs = list(csv.DictReader(io.StringIO((tmp_path / "needs.csv").read_text())))
    assert len(needs) == 3 * 336 and all(int(row["handlers"]) >= 0 for row in needs)
    assert run("plan", "run", str(path), "--weeks", "1")[0] == 0


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("percent = 30", "percent = 130"))
    code, _, err = run("plan", "run", "--demo", "--scenario", str(bad))
    assert code == 2
    assert (
        err.strip()
        == f"error: {bad}: changes[0].percent: must be between 0 and 1 (0 and 100 for percent)"
    )
    code, _, err = run("plan", "run", "--demo", "--weeks", "0")
    assert code == 2 and "weeks" in err
    code, _, err = run("plan", "run")
    assert code == 2 and "give one model" in err
    code, _, err = run("plan", "model", "--from", "2026-11-01")
    assert code == 2 and "--from and --to go together" in err
    code, _, err = run("plan", "model", "--from", "01/11/2026", "--to", "2026-11-30")
    assert code == 2 and "--from: '01/11/2026' is not a date" in err
    code, _, err = run("plan", "model", "--from", "1066-10-14", "--to", "1066-10-30")
    assert code == 2 and "outside the accepted range" in err
    code, _, err = run("plan", "model", "--demo", "--patience", "999=60")
    assert code == 2 and "--patience is for a model from the records" in err
    code, _, err = run(
        "plan", "model", "--from", "2026-11-01", "--to", "2026-11-28", "--patience", "999:60"
    )
    assert code == 2 and "--patience: '999:60' is not CHANNEL=SECONDS" in err


def test_a_model_from_the_records(database_url: str, policy: Policy, tmp_path: Path) -> None:
    factory = uow_factory(Settings(database_url=database_url), migrate_first=False)
    zone = ZoneInfo("Europe/London")
    today = datetime.now(zone).date()
    base = datetime.now(UTC) - timedelta(days=3)
    store_call(factory, policy, base, kind="emergency", handling=300)
    store_call(factory, policy, base + timedelta(minutes=10), kind="inappropriate", handling=90)
    store_call(factory, policy, base + timedelta(minutes=20), handling=None, wait=40)
    store_call(factory, policy, base + timedelta(minutes=30), channel=Channel.ONE_ZERO_ONE)
    out_path = tmp_path / "records.json"
    first = (today - timedelta(days=13)).isoformat()
    code, out, err = run(
        "plan",
        "model",
        "--from",
        first,
        "--to",
        today.isoformat(),
        "--out",
        str(out_path),
        url=database_url,
    )
    assert code == 0, err
    assert "999: 3 offered, 2 answered, 1 abandoned, 1 genuine emergencies, 1 inappropriate" in out
    assert re.search(r"inappropriate_advised\s+50.0%\s+1 contacts\s+handling mean\s+90.0 s", out)
    assert "patience: assumed (mean 180 s): fewer than 5 abandoned contacts" in out
    code, out, _ = run(
        "plan",
        "model",
        "--from",
        first,
        "--to",
        today.isoformat(),
        "--patience",
        "999=60",
        "--patience",
        "101=none",
        url=database_url,
    )
    assert code == 0
    assert "patience: assumed (mean 60 s): fewer than 5 abandoned contacts" in out
    assert "patience: assumed (nobody abandons): fewer than 5 abandoned contacts" in out
    assert "roster: the staffing calculator's handlers for each channel" in out
    model = json.loads(out_path.read_text())
    nine = model["channels"][0]
    assert sum(nine["arrivals"]) == 3 / 2  # three calls in two weeks
    code, out, err = run(
        "plan",
        "run",
        "--from",
        first,
        "--to",
        today.isoformat(),
        "--scenario",
        str(EXAMPLE),
        "--weeks",
        "1",
        url=database_url,
    )
    assert code == 0, err


def test_a_roster_file_replaces_the_handlers(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    groups = [{"name": "everyone", "skills": ["999", "101", "digital"], "roster": [30] * 336}]
    roster.write_text(json.dumps({"format": "controlroom.roster/1", "groups": groups}))
    code, out, err = run("plan", "model", "--demo", "--roster", str(roster))
    assert code == 0, err
    assert "group 'everyone' (999, 101, digital): 5040 handler-hours a week" in out
    assert f"note: roster: from {roster}" in out
    code, out, _ = run("plan", "run", "--demo", "--roster", str(roster), "--weeks", "1")
    assert code == 0 and figure(out, "handler-hours on duty a week") == ["5040"]
    groups[0]["roster"] = [30] * 300
    roster.write_text(json.dumps({"format": "controlroom.roster/1", "groups": groups}))
    code, _, err = run("plan", "run", "--demo", "--roster", str(roster))
    assert code == 2 and "roster: has 300 values, not 336" in err
