"""The policy's ``[service_level_101]``: the 101 answer target the supervisor's figures measure."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from controlroom.adapters.policy_file import load_policy, load_policy_file
from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.domain.policy import ServiceLevel
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


@pytest.mark.parametrize(
    ("name", "level"),
    [("dcp-p-042", ServiceLevel(60, 80)), ("example-shire", ServiceLevel(90, 85))],
)
def test_the_shipped_policies_set_it(name: str, level: ServiceLevel) -> None:
    assert load_policy(name).service_level_101 == level


@pytest.mark.parametrize(
    ("table", "level"),
    [
        ("", ServiceLevel(60, 80)),
        ("[service_level_101]\nseconds = 120", ServiceLevel(120, 80)),
        ("[service_level_101]\nseconds = 30\npercent = 95", ServiceLevel(30, 95)),
    ],
)
def test_a_force_sets_its_own_or_has_the_defaults(
    tmp_path: Path, table: str, level: ServiceLevel
) -> None:
    assert load_policy_file(_policy_with(tmp_path, table)).service_level_101 == level


@pytest.mark.parametrize(
    ("line", "where", "words"),
    [
        ("seconds = 0", "service_level_101.seconds", "greater than or equal to 1"),
        ("seconds = 3601", "service_level_101.seconds", "less than or equal to 3600"),
        ("percent = 101", "service_level_101.percent", "less than or equal to 100"),
        ("percent = 0", "service_level_101.percent", "greater than or equal to 1"),
        ("within = 60", "service_level_101", ""),
    ],
)
def test_a_bad_value_names_the_field(tmp_path: Path, line: str, where: str, words: str) -> None:
    path = _policy_with(tmp_path, f"[service_level_101]\n{line}")
    with pytest.raises(PolicyFileError) as caught:
        load_policy_file(path)
    assert where in str(caught.value)
    assert words in str(caught.value) and "Traceback" not in str(caught.value)


@pytest.mark.parametrize(
    ("level", "problem"),
    [
        (ServiceLevel(0, 80), "service_level_101.seconds: 0 is not 1-3600 seconds"),
        (ServiceLevel(60, 0), "service_level_101.percent: 0 is not 1-100"),
        (ServiceLevel(60, 80), None),
    ],
)
def test_the_domain_check_refuses_it_out_of_range(level: ServiceLevel, problem: str | None) -> None:
    policy = replace(load_policy("dcp-p-042"), service_level_101=level)
    problems = validate_policy(policy)
    assert (problem in problems) if problem else not problems
