"""Reading what a handler types: every notation placed with its accuracy, what3words through
the API client (against a local server answering as the documented API does), postcodes and
places from the gazetteer, and a plain note for what cannot be placed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from controlroom.adapters.location_reader import TypedLocationReader
from controlroom.adapters.what3words_client import What3WordsService
from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import LocationSource
from controlroom.domain.location.gazetteer import EntryKind, GazetteerEntry, TypedOutcome
from tests.adapters.test_what3words_client import KEY, FakeWhat3Words
from tests.adapters.test_what3words_client import fake as fake  # the fixture
from tests.fakes.gazetteer import MemoryGazetteer

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
GAZETTEER = MemoryGazetteer(
    [
        GazetteerEntry(EntryKind.POSTCODE, "PL1 2AB", 50.36801, -4.13741, 100.0),
        GazetteerEntry(EntryKind.PLACE, "Plymouth Hoe", 50.3641, -4.1419, 300.0),
        GazetteerEntry(EntryKind.PLACE, "Plympton", 50.3868, -4.0513, 1000.0),
    ]
)


@pytest.fixture
def reader(fake: FakeWhat3Words) -> TypedLocationReader:
    return TypedLocationReader(What3WordsService(KEY, api_url=f"{fake.url}/v3"), GAZETTEER)


@pytest.fixture
def offline() -> Iterator[TypedLocationReader]:
    yield TypedLocationReader(What3WordsService(None), GAZETTEER)


@pytest.mark.parametrize(
    ("text", "fmt", "source", "accuracy"),
    [
        ("SX 47712 54421", "os_grid_reference", LocationSource.OS_GRID, 2.0),
        ("SX 477 544", "os_grid_reference", LocationSource.OS_GRID, 50.0),
        ("E 247712 N 054421", "os_easting_northing", LocationSource.OS_GRID, 2.0),
        ("9C2Q9V97+62", "plus_code", LocationSource.PLUS_CODE, 8.3),
        ("50.3680, -4.1374", "decimal_degrees", LocationSource.COORDINATES, 6.6),
        ("50.3680N 4.1374W", "decimal_degrees", LocationSource.COORDINATES, 6.6),
        ("50°22'04.8\"N 4°08'14.6\"W", "dms", LocationSource.COORDINATES, 1.8),
        ("///filled.count.soap", "what3words", LocationSource.WHAT3WORDS, None),
        ("pl1 2ab", "postcode", LocationSource.POSTCODE, 100.0),
        ("plymouth hoe", "place", LocationSource.PLACE, 300.0),
        ("plympt", "place", LocationSource.PLACE, 1000.0),  # one match: that one
    ],
)
def test_each_notation_is_placed_with_its_accuracy(
    reader: TypedLocationReader,
    text: str,
    fmt: str,
    source: LocationSource,
    accuracy: float | None,
) -> None:
    typed = reader.read(text, stated_at=NOW)
    assert typed.outcome is TypedOutcome.LOCATED, typed.note
    assert typed.format == fmt and typed.fix is not None
    assert typed.fix.source is source
    assert typed.fix.positioned_at == NOW
    if accuracy is None:
        assert typed.fix.accuracy_m is not None and 1 < typed.fix.accuracy_m < 3
    else:
        assert typed.fix.accuracy_m == pytest.approx(accuracy, abs=0.05)
    assert typed.note


def test_a_short_plus_code_is_placed_near_the_reference_point(
    reader: TypedLocationReader,
) -> None:
    assert reader.read("9V97+62", stated_at=NOW).fix is None
    typed = reader.read("9V97+62", stated_at=NOW, near=(50.37, -4.14))
    assert typed.fix is not None and typed.fix.lat == pytest.approx(50.368, abs=0.001)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("filled.count.soaps", "what3words does not know it — did the caller mean"),
        ("EX1 1AA", "postcode EX1 1AA is not in the force's gazetteer"),
    ],
)
def test_what_cannot_be_placed_says_why(reader: TypedLocationReader, text: str, words: str) -> None:
    typed = reader.read(text, stated_at=NOW)
    assert typed.outcome is TypedOutcome.UNLOCATED and words in typed.note


def test_without_a_key_three_words_are_kept_and_the_reason_said(
    offline: TypedLocationReader,
) -> None:
    typed = offline.read("Filled.Count.Soap", stated_at=NOW)
    assert typed.fix is None and typed.format == "what3words"
    assert "///filled.count.soap could not be converted: what3words is not configured" in typed.note


def test_an_unreachable_service_is_said_plainly() -> None:
    service = What3WordsService(KEY, api_url="http://127.0.0.1:9/v3", timeout_s=0.5)
    typed = TypedLocationReader(service, GAZETTEER).read("///filled.count.soap", stated_at=NOW)
    assert typed.fix is None and "what3words could not be reached" in typed.note


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("SX 1234 567", "os_grid", "same number of figures"),
        ("behind the shed", "text", "no postcode or place in the gazetteer matches it"),
        ("plym", "text", "matches 2 gazetteer entries"),
        ("", "text", "no location given"),
    ],
)
def test_text_that_is_no_location_is_refused_saying_what_would_do(
    offline: TypedLocationReader, text: str, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        offline.read(text, stated_at=NOW)
    assert words in caught.value.message
    assert caught.value.field == field and caught.value.hint
