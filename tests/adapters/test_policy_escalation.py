"""The policy's ``[digital_escalation]``: how long a marked written emergency may wait untaken
before supervisors are alerted again."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from controlroom.adapters.policy_file import load_policy, load_policy_file
from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.domain.policy import DigitalEscalation
from controlroom.domain.policy_checks import validate_policy

FIXTURES = Path(__file__).parent / "fixtures"


def _policy_with(tmp_path: Path, table: str) -> Path:
    shutil.copy(FIXTURES / "rulebook.toml", tmp_path / "rulebook.toml")
    text = (FIXTURES / "policy.toml").read_text(encoding="utf-8")
    assert "\n[triage]" in text
    (tmp_path / "policy.toml").write_text(
        text.replace("\n[triage]", f"\n{table}\n\n[triage]", 1), encoding="utf-8"
    )
    return tmp_path / "policy.toml"


@pytest.mark.parametrize(("name", "seconds"), [("dcp-p-042", 30), ("example-shire", 45)])
def test_the_shipped_policies_set_it(name: str, seconds: int) -> None:
    assert load_policy(name).digital_escalation.realert_seconds == seconds


def test_left_out_it_is_30_seconds(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "rulebook.toml", tmp_path / "rulebook.toml")
    shutil.copy(FIXTURES / "policy.toml", tmp_path / "policy.toml")
    policy = load_policy_file(tmp_path / "policy.toml")
    assert policy.digital_escalation == DigitalEscalation(30)


def test_a_force_sets_its_own(tmp_path: Path) -> None:
    path = _policy_with(tmp_path, "[digital_escalation]\nrealert_seconds = 90")
    assert load_policy_file(path).digital_escalation.realert_seconds == 90


@pytest.mark.parametrize(
    ("value", "words"),
    [("0", "greater than or equal to 1"), ("3601", "less than or equal to 3600"), ('"30"', "")],
)
def test_a_bad_value_names_the_field(tmp_path: Path, value: str, words: str) -> None:
    path = _policy_with(tmp_path, f"[digital_escalation]\nrealert_seconds = {value}")
    with pytest.raises(PolicyFileError) as caught:
        load_policy_file(path)
    assert "digital_escalation.realert_seconds" in str(caught.value)
    assert words in str(caught.value) and "Traceback" not in str(caught.value)


def test_the_domain_check_refuses_it_out_of_range() -> None:
    policy = load_policy("dcp-p-042")
    for seconds in (0, 3601):
        problems = validate_policy(replace(policy, digital_escalation=DigitalEscalation(seconds)))
        assert problems == [
            f"digital_escalation.realert_seconds: {seconds} is not 1-3600 seconds"
        ], problems
