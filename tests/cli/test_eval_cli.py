"""``controlroom eval triage``: figures, confusion table, misses, targets and errors.

Most tests replace the triage service with one that routes each row by a marker in its text
(``[emergency] ...``), so the expected figures are exact whatever the engine does. The tests
marked "engine" use the real engine on obvious rows.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import controlroom.cli.evaluate
from controlroom.cli import main
from controlroom.cli.evaluate import _with_progress
from controlroom.domain.evaluation import Example, Label
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import (
    Channel,
    Decision,
    Level,
    Reason,
    ReasonKind,
    Thrive,
    ThriveFactor,
    make_contact_text,
)

HEADER = "text\tlabel\tagency\tsource_url\tkind\n"

# label, route given -> 12 rows with known figures:
#   emergency: 4 rows, 3 routed emergency                 -> recall 3/4
#   non-emergency: 8 rows, 1 routed emergency             -> false emergencies 1/8
#   police matter? right on 6 of the 8 non-emergency rows -> 6/8
ROWS = [
    ("emergency", "emergency"),
    ("emergency", "emergency"),
    ("emergency", "emergency"),
    ("emergency", "police_non_emergency"),
    ("non_emergency_police", "police_non_emergency"),
    ("non_emergency_police", "emergency"),
    ("other_agency", "other_agency"),
    ("other_agency", "not_police"),
    ("inappropriate", "not_police"),
    ("inappropriate", "other_agency"),
    ("inappropriate", "police_non_emergency"),
    ("inappropriate", "not_police"),
]


def fake_decision(text: str, channel: str | Channel, policy: Policy) -> Decision:
    """Validates like the real service, then routes by the ``[route]`` marker in the text."""
    make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
    route = Route(text.split("]", 1)[0].lstrip("["))
    low = ThriveFactor(Level.LOW, "")
    return Decision(
        route=route,
        grade="immediate",
        agency=None,
        thrive=Thrive(low, low, low, low, low, low),
        vulnerability=(),
        reasons=(Reason(ReasonKind.DEFAULT, "4.11.1", "default", "test"),),
        summary="",
        policy=policy.force.policy_reference,
    )


@pytest.fixture(autouse=True)
def _shipped_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_POLICY", "dcp-p-042")


@pytest.fixture
def fake_triage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(controlroom.cli.evaluate, "triage_text", fake_decision)


def tsv(tmp_path: Path, rows: list[tuple[str, str]], name: str = "set.tsv") -> Path:
    lines = [f"[{route}] row {i}\t{label}\t\t\t" for i, (label, route) in enumerate(rows)]
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["eval", "triage", *args])


def as_json(path: Path, *args: str) -> dict[str, Any]:
    result = run(str(path), "--json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.mark.usefixtures("fake_triage")
def test_figures_with_their_counts(tmp_path: Path) -> None:
    result = run(str(tsv(tmp_path, ROWS)))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "12 rows from" in out
    words = " ".join(out.split())
    assert (
        "Emergency recall 75.0% 3 of 4 emergency rows routed emergency target 100% MISSED" in words
    )
    assert "False emergencies 12.5% 1 of 8 non-emergency rows routed emergency" in words
    assert "Police matter? accuracy 75.0% 6 of 8 non-emergency rows routed correctly" in words
    for label, count in [
        ("emergency", 4),
        ("non_emergency_police", 2),
        ("other_agency", 2),
        ("inappropriate", 4),
    ]:
        assert f"  {label:<22}{count:>6}\n" in out
    assert "Misses" not in out


@pytest.mark.usefixtures("fake_triage")
def test_confusion_table_rows_are_labels_and_columns_routes(tmp_path: Path) -> None:
    out = run(str(tsv(tmp_path, ROWS))).stdout
    table = out.split("Confusion table (rows: label, columns: route)\n", 1)[1].splitlines()
    assert table[0].split() == [
        "emergency",
        "police_non_emergency",
        "other_agency",
        "not_police",
        "total",
    ]
    rows = {line.split()[0]: [int(n) for n in line.split()[1:]] for line in table[1:5]}
    assert rows == {
        "emergency": [3, 1, 0, 0, 4],
        "non_emergency_police": [1, 1, 0, 0, 2],
        "other_agency": [0, 0, 1, 1, 2],
        "inappropriate": [0, 1, 1, 2, 4],
    }


@pytest.mark.usefixtures("fake_triage")
def test_json_output(tmp_path: Path) -> None:
    path = tsv(tmp_path, ROWS)
    data = as_json(path)
    assert data["file"] == str(path)
    assert data["policy"] == "DCP-P-042"
    assert data["channel"] == "999"
    assert data["rows"] == 12
    assert data["emergency_recall"] == {"hits": 3, "total": 4, "value": 0.75}
    assert data["false_emergencies"] == {"hits": 1, "total": 8, "value": 0.125}
    assert data["police_matter_accuracy"] == {"hits": 6, "total": 8, "value": 0.75}
    assert data["confusion"]["inappropriate"] == {
        "emergency": 0,
        "police_non_emergency": 1,
        "other_agency": 1,
        "not_police": 2,
    }
    assert data["meets_targets"] is False
    assert [(m["line"], m["label"], m["route"]) for m in data["misses"]] == [
        (5, "emergency", "police_non_emergency"),
        (7, "non_emergency_police", "emergency"),
        (12, "inappropriate", "police_non_emergency"),
    ]


@pytest.mark.usefixtures("fake_triage")
def test_misses_lists_every_wrong_row_with_text_label_and_route(tmp_path: Path) -> None:
    out = run(str(tsv(tmp_path, ROWS)), "--misses").stdout
    misses = out.split("Misses (3)\n", 1)[1].splitlines()
    assert misses == [
        "  line 5     emergency → police_non_emergency: [police_non_emergency] row 3",
        "  line 7     non_emergency_police → emergency: [emergency] row 5",
        "  line 12    inappropriate → police_non_emergency: [police_non_emergency] row 10",
    ]


@pytest.mark.usefixtures("fake_triage")
def test_targets_exit_1_when_missed(tmp_path: Path) -> None:
    result = run(str(tsv(tmp_path, ROWS)), "--targets")
    assert result.exit_code == 1
    assert "Emergency recall" in result.stdout


@pytest.mark.usefixtures("fake_triage")
def test_targets_exit_0_when_met(tmp_path: Path) -> None:
    rows = [("emergency", "emergency")] * 3 + [("inappropriate", "not_police")] * 30
    result = run(str(tsv(tmp_path, rows)), "--targets")
    assert result.exit_code == 0, result.output
    assert "MISSED" not in result.stdout


@pytest.mark.usefixtures("fake_triage")
def test_without_targets_a_miss_still_exits_0(tmp_path: Path) -> None:
    assert run(str(tsv(tmp_path, ROWS))).exit_code == 0


@pytest.mark.usefixtures("fake_triage")
def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    rows = [("inappropriate", "not_police")] * 1500
    result = run(str(tsv(tmp_path, rows)))
    assert result.exit_code == 0
    assert result.stderr == ""


# --- errors ------------------------------------------------------------------------------------


def test_unknown_label_exits_2_naming_file_line_and_allowed_labels(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(HEADER + "fine\temergency\t\t\t\nwrong\turgent\t\t\t\n", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    error = result.stderr
    assert error.startswith("error: ")
    assert "bad.tsv, line 3, column 'label'" in error
    assert "emergency, non_emergency_police, other_agency, inappropriate" in error
    assert "Traceback" not in error


def test_bad_field_count_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "short.tsv"
    path.write_text(HEADER + "just text\n", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 2
    assert "short.tsv, line 2" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nowhere.tsv"))
    assert result.exit_code == 2
    assert "nowhere.tsv" in result.stderr


def test_header_only_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "empty.tsv"
    path.write_text(HEADER, encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 2
    assert "no rows" in result.stderr


def test_row_text_that_cannot_be_triaged_exits_2_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ctrl.tsv"
    path.write_text(HEADER + "ok\temergency\t\t\t\nbad\x07bell\temergency\t\t\t\n", "utf-8")
    result = run(str(path))
    assert result.exit_code == 2
    assert "ctrl.tsv, line 3, column 'text': text contains control character" in result.stderr


def test_unknown_channel_exits_2(tmp_path: Path) -> None:
    result = run(str(tsv(tmp_path, ROWS)), "--channel", "carrier-pigeon")
    assert result.exit_code == 2
    assert "unknown channel" in result.stderr


def test_broken_policy_exits_3(tmp_path: Path) -> None:
    result = run(str(tsv(tmp_path, ROWS)), "--policy", str(tmp_path / "missing.toml"))
    assert result.exit_code == 3
    assert "missing.toml" in result.stderr


# --- with the real engine ----------------------------------------------------------------------


def test_engine_obvious_rows(tmp_path: Path) -> None:
    # Depends on the triage engine: an armed burglary in progress is an emergency and loud
    # music is not.
    path = tmp_path / "obvious.tsv"
    path.write_text(
        HEADER
        + "Someone is breaking into my house right now, he has a knife\temergency\t\t\t\n"
        + "My neighbour is playing loud music\tother_agency\t\t\t\n",
        encoding="utf-8",
    )
    data = as_json(path)
    assert data["emergency_recall"] == {"hits": 1, "total": 1, "value": 1.0}
    assert data["false_emergencies"]["hits"] == 0


def test_runs_on_the_shared_development_set() -> None:
    path = Path("/work/shared/eval/triage-dev.tsv")
    if not path.exists():
        pytest.skip("shared evaluation data not present")
    data = as_json(path)
    assert data["rows"] == 141
    assert data["counts"]["emergency"] == 20
    assert sum(sum(row.values()) for row in data["confusion"].values()) == 141


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_every_1000_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    examples = [Example(text="x", label=Label.EMERGENCY, line=i) for i in range(2500)]
    assert list(_with_progress(examples)) == examples
    shown = terminal.getvalue()
    assert "\rtriaged 1,000 of 2,500 rows" in shown
    assert "\rtriaged 2,000 of 2,500 rows" in shown
    assert shown.endswith("\rtriaged 2,500 of 2,500 rows\n")


def test_no_progress_for_short_files(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    examples = [Example(text="x", label=Label.EMERGENCY)] * 10
    assert list(_with_progress(examples)) == examples
    assert terminal.getvalue() == ""
