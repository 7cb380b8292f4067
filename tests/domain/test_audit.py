"""The audit chain in memory: the hash, the tags, and the first problem verify_chain finds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from controlroom.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditTag,
    ChainHead,
    ProblemKind,
    chain_hash,
    contact_tag,
    verify_chain,
)
from controlroom.domain.contacts import ActionKind
from controlroom.domain.errors import InvalidInput

START = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        entry = AuditEntry.create(
            seq=seq,
            actor="handler-1",
            role="call_handler",
            tag=AuditTag.CONTACT_WARN,
            subject=f"contact:C-{seq}",
            at=START + timedelta(seconds=seq, microseconds=seq),
            details={"n": seq, "text": "café ☕", "list": (1, 2)},
            prev_hash=prev,
        )
        entries.append(entry)
        prev = entry.hash
    return entries


def test_the_hash_is_sha256_of_the_documented_canonical_json() -> None:
    at = datetime(2026, 2, 1, 9, 0, 0, 5, tzinfo=UTC)
    document = (
        '{"actor":"a","at":"2026-02-01T09:00:00.000005Z","details":{"k":"é"},'
        '"prev_hash":"' + GENESIS_HASH + '","role":"admin","seq":1,"subject":"s","tag":"t"}'
    )
    expected = hashlib.sha256(document.encode("utf-8")).hexdigest()
    got = chain_hash(
        GENESIS_HASH,
        seq=1,
        actor="a",
        role="admin",
        tag="t",
        subject="s",
        at=at,
        details={"k": "é"},
    )
    assert got == expected


def test_an_intact_chain_is_ok() -> None:
    entries = chain(5)
    report = verify_chain(entries, ChainHead(5, entries[-1].hash))
    assert report.ok and report.count == 5 and report.last_seq == 5
    assert verify_chain([]).ok
    assert verify_chain([], ChainHead()).ok


def test_details_are_normalised_as_storage_returns_them() -> None:
    entry = chain(1)[0]
    assert entry.details == {"n": 1, "text": "café ☕", "list": [1, 2]}
    assert json.loads(json.dumps(dict(entry.details))) == entry.details
    with pytest.raises(InvalidInput):
        AuditEntry.create(
            seq=1,
            actor="a",
            role="admin",
            tag="t",
            subject="s",
            at=START,
            details={"when": START},
            prev_hash=GENESIS_HASH,
        )


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidInput):
        chain_hash(
            GENESIS_HASH,
            seq=1,
            actor="a",
            role="r",
            tag="t",
            subject="s",
            at=datetime(2026, 1, 1),
            details={},
        )


def test_an_edited_row_is_reported_at_its_seq() -> None:
    entries = chain(5)
    entries[2] = replace(entries[2], details={"n": 99})
    report = verify_chain(entries)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (3, ProblemKind.EDITED)
    assert report.count == 2
    assert str(report.problem).startswith("row 3 (edited):")


def test_an_edited_row_with_its_hash_recomputed_breaks_the_next_link() -> None:
    entries = chain(5)
    forged = AuditEntry.create(
        seq=3,
        actor="intruder",
        role="admin",
        tag="t",
        subject="s",
        at=START,
        details={},
        prev_hash=entries[1].hash,
    )
    entries[2] = forged
    report = verify_chain(entries)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (4, ProblemKind.BROKEN_LINK)


@pytest.mark.parametrize(("deleted", "reported"), [(0, 2), (2, 4), (1, 3)])
def test_a_deleted_row_is_reported_at_the_row_after_the_gap(deleted: int, reported: int) -> None:
    entries = chain(5)
    del entries[deleted]
    report = verify_chain(entries)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (reported, ProblemKind.DELETED)
    assert f"row {deleted + 1} is missing" in report.problem.message


def test_deleted_rows_at_the_end_are_found_with_the_head() -> None:
    entries = chain(5)
    head = ChainHead(5, entries[-1].hash)
    report = verify_chain(entries[:3], head)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (4, ProblemKind.DELETED)
    assert "rows 4–5 are missing" in report.problem.message


def test_rows_beyond_the_head_are_reported() -> None:
    entries = chain(5)
    report = verify_chain(entries, ChainHead(4, entries[3].hash))
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (5, ProblemKind.HEAD_MISMATCH)
    report = verify_chain(entries, ChainHead(5, "f" * 64))
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (5, ProblemKind.HEAD_MISMATCH)


def test_repeated_seq_is_out_of_order() -> None:
    entries = chain(3)
    entries.append(entries[2])
    report = verify_chain(entries)
    assert report.problem is not None
    assert report.problem.kind is ProblemKind.OUT_OF_ORDER


def test_a_first_row_not_chained_to_genesis_is_a_broken_link() -> None:
    entry = AuditEntry.create(
        seq=1, actor="a", role="r", tag="t", subject="s", at=START, details={}, prev_hash="a" * 64
    )
    report = verify_chain([entry])
    assert report.problem is not None
    assert report.problem.kind is ProblemKind.BROKEN_LINK
    assert "the start of the log" in report.problem.message


def test_tags_have_three_parts_and_every_action_has_one() -> None:
    for tag in AuditTag:
        assert len(tag.value.split(":")) == 3, tag
    for kind in ActionKind:
        assert contact_tag(kind).value == f"contact:procedure:{kind.value}"
    assert contact_tag(ActionKind.OFFER, telephony=True) is AuditTag.TELEPHONY_OFFERED
    assert contact_tag(ActionKind.WARN, telephony=True) is AuditTag.CONTACT_WARN
    assert AuditTag.CONTACT_WARN == "contact:procedure:warn"


def test_every_tag_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text()
    for tag in AuditTag:
        assert f"| `{tag.value}` |" in doc, tag
