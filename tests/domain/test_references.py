"""Incident references in the force's format: the scope is the prefix and the force's local
day, numbers keep at least the given digits and are never cut, a reference is read back in any
case, and a bad format is refused saying how to write it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controlroom.domain.errors import InvalidInput, PolicyError
from controlroom.domain.references import ReferenceFormat

DC = ReferenceFormat(prefix="DC", digits=4)


@pytest.mark.parametrize(
    ("style", "at", "number", "reference"),
    [
        (DC, datetime(2026, 12, 7, 9, 0, tzinfo=UTC), 42, "DC-20261207-0042"),
        (DC, datetime(2026, 12, 7, 23, 59, tzinfo=UTC), 1, "DC-20261207-0001"),
        # 23:30 UTC in summer is 00:30 the next day in London
        (DC, datetime(2026, 6, 30, 23, 30, tzinfo=UTC), 7, "DC-20260701-0007"),
        (DC, datetime(2026, 12, 7, 9, 0, tzinfo=UTC), 12345, "DC-20261207-12345"),
        (ReferenceFormat("ESC", 5), datetime(2026, 3, 1, tzinfo=UTC), 3, "ESC-20260301-00003"),
        (
            ReferenceFormat("NY", 3, "America/New_York"),
            datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
            9,
            "NY-20261206-009",
        ),
    ],
)
def test_references_are_made_in_the_forces_format(
    style: ReferenceFormat, at: datetime, number: int, reference: str
) -> None:
    assert style.make(at, number) == reference
    assert style.read(reference) == reference


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("DC-20261207-0042", "DC-20261207-0042"),
        ("  dc-20261207-0042 ", "DC-20261207-0042"),
        ("DC-20261207-12345", "DC-20261207-12345"),
        ("DC-20261207-042", None),  # too few digits
        ("DC-2026127-0042", None),
        ("XY-20261207-0042", None),  # another force's prefix
        ("DC-20261207-0042x", None),
        ("07700 900113", None),
    ],
)
def test_reading_a_reference(text: str, read: str | None) -> None:
    assert DC.read(text) == read


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"prefix": "dc"}, "capital letters"),
        ({"prefix": "TOOLONG"}, "capital letters"),
        ({"prefix": ""}, "capital letters"),
        ({"digits": 2}, "3-8"),
        ({"digits": 9}, "3-8"),
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_a_bad_format_is_refused_with_how_to_write_it(
    fields: dict[str, object], words: str
) -> None:
    with pytest.raises(PolicyError, match=words) as caught:
        ReferenceFormat(**fields)  # type: ignore[arg-type]
    assert caught.value.hint


def test_a_number_starts_at_one_and_a_time_needs_its_zone() -> None:
    with pytest.raises(InvalidInput, match="starts at 1"):
        DC.make(datetime(2026, 12, 7, tzinfo=UTC), 0)
    with pytest.raises(InvalidInput, match="zone"):
        DC.scope(datetime(2026, 12, 7))
    assert DC.example() == "DC-20261207-0042"
