"""Word classes and frames in the rulebook: loading, checking, and how a frame is read."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from controlroom.adapters.policy_file import PolicyFileError, load_policy_file
from controlroom.domain.policy import Policy
from controlroom.domain.triage import ReasonKind, make_contact_text, triage
from controlroom.domain.triage import compiled as compiled_module
from controlroom.domain.triage.anchors import anchors_of, needs_digit
from controlroom.domain.triage.compiled import compile_rulebook
from controlroom.domain.triage.reading import read
from controlroom.domain.triage.text import normalise
from tests.domain.test_triage_cases import CASES

POLICIES = Path(__file__).parents[2] / "src" / "controlroom" / "policies"


def _with_rulebook_tail(tmp_path: Path, tail: str) -> Path:
    shutil.copy(POLICIES / "dcp-p-042.toml", tmp_path / "dcp-p-042.toml")
    (tmp_path / "rulebooks").mkdir()
    text = (POLICIES / "rulebooks" / "uk-english.toml").read_text(encoding="utf-8")
    (tmp_path / "rulebooks" / "uk-english.toml").write_text(text + tail, encoding="utf-8")
    return tmp_path / "dcp-p-042.toml"


def _problems(path: Path) -> list[str]:
    with pytest.raises(PolicyFileError) as caught:
        load_policy_file(path)
    return [str(problem) for problem in caught.value.problems]


def test_a_frame_naming_an_unknown_word_class_is_refused_clearly(tmp_path: Path) -> None:
    path = _with_rulebook_tail(
        tmp_path,
        """
[[frames]]
id = "frame-typo"
description = "A frame with a typo"
group = "violence"
route = "police_non_emergency"
paragraph = "guidance.report"
requires = ["harm-act", "persn"]
""",
    )
    problems = _problems(path)
    assert any("frames.frame-typo" in p and "'persn'" in p for p in problems), problems


def test_a_frame_with_a_bad_scope_is_refused_clearly(tmp_path: Path) -> None:
    path = _with_rulebook_tail(
        tmp_path,
        """
[[frames]]
id = "frame-scope"
description = "A frame with a bad scope"
group = "violence"
route = "police_non_emergency"
paragraph = "guidance.report"
requires = ["harm-act"]
scope = "paragraph"
""",
    )
    problems = _problems(path)
    assert any("scope" in p and "frame-scope" in p for p in problems), problems


def test_a_word_class_with_a_broken_pattern_is_refused(tmp_path: Path) -> None:
    path = _with_rulebook_tail(
        tmp_path,
        """
[[word_classes]]
id = "broken"
description = "A broken class"
patterns = ['''(unclosed''']
""",
    )
    problems = _problems(path)
    assert any("word_classes.broken.patterns[0]" in p for p in problems), problems


def test_the_shipped_rulebook_has_frames_for_every_clause(policy: Policy) -> None:
    frames = policy.rulebook.frames
    clauses = {f.rule.emergency.paragraph for f in frames if f.rule.emergency}
    for key in ("danger-to-life", "crime-in-progress", "judgement"):
        assert policy.cite(f"emergency.{key}") in clauses


@pytest.mark.parametrize(
    "weapon", ["screwdriver", "hammer", "bottle", "cricket bat", "golf club", "spanner"]
)
def test_any_everyday_object_swung_at_someone_is_a_weapon(policy: Policy, weapon: str) -> None:
    decision = triage(
        make_contact_text(f"He came at me with a {weapon}.", "999", max_chars=10_000), policy
    )
    assert decision.route.value == "emergency"
    frame = next(r for r in decision.reasons if r.rule == "frame-object-as-weapon")
    assert frame.evidence is not None and weapon in frame.evidence.text


@pytest.mark.parametrize("animal", ["seagull", "fox", "magpie", "squirrel", "cat"])
def test_an_animal_as_the_subject_of_a_crime_verb_is_no_crime(policy: Policy, animal: str) -> None:
    decision = triage(
        make_contact_text(f"A {animal} stole my sandwich.", "999", max_chars=10_000), policy
    )
    assert decision.route.value == "not_police"
    suppressed = [r for r in decision.reasons if r.kind is ReasonKind.SUPPRESSION]
    assert suppressed  # the theft is read as an animal being an animal, and says so
    # ...but a person stealing an animal is a theft.
    person = triage(
        make_contact_text(f"Someone stole my {animal}.", "999", max_chars=10_000), policy
    )
    assert person.route.value == "police_non_emergency"


def test_a_frame_in_the_past_is_no_emergency(policy: Policy) -> None:
    decision = triage(
        make_contact_text(
            "Last year my ex came at me with a hammer, I want to report it.",
            "999",
            max_chars=10_000,
        ),
        policy,
    )
    assert decision.route.value == "police_non_emergency"


@pytest.mark.parametrize(
    ("pattern", "anchors"),
    [
        ("(?:fell|fallen|falling) (?:down|off)", ("fell", "fallen", "falling")),
        ("(?:going|gonna) to (?:get|do)", ("going", "gonna")),
        ("(?:hung|hangs|hanging) up", ("hung", "hangs", "hanging")),
    ],
)
def test_alternatives_sharing_a_prefix_are_still_anchored(
    pattern: str, anchors: tuple[str, ...]
) -> None:
    assert anchors_of(pattern) == anchors


def test_the_anchor_index_never_changes_what_is_found(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed = compile_rulebook(policy.rulebook)
    monkeypatch.setattr(compiled_module, "anchors_of", lambda pattern: None)
    scanned = compile_rulebook(policy.rulebook)
    texts = [case["text"] for case in CASES]

    def found(book: Any, text: str) -> tuple[Any, ...]:
        reading = read(book, normalise(text))
        return (
            sorted({(m.rule.id, m.escalated, m.active) for m in reading.matters}),
            sorted({w.id for w, _ in reading.signals}),
            sorted({v.id for v, _ in reading.vulnerabilities}),
        )

    for text in texts:
        assert found(indexed, text) == found(scanned, text), text


@pytest.mark.parametrize(
    ("pattern", "digit"),
    [
        (r"(?:[1-9]|1[0-7])[- ]?(?:year|yr)s?[- ]?old", True),
        (r"\d+ ?mph", True),
        (r"aged (?:[6-9]\d|1[01]\d)", True),
        (r"(?:a|m)\d*", False),
        ("home alone", False),
    ],
)
def test_patterns_that_need_a_digit_are_known(pattern: str, digit: bool) -> None:
    assert needs_digit(pattern) is digit
