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
from controlroom.domain.evaluation import Example, Label, slice_of
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
from controlroom.domain.triage.contact_text import ContactText

HEADER = "text\tlabel\tagency\tsource_url\tkind\n"
CORPUS = Path(__file__).parent / "eval_corpus"  # two files; each text starts with its [route]

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
    """Validates like the real service, then routes by the ``[route]`` or ``[route|agency]``
    marker in the text."""
    make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
    route, _, agency = text.split("]", 1)[0].lstrip("[").partition("|")
    low = ThriveFactor(Level.LOW, "")
    return Decision(
        route=Route(route),
        grade="immediate",
        agency=agency or None,
        thrive=Thrive(low, low, low, low, low, low),
        vulnerability=(),
        reasons=(Reason(ReasonKind.DEFAULT, "4.11.1", "default", "test"),),
        summary="",
        policy=policy.force.policy_reference,
    )


@pytest.fixture(autouse=True)
def _shipped_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_POLICY", "dcp-p-042")


def fake_decisions(contacts: list[ContactText], policy: Policy) -> list[Decision]:
    return [fake_decision(contact.text, contact.channel, policy) for contact in contacts]


@pytest.fixture
def fake_triage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(controlroom.cli.evaluate, "triage_contacts", fake_decisions)


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


@pytest.mark.usefixtures("fake_triage")
def test_101_recall_is_shown_with_its_counts(tmp_path: Path) -> None:
    words = " ".join(run(str(tsv(tmp_path, ROWS))).stdout.split())
    assert "101 recall 50.0% 1 of 2 non_emergency_police rows routed police_non_emergency" in words


@pytest.mark.usefixtures("fake_triage")
def test_a_single_file_shows_no_file_or_agency_tables(tmp_path: Path) -> None:
    out = run(str(tsv(tmp_path, ROWS))).stdout
    assert out.startswith("12 rows from ")
    assert "files" not in out.splitlines()[0]
    assert "Rows by file" not in out
    assert "Other agency rows" not in out


# --- a directory, splits, agencies --------------------------------------------------------------


def corpus_texts(split: str) -> list[str]:
    texts = [
        line.split("\t", 1)[0]
        for path in sorted(CORPUS.glob("*.tsv"))
        for line in path.read_text(encoding="utf-8").splitlines()[1:]
    ]
    return [text for text in texts if split == "dev" or slice_of(text) == split]


@pytest.mark.usefixtures("fake_triage")
def test_a_directory_scores_every_tsv_file_in_it() -> None:
    result = run(str(CORPUS))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"19 rows from {CORPUS} (2 files), triaged under DCP-P-042")
    words = " ".join(out.split())
    assert "Emergency recall 75.0% 3 of 4 emergency rows routed emergency" in words
    assert "False emergencies 6.7% 1 of 15 non-emergency rows routed emergency" in words
    assert "Police matter? accuracy 73.3% 11 of 15 non-emergency rows routed correctly" in words
    assert "101 recall 50.0% 2 of 4 non_emergency_police rows" in words
    files = out.split("Rows by file\n", 1)[1].splitlines()
    assert files[1].split() == ["calls-a.tsv", "8", "5", "62.5%", "3/4", "1/4"]
    assert files[2].split() == ["calls-b.tsv", "11", "9", "81.8%", "0/0", "0/11"]


@pytest.mark.usefixtures("fake_triage")
def test_other_agency_rows_are_counted_by_the_agency_they_name() -> None:
    out = run(str(CORPUS)).stdout
    table = out.split("Other agency rows by the agency they name\n", 1)[1].split("\n\n")[0]
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[1:]}
    assert rows == {
        "action-fraud": ["1", "0", "0"],
        "council": ["2", "2", "1"],
        "ministry-of-magic": ["1", "1", "1", "(not", "in", "the", "policy's", "directory)"],
        "nhs-111": ["1", "1", "1"],
        "rspca": ["2", "2", "1"],
    }


@pytest.mark.usefixtures("fake_triage")
def test_json_from_a_directory_has_split_agencies_and_files() -> None:
    data = as_json(CORPUS)
    assert data["split"] == "all"
    assert data["non_emergency_recall"] == {"hits": 2, "total": 4, "value": 0.5}
    assert data["agencies"]["rspca"] == {"rows": 2, "right_route": 2, "right_agency": 1}
    assert data["files"][str(CORPUS / "calls-a.tsv")]["rows"] == 8
    assert {(Path(m["file"]).name, m["line"]) for m in data["misses"]} >= {("calls-a.tsv", 4)}


@pytest.mark.usefixtures("fake_triage")
def test_misses_from_a_directory_name_the_file_and_line() -> None:
    out = run(str(CORPUS), "--misses").stdout
    assert "  calls-b.tsv:6 other_agency → police_non_emergency: [police_non_emergency] I" in out


@pytest.mark.usefixtures("fake_triage")
@pytest.mark.parametrize("split", ["heldback", "fold=1", "fold=3", "fold=5"])
def test_split_scores_only_the_rows_of_that_slice(split: str) -> None:
    expected = corpus_texts(split)
    assert expected, f"the fixture corpus should have rows in {split}"
    data = as_json(CORPUS, "--split", split)
    assert data["split"] == split
    assert data["rows"] == len(expected)
    result = run(str(CORPUS), "--split", split)
    assert f"{len(expected)} rows from {CORPUS} (" in result.stdout
    assert f", split {split}, triaged under" in result.stdout


@pytest.mark.usefixtures("fake_triage")
def test_dev_and_heldback_split_the_corpus_between_them() -> None:
    held = as_json(CORPUS, "--split", "heldback")["rows"]
    dev = as_json(CORPUS, "--split", "dev")["rows"]
    folds = sum(as_json(CORPUS, "--split", f"fold={n}")["rows"] for n in range(1, 6))
    assert held + dev == 19
    assert folds == dev
    assert held == len(corpus_texts("heldback"))


def test_unknown_split_exits_2_with_the_allowed_values() -> None:
    result = run(str(CORPUS), "--split", "fold=9")
    assert result.exit_code == 2
    assert "unknown split 'fold=9'" in result.stderr
    assert "heldback, dev, or fold=N" in result.stderr


@pytest.mark.usefixtures("fake_triage")
def test_a_split_with_no_rows_exits_2(tmp_path: Path) -> None:
    texts = [f"[emergency] row {n}" for n in range(40)]
    fold_one = [text for text in texts if slice_of(text) == "fold=1"][:1]
    path = tmp_path / "one.tsv"
    path.write_text(HEADER + f"{fold_one[0]}\temergency\t\t\t\n", encoding="utf-8")
    result = run(str(path), "--split", "heldback")
    assert result.exit_code == 2
    assert "no rows to evaluate in split heldback" in result.stderr


def test_a_directory_without_tsv_files_exits_2(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "no .tsv files" in result.stderr
    assert "Traceback" not in result.output


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
