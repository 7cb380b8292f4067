"""Loading policy and rulebook files: the shipped policies, and what a broken file reports."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from controlroom.adapters.policy_file import (
    CITATION_KEYS,
    load_policy,
    load_policy_file,
    shipped_policies,
)
from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.domain.errors import PolicyError
from controlroom.domain.policy import Route
from controlroom.domain.policy_checks import validate_policy

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path("/work/shared/seeds")
FOI = SEEDS / "foi-inappropriate-999-calls-policy.txt"
PUBLIC_PAGE = SEEDS / "contact-us-when-to-call-999.txt"

AGENCY_IDS = {
    "police-999", "police-101", "police-station", "askthepolice", "ambulance-999", "fire-999",
    "coastguard-999", "council", "highways", "action-fraud", "insurance-fraud-bureau", "nhs-111",
    "power-cut-105", "gas-emergency", "water-company", "rspca", "dvla", "crimestoppers",
    "housing-provider", "trading-standards", "citizens-advice", "missing-people", "samaritans",
    "childrens-services", "lost-property", "transport-operator", "british-transport-police",
    "service-provider",
}  # fmt: skip
GRADE_IDS = {"immediate", "priority", "scheduled", "resolution_without_deployment"}
SCRIPT_IDS = {"advise", "warn", "terminate", "silent_prompt", "silent_landline", "relay_intro"}


# --- the shipped policies ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dcp-p-042", "example-shire"])
def test_shipped_policy_loads_and_is_sound(name: str) -> None:
    policy = load_policy(name)
    assert validate_policy(policy) == []
    assert set(CITATION_KEYS) <= set(policy.citations)
    assert set(policy.grades) == GRADE_IDS
    assert set(policy.agencies) >= AGENCY_IDS
    assert set(policy.scripts) >= SCRIPT_IDS
    assert set(policy.routes) == set(Route)
    for agency in policy.agencies.values():
        assert agency.contact, agency.id


def test_shipped_policies_are_listed_by_name() -> None:
    shipped = shipped_policies()
    assert {"dcp-p-042", "example-shire"} <= set(shipped)
    assert all(path.is_file() and path.suffix == ".toml" for path in shipped.values())
    assert load_policy(shipped["dcp-p-042"]).force.policy_reference == "DCP-P-042"
    assert load_policy(str(shipped["example-shire"])).force.id == "example-shire"


def test_the_example_force_uses_its_own_numbering_with_the_same_rulebook() -> None:
    seed, other = load_policy("dcp-p-042"), load_policy("example-shire")
    assert other.force.id != seed.force.id
    assert other.cite("inappropriate.warn") != seed.cite("inappropriate.warn")
    assert other.grades["immediate"].urban_minutes != seed.grades["immediate"].urban_minutes
    assert other.scripts["advise"].text != seed.scripts["advise"].text
    assert other.rulebook.name == seed.rulebook.name
    assert not set(other.paragraphs) & {"4.12.4", "4.12.5"}


def test_seed_policy_routes_and_grades() -> None:
    policy = load_policy("dcp-p-042")
    emergency = policy.routes[Route.EMERGENCY]
    assert (emergency.paragraph, emergency.grade, emergency.agency) == (
        "4.11.1",
        "immediate",
        "police-999",
    )
    assert policy.routes[Route.POLICE_NON_EMERGENCY].agency == "police-101"
    assert policy.routes[Route.NOT_POLICE].paragraph == "4.12.1"
    assert policy.routes[Route.OTHER_AGENCY].agency is None
    assert policy.emergency_definition == ("4.11.1(a)", "4.11.1(b)", "4.11.1(c)", "4.11.1(d)")
    assert (policy.grades["immediate"].urban_minutes, policy.grades["immediate"].rural_minutes) == (
        15,
        20,
    )
    assert policy.scripts["advise"].paragraph == "4.12.4"
    assert "101" in policy.scripts["advise"].text
    assert policy.scripts["warn"].paragraph == "4.12.5"
    assert "terminate" in policy.scripts["warn"].text


def _foi_paragraphs() -> dict[str, str]:
    """Paragraphs 4.12.1 to 4.12.6 (with 4.12.3's lettered items) from the FOI answer."""
    paragraphs: dict[str, str] = {}
    current = None
    for line in FOI.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"(4\.12\.\d) (.*)", line):
            current = match.group(1)
            paragraphs[current] = match.group(2)
        elif current == "4.12.3" and (match := re.match(r"\(([abc])\) (.*)", line)):
            paragraphs["4.12.3"] += "\n" + line
            paragraphs[f"4.12.3({match.group(1)})"] = match.group(2)
    # the FOI answer closes its quotation of the policy after the last word of 4.12.6
    paragraphs["4.12.6"] = paragraphs["4.12.6"].replace("services’.", "services.")
    return paragraphs


