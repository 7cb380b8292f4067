"""The evidence list in words: a landline's address as an address, three words with the
place to read back, typed text with where it was placed, and the reason for what has none."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controlroom.domain.location import LocationFix, LocationSource
from controlroom.domain.location.best import choose_best
from controlroom.services.contact_evidence import read_evidence
from controlroom.services.location_matching import (
    evidence_for_address,
    evidence_for_fix,
    evidence_for_unlocated,
)
from controlroom.services.location_view import evidence_row, location_panel

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ADDRESS = "12 Harbour Street, Plymouth PL1 2AB"


@pytest.mark.parametrize(
    ("evidence", "label", "text", "accuracy", "located"),
    [
        (
            evidence_for_address(ADDRESS, NOW, 50.36801, -4.13741),
            "Landline address",
            ADDRESS,
            "",
            True,
        ),
        (evidence_for_address(ADDRESS, NOW), "Landline address", ADDRESS, "", False),
        (
            evidence_for_fix(
                LocationFix(
                    source=LocationSource.WHAT3WORDS,
                    lat=51.52,
                    lon=-0.19,
                    accuracy_m=2.1,
                    extra={"words": "filled.count.soap", "nearest_place": "Bayswater"},
                ),
                NOW,
            ),
            "what3words",
            "///filled.count.soap (near Bayswater)",
            "± 2 m",
            True,
        ),
        (
            evidence_for_fix(
                LocationFix(
                    source=LocationSource.OS_GRID,
                    lat=50.36993,
                    lon=-4.14279,
                    accuracy_m=2.0,
                    raw="SX 47712 54421",
                ),
                NOW,
            ),
            "OS grid reference",
            "SX 47712 54421 → 50.36993, -4.14279",
            "± 2 m",
            True,
        ),
        (
            evidence_for_fix(
                LocationFix(
                    source=LocationSource.AML_SMS_V1,
                    lat=50.1,
                    lon=-4.1,
                    accuracy_m=1500,
                    raw='A"ML=1;lt=+50.10000',
                ),
                NOW,
            ),
            "AML (handset)",
            "50.1, -4.1",
            "± 1,500 m",
            True,
        ),
        (
            evidence_for_unlocated(LocationSource.POSTCODE, "EX1 1AA", "not in the gazetteer", NOW),
            "Postcode",
            "EX1 1AA",
            "",
            False,
        ),
    ],
)
def test_each_piece_of_evidence_in_words(
    evidence: object, label: str, text: str, accuracy: str, located: bool
) -> None:
    row = evidence_row(evidence)  # type: ignore[arg-type]
    assert (row.label, row.text, row.accuracy, row.located) == (label, text, accuracy, located)


def test_a_landline_best_fix_is_given_by_its_address_and_rows_are_newest_first() -> None:
    items = [
        evidence_for_address(ADDRESS, NOW, 50.36801, -4.13741),
        evidence_for_unlocated(
            LocationSource.WHAT3WORDS, "a.b.c", "what3words does not know it", NOW
        ),
    ]
    fixes = [found for found in (read_evidence(item) for item in items) if found is not None]
    panel = location_panel(items, choose_best(fixes, NOW))
    assert panel.best is not None and panel.best.startswith(ADDRESS)
    assert [row.source for row in panel.rows] == ["what3words", "landline_address"]
    assert panel.latest is not None and panel.latest.note == "what3words does not know it"
    assert location_panel([], None).best is None
