"""The [nuisance.safeguards] table: the ladder's safeguards as policy data, in the shipped
policies and as a broken table reports them; and the override on the letter it allows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from controlroom.adapters.documents import build_document_data, render_html
from controlroom.adapters.nuisance_config import load_nuisance_config
from controlroom.adapters.policy_file import load_policy
from controlroom.domain.nuisance import (
    Approve,
    Assess,
    Confidence,
    DocumentKind,
    LadderRules,
    NuisanceCase,
    NuisanceKind,
    OverrideVulnerability,
    Propose,
    Record,
    summarise,
)
from controlroom.domain.policy import VulnerabilityFlag
from tests.adapters.test_documents import HANDLER, NOW, NUMBER, SUPERVISOR, calls
from tests.adapters.test_nuisance_config import MINIMAL, problems, write


def test_the_shipped_policies_state_their_rules() -> None:
    seed = load_nuisance_config("dcp-p-042", load_policy("dcp-p-042")).ladder.rules
    assert seed == LadderRules()
    assert seed.min_calls_between_steps == 1 and seed.min_hours_between_steps == 168
    assert seed.blocking_flags == {NuisanceKind.FAULTY_DEVICE, NuisanceKind.VULNERABLE_PERSON}
    shire = load_nuisance_config("example-shire", load_policy("example-shire")).ladder.rules
    assert VulnerabilityFlag.DISTRESS_OR_TRAUMA in shire.vulnerable_markers
    assert shire.min_hours_between_steps == 336


def test_a_table_sets_each_rule(tmp_path: Path) -> None:
    body = (
        "[nuisance.safeguards]\n"
        'blocking_flags = ["vulnerable_person"]\n'
        'faulty_min_confidence = "high"\n'
        'vulnerable_markers = ["child"]\n'
        'guarded_documents = ["warning_letter", "pecs_request", "prosecution_summary"]\n'
        "min_calls_between_steps = 3\n"
        "min_hours_between_steps = 24\n"
    )
    rules = load_nuisance_config(write(tmp_path, MINIMAL + body)).ladder.rules
    assert rules == LadderRules(
        blocking_flags=frozenset({NuisanceKind.VULNERABLE_PERSON}),
        faulty_min_confidence=Confidence.HIGH,
        vulnerable_markers=frozenset({VulnerabilityFlag.CHILD}),
        guarded_documents=frozenset(
            {
                DocumentKind.WARNING_LETTER,
                DocumentKind.PECS_REQUEST,
                DocumentKind.PROSECUTION_SUMMARY,
            }
        ),
        min_calls_between_steps=3,
        min_hours_between_steps=24,
    )


def test_a_forces_own_ladder_keeps_the_rules(tmp_path: Path) -> None:
    body = (
        "[nuisance.safeguards]\nmin_calls_between_steps = 2\n"
        '[[nuisance.ladder]]\nid = "a"\nname = "A"\n'
    )
    ladder = load_nuisance_config(write(tmp_path, MINIMAL + body)).ladder
    assert [s.id for s in ladder.steps] == ["a"] and ladder.rules.min_calls_between_steps == 2


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "min_hours_between_step = 3\n",
            "nuisance.safeguards.min_hours_between_step: unknown key; "
            "did you mean 'min_hours_between_steps'?",
        ),
        (
            'faulty_min_confidence = "certain"\n',
            "nuisance.safeguards.faulty_min_confidence: input should be 'low', 'medium' or 'high'",
        ),
        (
            "min_calls_between_steps = -1\n",
            "nuisance.safeguards.min_calls_between_steps: input should be greater than or "
            "equal to 0",
        ),
        (
            'blocking_flags = ["faulty"]\n',
            "nuisance.safeguards.blocking_flags[0]: input should be 'faulty_device' or "
            "'vulnerable_person'",
        ),
        (
            'guarded_documents = ["safeguarding_referral"]\n',
            "nuisance.safeguards.guarded_documents[0]: input should be 'warning_letter', "
            "'pecs_request' or 'prosecution_summary'",
        ),
    ],
)
def test_a_broken_table_names_the_field(tmp_path: Path, body: str, expected: str) -> None:
    assert problems(write(tmp_path, MINIMAL + "[nuisance.safeguards]\n" + body)) == [expected]


def test_the_letter_shows_the_supervisors_override() -> None:
    policy = load_policy("dcp-p-042")
    config = load_nuisance_config("dcp-p-042", policy)
    history = summarise(calls(), NOW, config.tz)
    case, _ = NuisanceCase.open(
        case_id="N-1", actor=HANDLER, now=NOW, policy=policy, reason="calls", number=NUMBER
    )
    now = NOW
    script = [
        (
            Assess(frozenset({NuisanceKind.FAULTY_DEVICE}), faulty_confidence=Confidence.HIGH),
            HANDLER,
        ),
        (Record("advice", "advised"), HANDLER),
        (OverrideVulnerability("the provider says the handset is sound"), SUPERVISOR),
        (Propose("warning_letter", "calls continue"), HANDLER),
        (Approve("agreed"), SUPERVISOR),
    ]
    for command, actor in script:
        now += timedelta(minutes=1)
        case.apply(command, actor=actor, now=now, policy=policy, ladder=config.ladder)  # type: ignore[arg-type]
    data = build_document_data(
        DocumentKind.WARNING_LETTER,
        case,
        history,
        policy,
        config.ladder,
        generated_at=now,
        reference="N-1-WL-1",
        prepared_by=HANDLER,
    )
    assert data.override.startswith("The number is flagged as faulty device. Supervisor ")
    assert "the provider says the handset is sound" in data.override
    html = render_html(data, config.templates)
    assert "Supervisor's override" in html and "the provider says the handset is sound" in html
    referral = build_document_data(
        DocumentKind.SAFEGUARDING_REFERRAL,
        case,
        history,
        policy,
        config.ladder,
        generated_at=now,
        reference="N-1-SR-1",
        prepared_by=HANDLER,
    )
    assert referral.override == ""  # the referral rests on no override