@pytest.mark.skipif(not FOI.is_file(), reason="the FOI text is not available here")
def test_seed_policy_quotes_section_4_12_verbatim() -> None:
    policy = load_policy("dcp-p-042")
    expected = _foi_paragraphs()
    assert {f"4.12.{n}" for n in range(1, 7)} <= set(expected)
    for paragraph_id, text in expected.items():
        assert policy.paragraphs[paragraph_id].text == text, paragraph_id


@pytest.mark.skipif(not PUBLIC_PAGE.is_file(), reason="the public page is not available here")
def test_seed_policy_guidance_quotes_the_public_page() -> None:
    page = PUBLIC_PAGE.read_text(encoding="utf-8")
    policy = load_policy("dcp-p-042")
    guidance = [p for pid, p in policy.paragraphs.items() if pid.startswith("PUB.")]
    assert len(guidance) >= 11
    for paragraph in guidance:
        for sentence in re.split(r"(?<=[.?!])\s+", paragraph.text):
            assert sentence in page, (paragraph.id, sentence)


# --- a small fixture policy --------------------------------------------------------------------


def test_fixture_policy_resolves_citations_everywhere() -> None:
    policy = load_policy_file(FIXTURES / "policy.toml")
    assert validate_policy(policy) == []
    rules = {rule.id: rule for rule in policy.rulebook.matters}
    assert rules["burglary"].paragraph == "G.1"  # "guidance.report" through [citations]
    assert rules["burglary"].emergency is not None
    assert rules["burglary"].emergency.paragraph == "E.1"
    assert rules["noise"].paragraph == "G.1"  # a literal paragraph id stays as it is
    assert policy.scripts["warn"].paragraph == "I.1"
    assert policy.routes[Route.POLICE_NON_EMERGENCY].paragraph == "G.1"
    assert policy.rulebook.overrides[0].paragraph == "E.1"
    assert policy.rulebook.vulnerabilities[0].paragraph == "I.1"
    assert policy.citations["inappropriate.warn"] == "I.1"
    assert policy.rulebook.negation_cues == ("no", "not")
    assert policy.rulebook.negation_window == 3
    assert policy.limits.max_text_chars == 131_072


def _copy_fixtures(
    tmp_path: Path, policy_text: str | None = None, rulebook_text: str | None = None
) -> Path:
    shutil.copy(FIXTURES / "policy.toml", tmp_path / "policy.toml")
    shutil.copy(FIXTURES / "rulebook.toml", tmp_path / "rulebook.toml")
    if policy_text is not None:
        (tmp_path / "policy.toml").write_text(policy_text, encoding="utf-8")
    if rulebook_text is not None:
        (tmp_path / "rulebook.toml").write_text(rulebook_text, encoding="utf-8")
    return tmp_path / "policy.toml"


