"""``controlroom policy``: check, show and list, as a user at a terminal sees them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from controlroom.adapters.policy_file import shipped_policies
from controlroom.cli import main

FIXTURES = Path(__file__).parent.parent / "adapters" / "fixtures"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["policy", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", ["dcp-p-042", "example-shire"])
def test_check_a_shipped_policy_file_succeeds(name: str) -> None:
    path = str(shipped_policies()[name])
    code, out, err = run("check", path)
    assert code == 0, err
    assert f"{path}: OK" in out
    assert "paragraphs" in out and "agencies" in out and "citations" in out
    assert err == ""


def test_check_summarises_the_policy() -> None:
    code, out, _ = run("check", "dcp-p-042")
    assert code == 0
    assert "Devon & Cornwall Police" in out
    assert "DCP-P-042" in out
    assert "matter rules" in out


def test_check_a_broken_policy_lists_every_problem_and_exits_3(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "rulebook.toml", tmp_path / "rulebook.toml")
    text = (FIXTURES / "policy.toml").read_text(encoding="utf-8")
    text = text.replace('policy_title = "Test Policy"\n', "").replace(
        'grade = "scheduled"\nagency = "police-101"', 'grade = "urgent"\nagency = "police-101"'
    )
    path = tmp_path / "policy.toml"
    path.write_text(text.replace("handles =", "handels =", 1), encoding="utf-8")
    code, out, err = run("check", str(path))
    assert code == 3
    assert out == ""
    lines = err.splitlines()
    assert f"{path}: force.policy_title: field required" in lines
    assert any(line.startswith(f"{path}: agencies[0].handels: unknown key") for line in lines)
    assert all(line.startswith(f"{path}: ") for line in lines)
    assert "Traceback" not in err


def test_check_then_the_cross_references(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "rulebook.toml", tmp_path / "rulebook.toml")
    text = (FIXTURES / "policy.toml").read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(text.replace('grade = "scheduled"\nagency = "police-101"', 'grade = "x"'))
    code, _, err = run("check", str(path))
    assert code == 3
    assert f"{path}: routes.police_non_emergency: grade 'x' is not defined in [[grades]]" in err


def test_check_a_problem_in_the_rulebook_names_the_rulebook(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "policy.toml", tmp_path / "policy.toml")
    rulebook = (FIXTURES / "rulebook.toml").read_text(encoding="utf-8")
    (tmp_path / "rulebook.toml").write_text(rulebook.replace("['loud music']", "['loud (']"))
    code, _, err = run("check", str(tmp_path / "policy.toml"))
    assert code == 3
    assert f"{tmp_path / 'rulebook.toml'}: matters.noise.patterns[0]: not a valid regular" in err


def test_check_a_syntax_error_gives_line_and_column() -> None:
    path = FIXTURES / "broken-syntax.toml"
    code, _, err = run("check", str(path))
    assert code == 3
    assert err.startswith(f"{path}: line 5, column ")


def test_check_a_missing_file_exits_3(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path / "missing.toml"))
    assert code == 3
    assert err.strip() == f"{tmp_path / 'missing.toml'}: file not found"


def test_show_json_has_the_whole_policy() -> None:
    code, out, _ = run("show", "dcp-p-042", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["force"]["policy_reference"] == "DCP-P-042"
    assert {"id", "title", "text"} <= set(data["paragraphs"][0])
    paragraph_ids = [p["id"] for p in data["paragraphs"]]
    assert "4.12.4" in paragraph_ids
    assert {g["id"] for g in data["grades"]} >= {"immediate", "scheduled"}
    agency = next(a for a in data["agencies"] if a["id"] == "council")
    assert {"name", "handles", "public_advice", "police", "contact"} <= set(agency)
    assert {"kind", "value", "label"} <= set(agency["contact"][0])
    assert set(data["routes"]) == {
        "emergency",
        "police_non_emergency",
        "other_agency",
        "not_police",
    }
    assert data["citations"]["inappropriate.advise"] == "4.12.4"
    assert data["rulebook"]["matters"] >= 1
    assert {"id", "paragraph", "text"} <= set(data["scripts"][0])


def test_show_uses_the_configured_policy_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_POLICY", "example-shire")
    code, out, _ = run("show")
    assert code == 0
    assert "Example Shire Constabulary" in out
    assert "Paragraphs" in out and "Agencies" in out
    assert "G-7" in out


def test_show_a_policy_file_by_path() -> None:
    code, out, _ = run("show", str(FIXTURES / "policy.toml"))
    assert code == 0
    assert "Test Force" in out
    assert "https://council.example.org (Report it)" in out


def test_show_an_unknown_policy_exits_3() -> None:
    code, _, err = run("show", "no-such-force")
    assert code == 3
    assert "no shipped policy" in err


def test_list_shows_the_shipped_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTROLROOM_POLICY", raising=False)
    code, out, _ = run("list")
    assert code == 0
    assert "dcp-p-042" in out and "example-shire" in out
    assert "Devon & Cornwall Police" in out
    assert "* dcp-p-042" in out


def test_check_also_reports_a_broken_nuisance_section(tmp_path: Path) -> None:
    source = shipped_policies()["dcp-p-042"]
    text = (
        source.read_text()
        .replace(
            'rulebook = "rulebooks/uk-english.toml"',
            f'rulebook = "{source.parent / "rulebooks" / "uk-english.toml"}"',
        )
        .replace('"exemplars/', f'"{source.parent / "exemplars"}/')
    )
    broken = tmp_path / "force.toml"
    broken.write_text(text.replace("faulty_min_calls = 5", 'faulty_min_calls = "five"'))
    result = CliRunner().invoke(main, ["policy", "check", str(broken)])
    assert result.exit_code == 3
    assert "nuisance.rules.faulty_min_calls" in result.output


def test_check_reports_a_broken_exemplar_bank_by_file_and_field(tmp_path: Path) -> None:
    source = shipped_policies()["dcp-p-042"]
    bank = tmp_path / "exemplars" / "bank.toml"
    bank.parent.mkdir()
    bank.write_text(
        (source.parent / "exemplars" / "uk-english.toml")
        .read_text()
        .replace('agency = "council"', 'agency = "the-council"', 1)
        .replace("raise_at = ", "raise_at = 1.60 # was ", 1)
    )
    text = (
        source.read_text()
        .replace(
            'rulebook = "rulebooks/uk-english.toml"',
            f'rulebook = "{source.parent / "rulebooks" / "uk-english.toml"}"',
        )
        .replace('"exemplars/uk-english.toml"', '"exemplars/bank.toml"')
        .replace('"exemplars/', f'"{source.parent / "exemplars"}/')
        .replace(f'"{source.parent / "exemplars"}/bank.toml"', '"exemplars/bank.toml"')
    )
    policy = tmp_path / "force.toml"
    policy.write_text(text)
    result = CliRunner().invoke(main, ["policy", "check", str(policy)])
    assert result.exit_code == 3
    assert "exemplars/bank.toml: thresholds.raise_at:" in result.output
    policy.write_text(text.replace("exemplars/bank.toml", "exemplars/none.toml"))
    result = CliRunner().invoke(main, ["policy", "check", str(policy)])
    assert result.exit_code == 3
    assert "triage.exemplars[0]: exemplar bank" in result.output and "not found" in result.output
    bank.write_text(bank.read_text().replace("raise_at = 1.60 # was ", "raise_at = ", 1))
    policy.write_text(text)
    result = CliRunner().invoke(main, ["policy", "check", str(policy)])
    assert result.exit_code == 3
    assert "situations.noise-nuisance.agency: 'the-council' is not in [[agencies]]" in result.output


def test_check_lists_the_mait_partners_and_reports_a_broken_mait_table(tmp_path: Path) -> None:
    code, out, _ = run("check", "dcp-p-042")
    assert code == 0
    assert "mait:       DCP: ambulance-999, fire-999, coastguard-999, highways" in out

    source = shipped_policies()["dcp-p-042"]
    text = (
        source.read_text()
        .replace(
            'rulebook = "rulebooks/uk-english.toml"',
            f'rulebook = "{source.parent / "rulebooks" / "uk-english.toml"}"',
        )
        .replace('"exemplars/', f'"{source.parent / "exemplars"}/')
    )
    broken = tmp_path / "force.toml"
    broken.write_text(
        text.replace('agency = "fire-999"\nid = "DSFRS"', 'agency = "fire"\nid = "DSFRS"')
    )
    code, _, err = run("check", str(broken))
    assert code == 3
    assert "mait.partners[1].agency 'fire' is not an agency of the policy" in err
