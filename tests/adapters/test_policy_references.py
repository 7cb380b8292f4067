"""``[incident_references]`` in a policy file: the shipped forces' formats, the defaults, and
a bad value named with its file, field and how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.adapters.policy_file import load_policy, load_policy_file
from controlroom.domain.references import ReferenceFormat
from tests.adapters.test_policy_file import _copy_fixtures, _edit, _load_error


def test_the_shipped_policies_give_their_own_formats() -> None:
    assert load_policy("dcp-p-042").incident_references == ReferenceFormat("DC", 4)
    assert load_policy("example-shire").incident_references == ReferenceFormat("ESC", 5)


def test_a_policy_without_the_section_gets_the_default(tmp_path: Path) -> None:
    assert load_policy_file(_copy_fixtures(tmp_path)).incident_references == ReferenceFormat()


SECTION = '[triage]\nrulebook = "rulebook.toml"\n'


@pytest.mark.parametrize(
    ("lines", "field", "words"),
    [
        ('prefix = "dc"', "incident_references.prefix", "1-6 capital letters"),
        ("digits = 12", "incident_references.digits", "less than or equal to 8"),
        ('time_zone = "Mars/Olympus"', "incident_references.time_zone", "iana name"),
        ('prefx = "DC"', "incident_references.prefx", "did you mean 'prefix'"),
    ],
)
def test_a_bad_value_is_named_with_its_field(
    tmp_path: Path, lines: str, field: str, words: str
) -> None:
    edited = _edit(tmp_path, "policy.toml", SECTION, f"[incident_references]\n{lines}\n\n{SECTION}")
    error = _load_error(edited)
    found = [p for p in error.problems if p.field == field and words in p.message.lower()]
    assert found, str(error)
    assert "Traceback" not in str(error)