def _edit(tmp_path: Path, file: str, old: str, new: str) -> Path:
    texts = {
        name: (FIXTURES / name).read_text(encoding="utf-8")
        for name in ("policy.toml", "rulebook.toml")
    }
    assert old in texts[file], f"fixture {file} has no {old!r}"
    texts[file] = texts[file].replace(old, new, 1)
    return _copy_fixtures(tmp_path, texts["policy.toml"], texts["rulebook.toml"])


def _load_error(path: Path) -> PolicyFileError:
    with pytest.raises(PolicyFileError) as caught:
        load_policy_file(path)
    return caught.value


def test_defaults_apply_when_optional_keys_are_left_out(tmp_path: Path) -> None:
    rulebook = (FIXTURES / "rulebook.toml").read_text(encoding="utf-8")
    rulebook = rulebook.replace('negation_cues = ["no", "not"]\nnegation_window = 3\n', "")
    rulebook = rulebook.replace(', group = "crime-in-progress" }', " }")
    rulebook = rulebook.replace('cancels = ["crime-in-progress"]', 'cancels = ["property-crime"]')
    policy = load_policy_file(_copy_fixtures(tmp_path, rulebook_text=rulebook))
    assert policy.rulebook.negation_window == 4
    assert "nobody" in policy.rulebook.negation_cues
    burglary = policy.rulebook.matters[0]
    assert burglary.emergency is not None and burglary.emergency.group == burglary.group


def test_an_unquoted_toml_date_is_accepted_as_the_version(tmp_path: Path) -> None:
    policy = load_policy_file(
        _edit(tmp_path, "policy.toml", 'version = "1"', "version = 2026-01-23")
    )
    assert policy.force.version == "2026-01-23"


