"""A case's JSON keeps what the ladder's safeguards read (markers, the faulty-device flag's
time and confidence), and a record stored before they existed still reads."""

from __future__ import annotations

from datetime import timedelta

from controlroom.adapters.db.nuisance import case_from_json, case_to_json
from controlroom.domain.nuisance import Assess, Confidence, NuisanceCase, NuisanceKind
from controlroom.domain.nuisance.config import DEFAULT_LADDER
from controlroom.domain.policy import Policy, VulnerabilityFlag
from tests.domain.nuisance.helpers import HANDLER, NOW, NUMBER, SYSTEM


def test_the_safeguards_fields_round_trip(policy: Policy) -> None:
    case, _ = NuisanceCase.open(
        case_id="N-j", actor=HANDLER, now=NOW, policy=policy, reason="calls", number=NUMBER
    )
    assessment = Assess(
        frozenset({NuisanceKind.FAULTY_DEVICE, NuisanceKind.VULNERABLE_PERSON}),
        faulty_confidence=Confidence.HIGH,
        markers=frozenset({VulnerabilityFlag.CHILD}),
    )
    at = NOW + timedelta(minutes=1)
    case.apply(assessment, actor=SYSTEM, now=at, policy=policy, ladder=DEFAULT_LADDER)
    record = case.record
    assert case_from_json(case_to_json(record)) == record
    assert record.markers == {VulnerabilityFlag.CHILD}
    assert (record.faulty_at, record.faulty_confidence) == (at, Confidence.HIGH)
    older = case_to_json(record)
    for key in ("markers", "faulty_at", "faulty_confidence"):
        older.pop(key)
    restored = case_from_json(older)
    assert restored.faulty_at is None and restored.markers == frozenset()
    assert restored.vulnerability_unresolved  # the vulnerable flag still blocks
