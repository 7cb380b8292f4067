"""The [nuisance] table of a policy file: defaults, the shipped policies, and what a broken
table reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.adapters.documents.render import TEMPLATE_ROOT
from controlroom.adapters.nuisance_config import load_nuisance_config
from controlroom.adapters.policy_file import load_policy, shipped_policies
from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.domain.nuisance import DEFAULT_LADDER, Approval, DocumentKind, NuisanceRules
from controlroom.domain.policy import Policy

MINIMAL = '[force]\nid = "somewhere"\n'


def write(tmp_path: Path, text: str, name: str = "force.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, policy: Policy | None = None) -> list[str]:
    with pytest.raises(PolicyFileError) as caught:
        load_nuisance_config(path, policy)
    return [f"{p.field}: {p.message}" for p in caught.value.problems]


def test_without_a_nuisance_table_the_defaults_apply(tmp_path: Path) -> None:
    config = load_nuisance_config(write(tmp_path, MINIMAL))
    assert config.rules == NuisanceRules()
    assert config.ladder == DEFAULT_LADDER
    assert config.tz == "Europe/London"
    assert config.templates is None


def test_a_force_with_a_shipped_template_set_gets_it_by_default(tmp_path: Path) -> None:
    config = load_nuisance_config(write(tmp_path, '[force]\nid = "devon-cornwall"\n'))
    assert config.templates == str(TEMPLATE_ROOT / "devon-cornwall")


def test_the_seed_policy(policy: Policy) -> None:
    config = load_nuisance_config("dcp-p-042", policy)
    assert config.templates == str(TEMPLATE_ROOT / "devon-cornwall")
    assert [s.id for s in config.ladder.steps] == [
        "advice",
        "warning_letter",
        "pecs_request",
        "prosecution_file",
    ]
    pecs = config.ladder.step("pecs_request")
    assert pecs.disconnects and pecs.approval is Approval.SUPERVISOR
    assert pecs.document is DocumentKind.PECS_REQUEST
    assert config.ladder.step("advice").approval is Approval.NONE
    assert config.rules == NuisanceRules()


def test_example_shire_has_its_own_ladder_and_thresholds() -> None:
    shire = load_policy("example-shire")
    config = load_nuisance_config(shipped_policies()["example-shire"], shire)
    assert config.templates == str(TEMPLATE_ROOT / "default")
    assert [s.id for s in config.ladder.steps] == [
        "advice",
        "first_letter",
        "final_letter",
        "restrict_line",
        "prosecution_file",
    ]
    assert config.ladder.step("first_letter").approval is Approval.NONE
    assert config.ladder.step("restrict_line").disconnects
    assert config.rules.faulty_min_calls == 6
    assert config.rules.deliberate_min_terminated == 2
    assert config.rules.vulnerable_min_calls == NuisanceRules().vulnerable_min_calls
    assert config.ladder.check(shire) == []


@pytest.mark.parametrize("name", ["dcp-p-042", "example-shire"])
def test_the_policy_loader_accepts_the_table(name: str) -> None:
    assert load_policy(name).force.id


def test_the_policy_loader_still_refuses_unknown_top_level_keys(tmp_path: Path) -> None:
    text = shipped_policies()["example-shire"].read_text(encoding="utf-8")
    text = text.replace("[nuisance]\n", "[nuisanse]\n", 1)
    rulebooks = tmp_path / "rulebooks"
    rulebooks.mkdir()
    source = shipped_policies()["example-shire"].parent / "rulebooks" / "uk-english.toml"
    (rulebooks / "uk-english.toml").write_bytes(source.read_bytes())
    with pytest.raises(PolicyFileError) as caught:
        load_policy(write(tmp_path, text))
    assert "did you mean 'nuisance'?" in str(caught.value)


def test_thresholds_and_a_ladder_from_the_file(tmp_path: Path) -> None:
    text = MINIMAL + (
        "[nuisance]\n"
        'tz = "Europe/London"\n'
        "[nuisance.rules]\n"
        "faulty_min_calls = 8\n"
        "regular_max_variation = 1\n"
        "persistence_after_warning = false\n"
        "[[nuisance.ladder]]\n"
        'id = "advice"\n'
        'name = "Advice"\n'
        "[[nuisance.ladder]]\n"
        'id = "cut"\n'
        'name = "Temporary disconnection"\n'
        'approval = "supervisor"\n'
        "disconnects = true\n"
        'document = "pecs_request"\n'
    )
    config = load_nuisance_config(write(tmp_path, text))
    assert config.rules.faulty_min_calls == 8
    assert config.rules.regular_max_variation == 1.0
    assert config.rules.persistence_after_warning is False
    assert [s.id for s in config.ladder.steps] == ["advice", "cut"]
    assert config.ladder.step("advice").document is None


def test_templates_next_to_the_policy_file(tmp_path: Path) -> None:
    (tmp_path / "letters").mkdir()
    config = load_nuisance_config(write(tmp_path, MINIMAL + '[nuisance]\ntemplates = "letters"\n'))
    assert config.templates == str((tmp_path / "letters").resolve())
    assert problems(write(tmp_path, MINIMAL + '[nuisance]\ntemplates = "nowhere"\n')) == [
        "nuisance.templates: no directory 'nowhere' next to the policy file and no shipped "
        "template set of that name (shipped: default, devon-cornwall)"
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "[nuisance.rules]\nfaulty_min_cals = 3\n",
            "nuisance.rules.faulty_min_cals: unknown key; did you mean 'faulty_min_calls'?",
        ),
        (
            "[nuisance]\ncolour = 1\n",
            "nuisance.colour: unknown key; allowed keys here: "
            "tz, templates, rules, safeguards, ladder",
        ),
        (
            '[nuisance.rules]\nfaulty_min_calls = "5"\n',
            "nuisance.rules.faulty_min_calls: input should be a valid integer",
        ),
        (
            "[nuisance.rules]\nfaulty_min_calls = 0\n",
            "nuisance.rules.faulty_min_calls: input should be greater than or equal to 1",
        ),
        (
            '[[nuisance.ladder]]\nid = "a"\nname = "A"\napproval = "inspector"\n',
            "nuisance.ladder[0].approval: input should be 'supervisor' or 'none' "
            "(entry with id 'a')",
        ),
        (
            '[[nuisance.ladder]]\nid = "a"\nname = "A"\ndocument = "letter"\n',
            "nuisance.ladder[0].document: input should be 'warning_letter', 'pecs_request', "
            "'safeguarding_referral', 'prosecution_summary' or 'none' (entry with id 'a')",
        ),
        (
            '[[nuisance.ladder]]\nid = "cut"\nname = "Cut"\ndisconnects = true\n',
            "nuisance.ladder[0].approval: step 'cut' asks for a disconnection, so it needs a "
            "supervisor's approval (entry with id 'cut')",
        ),
        (
            '[[nuisance.ladder]]\nid = "a"\nname = "A"\n'
            '[[nuisance.ladder]]\nid = "a"\nname = "B"\n',
            "nuisance.ladder: step id 'a' is used twice",
        ),
        (
            "[nuisance]\nladder = []\n",
            "nuisance.ladder: list should have at least 1 item after validation, not 0",
        ),
        (
            '[nuisance]\ntz = "Mars/Olympus"\n',
            "nuisance.tz: unknown time zone 'Mars/Olympus'; use a name like Europe/London",
        ),
        ("nuisance = 3\n", "nuisance: must be a table"),
    ],
)
def test_problems_name_the_field(tmp_path: Path, body: str, expected: str) -> None:
    assert expected in problems(write(tmp_path, MINIMAL + body if "[" in body else body))


def test_ladder_paragraphs_must_resolve_in_the_policy(tmp_path: Path, policy: Policy) -> None:
    text = MINIMAL + '[[nuisance.ladder]]\nid = "a"\nname = "A"\nparagraph = "9.9.9"\n'
    assert load_nuisance_config(write(tmp_path, text)).ladder.step("a").paragraph == "9.9.9"
    assert problems(write(tmp_path, text), policy) == [
        "nuisance.ladder.a.paragraph: '9.9.9' is neither a citation key nor a paragraph id of "
        "the policy"
    ]


def test_unreadable_files(tmp_path: Path) -> None:
    assert problems(tmp_path / "missing.toml") == ["None: file not found"]
    assert "cannot be read" in problems(write(tmp_path, "[force\n"))[0]