BROKEN = [
    # file edited, old text, new text, file named, field named, words in the message
    pytest.param(
        "policy.toml",
        'name = "Test Force"',
        "name = Test Force",
        "policy.toml",
        None,
        "line 7, column",
        id="toml syntax",
    ),
    pytest.param(
        "policy.toml",
        'policy_title = "Test Policy"\n',
        "",
        "policy.toml",
        "force.policy_title",
        "field required",
        id="missing field",
    ),
    pytest.param(
        "policy.toml",
        'handles = "Noise and rubbish."',
        'handels = "Noise and rubbish."',
        "policy.toml",
        "agencies[2].handels",
        "did you mean 'handles'",
        id="typo in a key",
    ),
    pytest.param(
        "policy.toml",
        "[routes.not_police]",
        "[routes.not_polise]",
        "policy.toml",
        "routes.not_polise",
        "did you mean 'not_police'",
        id="typo in a route",
    ),
    pytest.param(
        "policy.toml",
        "urban_minutes = 15",
        'urban_minutes = "15"',
        "policy.toml",
        "grades[0].urban_minutes",
        "valid integer",
        id="wrong type",
    ),
    pytest.param(
        "policy.toml",
        'emergency_definition = ["E.1"]',
        'emergency_definition = "E.1"',
        "policy.toml",
        "emergency_definition",
        "valid list",
        id="string for a list",
    ),
    pytest.param(
        "policy.toml",
        'kind = "web", value = "https://council',
        'kind = "fax", value = "https://council',
        "policy.toml",
        "agencies[2].contact[0].kind",
        "'phone'",
        id="unknown contact kind",
    ),
    pytest.param(
        "policy.toml",
        "format = 1",
        "format = 2",
        "policy.toml",
        "format",
        "format 1",
        id="unsupported format",
    ),
    pytest.param(
        "policy.toml",
        'grade = "scheduled"\nagency = "police-101"',
        'grade = "urgent"\nagency = "police-101"',
        "policy.toml",
        "routes.police_non_emergency",
        "grade 'urgent'",
        id="grade not defined",
    ),
    pytest.param(
        "policy.toml",
        'agency = "police-999"',
        'agency = "police-998"',
        "policy.toml",
        "routes.emergency",
        "agency 'police-998'",
        id="agency not defined",
    ),
    pytest.param(
        "policy.toml",
        'paragraph = "I.1"\ntext = "Please',
        'paragraph = "I.9"\ntext = "Please',
        "policy.toml",
        "scripts.advise",
        "paragraph 'I.9'",
        id="paragraph not defined",
    ),
    pytest.param(
        "policy.toml",
        'id = "I.1"',
        'id = "G.1"',
        "policy.toml",
        "paragraphs[2].id",
        "already used",
        id="duplicate paragraph id",
    ),
    pytest.param(
        "policy.toml",
        '"nuisance" = "I.1"\n',
        "",
        "policy.toml",
        "citations",
        "nuisance",
        id="citation key missing",
    ),
    pytest.param(
        "policy.toml",
        'rulebook = "rulebook.toml"',
        'rulebook = "rules/missing.toml"',
        "policy.toml",
        "triage.rulebook",
        "not found",
        id="rulebook file missing",
    ),
    pytest.param(
        "rulebook.toml",
        'route = "other_agency"',
        'route = "elsewhere"',
        "rulebook.toml",
        "matters[1].route",
        "'other_agency'",
        id="unknown route",
    ),
    pytest.param(
        "rulebook.toml",
        'route = "other_agency"',
        'route = "emergency"',
        "rulebook.toml",
        "matters.noise.route",
        "[emergency]",
        id="emergency route",
    ),
    pytest.param(
        "rulebook.toml",
        'tense = "now"',
        'tense = "soon"',
        "rulebook.toml",
        "time_cues[0].tense",
        "'recent'",
        id="unknown tense",
    ),
    pytest.param(
        "rulebook.toml",
        'flag = "older_person"',
        'flag = "old"',
        "rulebook.toml",
        "vulnerabilities[0].flag",
        "'older_person'",
        id="unknown flag",
    ),
    pytest.param(
        "rulebook.toml",
        "patterns = ['loud music']",
        "patterns = ['loud (music']",
        "rulebook.toml",
        "matters.noise.patterns[0]",
        "regular expression",
        id="bad regex",
    ),
    pytest.param(
        "rulebook.toml",
        "patterns = ['loud music']",
        "patterns = []",
        "rulebook.toml",
        "matters[1].patterns",
        "at least 1",
        id="no patterns",
    ),
    pytest.param(
        "rulebook.toml",
        'agency = "council"',
        'agency = "councl"',
        "rulebook.toml",
        "matters.noise",
        "agency 'councl'",
        id="agency not defined in rulebook",
    ),
    pytest.param(
        "rulebook.toml",
        'suppresses = ["noise"]',
        'suppresses = ["nois"]',
        "rulebook.toml",
        "matters.burglary.suppresses",
        "'nois'",
        id="suppresses an unknown rule",
    ),
    pytest.param(
        "rulebook.toml",
        'cancels = ["crime-in-progress"]',
        'cancels = ["crime"]',
        "rulebook.toml",
        "overrides.gone.cancels",
        "'crime'",
        id="cancels an unknown group",
    ),
    pytest.param(
        "rulebook.toml",
        'paragraph = "vulnerability.age"',
        'paragraph = "vulnerability.years"',
        "rulebook.toml",
        "vulnerabilities[0].paragraph",
        "[citations]",
        id="citation key unknown to the policy",
    ),
    pytest.param(
        "rulebook.toml",
        'name = "Test rulebook"',
        'name = "Test rulebook',
        "rulebook.toml",
        None,
        "line 3, column",
        id="rulebook toml syntax",
    ),
    pytest.param(
        "rulebook.toml",
        "crime = true",
        "crimes = true",
        "rulebook.toml",
        "matters[0].crimes",
        "did you mean 'crime'",
        id="rulebook typo in a key",
    ),
]


