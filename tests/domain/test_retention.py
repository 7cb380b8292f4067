"""Retention decisions per kind, hold-backs, and anonymising a record's JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlroom.domain.retention import (
    HELD_OPEN_CASE,
    HELD_UNDELIVERED,
    Action,
    ContactFacts,
    Kind,
    RetentionPolicy,
    Rule,
    decide_contact,
)
from controlroom.domain.retention_scrub import MARKER, anonymise, scrub_free_text

AS_OF = datetime(2026, 12, 7, tzinfo=UTC)
POLICY = RetentionPolicy(
    {
        Kind.CONTACTS: Rule(730, Action.ANONYMISE),
        Kind.CONTACTS_WITH_INCIDENT: Rule(2192, Action.DELETE),
        Kind.FREE_TEXT: Rule(365, Action.ANONYMISE),
        Kind.NUISANCE_CASES: Rule(1096, Action.DELETE),
        Kind.AUDIT: Rule(2557, Action.KEEP),
    }
)


def ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


@pytest.mark.parametrize(
    ("ended", "incident", "case", "waiting", "action", "kind", "held"),
    [
        (None, False, None, 0, None, Kind.CONTACTS, None),  # still open: never touched
        (ago(10), False, None, 0, None, Kind.CONTACTS, None),
        (ago(364.9), False, None, 0, None, Kind.CONTACTS, None),
        (ago(365), False, None, 0, Action.ANONYMISE, Kind.FREE_TEXT, None),
        (ago(729), False, None, 0, Action.ANONYMISE, Kind.FREE_TEXT, None),
        (ago(730), False, None, 0, Action.ANONYMISE, Kind.CONTACTS, None),
        # an incident's free text is kept with it: no early redaction
        (ago(400), True, None, 0, None, Kind.CONTACTS_WITH_INCIDENT, None),
        (ago(2191), True, None, 0, None, Kind.CONTACTS_WITH_INCIDENT, None),
        (ago(2192), True, None, 0, Action.DELETE, Kind.CONTACTS_WITH_INCIDENT, None),
        (ago(800), False, "N-1", 0, Action.ANONYMISE, Kind.CONTACTS, HELD_OPEN_CASE),
        (ago(400), False, "N-1", 0, Action.ANONYMISE, Kind.FREE_TEXT, HELD_OPEN_CASE),
        (ago(3000), True, None, 2, Action.DELETE, Kind.CONTACTS_WITH_INCIDENT, HELD_UNDELIVERED),
        (ago(10), False, "N-1", 3, None, Kind.CONTACTS, None),  # not expired: nothing to hold
    ],
)
def test_contact_decisions(
    ended: datetime | None,
    incident: bool,
    case: str | None,
    waiting: int,
    action: Action | None,
    kind: Kind,
    held: str | None,
) -> None:
    decision = decide_contact(ContactFacts("C-1", ended, incident, case, waiting), POLICY, AS_OF)
    assert (decision.action, decision.kind, decision.held) == (action, kind, held)


RECORD = {
    "format": 1,
    "channel": "999",
    "caller": {"number": "+447700900123", "name": "Jane Doe", "age_band": None},
    "narrative": "a man with a knife at 12 Acacia Avenue",
    "notes": [{"text": "Live chat transcript\nvisitor: help", "at": "2020-01-01T00:00:00Z"}],
    "location": [{"source": "aml", "payload": {"lat": "50.1", "lon": "-5.0"}}],
    "triage": [
        {
            "grade": "immediate",
            "reason": "knife",
            "suggestion": {
                "route": "emergency",
                "summary": "weapon at 12 Acacia Avenue",
                "reasons": [
                    {"explanation": "x", "evidence": {"start": 8, "end": 13, "text": "knife"}}
                ],
            },
        }
    ],
    "incident": {"grade": "immediate", "reason": "knife seen", "reference": "DC-1"},
    "history": [{"seq": 1, "details": {"text": "knife", "grade": "immediate", "agency": "nhs"}}],
}


def test_anonymise_removes_the_caller_and_free_text_and_keeps_statistics() -> None:
    out = anonymise(RECORD)
    text = repr(out)
    for personal in ("+447700900123", "Jane Doe", "Acacia", "knife", "help", "50.1"):
        assert personal not in text
    assert out["channel"] == "999"
    assert out["triage"][0]["grade"] == "immediate"
    assert out["triage"][0]["suggestion"]["route"] == "emergency"
    assert out["incident"]["reference"] == "DC-1"
    assert out["location"][0]["source"] == "aml"
    assert out["history"][0]["details"] == {"text": MARKER, "grade": "immediate", "agency": "nhs"}


def test_free_text_redaction_keeps_the_caller() -> None:
    out = scrub_free_text(RECORD)
    assert out["caller"] == RECORD["caller"]
    assert out["narrative"] == MARKER and out["notes"][0]["text"] == MARKER
    assert "Acacia" not in repr(out)


texts = st.text(max_size=20)
records = st.fixed_dictionaries(
    {
        "caller": st.fixed_dictionaries(
            {"number": st.one_of(st.none(), st.just("+447700900001")), "name": texts}
        ),
        "narrative": texts,
        "notes": st.lists(st.fixed_dictionaries({"text": texts}), max_size=3),
        "history": st.lists(
            st.fixed_dictionaries(
                {"seq": st.integers(1, 9), "details": st.dictionaries(texts, texts, max_size=3)}
            ),
            max_size=3,
        ),
    }
)


@given(records)
def test_scrubbing_twice_changes_nothing_the_second_time(record: dict[str, object]) -> None:
    once = anonymise(record)
    assert anonymise(once) == once
    redacted = scrub_free_text(record)
    assert scrub_free_text(redacted) == redacted


@given(st.floats(0, 3000), st.booleans())
def test_an_unexpired_contact_is_never_touched(days: float, incident: bool) -> None:
    decision = decide_contact(ContactFacts("C-1", ago(days), incident), POLICY, AS_OF)
    shortest = POLICY.rule(Kind.CONTACTS_WITH_INCIDENT if incident else Kind.FREE_TEXT)
    if days < shortest.after_days:
        assert decision.action is None
    else:
        assert decision.action is not None