@pytest.mark.parametrize(("edited", "old", "new", "file", "field", "words"), BROKEN)
def test_a_broken_file_names_the_file_the_field_and_the_problem(
    tmp_path: Path, edited: str, old: str, new: str, file: str, field: str | None, words: str
) -> None:
    error = _load_error(_edit(tmp_path, edited, old, new))
    assert isinstance(error, PolicyError)
    matching = [
        problem
        for problem in error.problems
        if problem.display.endswith(file) and problem.field == field and words in problem.message
    ]
    assert matching, str(error)
    expected_line = ": ".join(part for part in (matching[0].display, field) if part)
    assert expected_line in str(error)
    assert "Traceback" not in str(error)


def test_every_structural_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (FIXTURES / "policy.toml").read_text(encoding="utf-8")
    text = text.replace('policy_title = "Test Policy"\n', "").replace(
        "urban_minutes = 15", "urban_minutes = true"
    )
    rulebook = (
        (FIXTURES / "rulebook.toml").read_text(encoding="utf-8").replace("crime = true", "crim = 1")
    )
    error = _load_error(_copy_fixtures(tmp_path, text, rulebook))
    fields = {problem.field for problem in error.problems}
    assert {"force.policy_title", "grades[0].urban_minutes", "matters[0].crim"} <= fields
    assert len(str(error).splitlines()) == len(error.problems)
    assert (error.field, error.message) == (error.problems[0].field, error.problems[0].message)


def test_entries_in_arrays_are_named_by_their_id(tmp_path: Path) -> None:
    error = _load_error(_edit(tmp_path, "policy.toml", 'name = "The council"\n', ""))
    assert "agencies[2].name: field required (entry with id 'council')" in str(error)


def test_invalid_utf8_is_reported_with_its_position(tmp_path: Path) -> None:
    path = _copy_fixtures(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"Test Force", b"Test \xff Force", 1))
    error = _load_error(path)
    assert error.path == path
    assert error.field is None
    assert "not valid UTF-8" in error.message and "line 7" in error.message


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _copy_fixtures(tmp_path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_policy_file(path).force.id == "test-force"


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    error = _load_error(tmp_path / "nowhere.toml")
    assert str(error) == f"{tmp_path / 'nowhere.toml'}: file not found"
    assert error.as_dict()["code"] == "invalid_policy"


def test_a_directory_is_not_a_policy(tmp_path: Path) -> None:
    assert "directory" in _load_error(tmp_path).message


def test_an_unknown_policy_name_lists_the_shipped_ones() -> None:
    with pytest.raises(PolicyFileError) as caught:
        load_policy("no-such-force")
    assert "no shipped policy" in caught.value.message
    assert caught.value.hint is not None and "dcp-p-042" in caught.value.hint


def test_a_rulebook_given_as_a_policy_is_named_as_such() -> None:
    error = _load_error(FIXTURES / "rulebook.toml")
    assert "rulebook file, not a policy file" in error.message


def test_the_syntax_error_fixture_reports_line_and_column() -> None:
    error = _load_error(FIXTURES / "broken-syntax.toml")
    assert re.search(r"broken-syntax\.toml: line 5, column \d+: TOML syntax error", str(error))


def test_errors_in_a_shipped_policy_name_the_file_briefly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from controlroom.adapters import policy_file

    (tmp_path / "rulebooks").mkdir()
    shutil.copy(FIXTURES / "rulebook.toml", tmp_path / "rulebooks" / "rulebook.toml")
    text = (FIXTURES / "policy.toml").read_text(encoding="utf-8")
    text = text.replace('rulebook = "rulebook.toml"', 'rulebook = "rulebooks/rulebook.toml"')
    (tmp_path / "mine.toml").write_text(text.replace('id = "test-force"\n', ""), encoding="utf-8")
    monkeypatch.setattr(policy_file, "shipped_policies", lambda: {"mine": tmp_path / "mine.toml"})
    with pytest.raises(PolicyFileError) as caught:
        load_policy("mine")
    assert str(caught.value) == "mine.toml: force.id: field required"
