"""Chain versions and tombstones in memory: version 1 rows verify as before, version 2 rows are
hashed over the digest of their details, and a tombstone recorded by a redaction row verifies
while any other change to the row is found."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from controlroom.domain.audit import (
    CHAIN_V1,
    CHAIN_V2,
    GENESIS_HASH,
    AuditEntry,
    AuditTag,
    ChainHead,
    ProblemKind,
    canonical_json,
    chain_hash,
    chain_hash_v2,
    details_digest,
    verify_chain,
)
from controlroom.domain.audit_redaction import (
    personal_fields,
    redactable,
    redaction_details,
    tombstone,
    tombstone_fields,
)

START = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
SMS = {"event_id": "e-1", "text": "he has a knife, 12 Mill Lane", "occurred_at": "x"}


def v1_row(seq: int, prev: str, details: dict[str, Any]) -> AuditEntry:
    """A row as written before chain version 2 (and as migration 0011 leaves it)."""
    at = START + timedelta(seconds=seq)
    tag = "contact:procedure:add_note"
    hashed = chain_hash(
        prev,
        seq=seq,
        actor="h",
        role="call_handler",
        tag=tag,
        subject="contact:C-1",
        at=at,
        details=details,
    )
    digest = details_digest(details)
    return AuditEntry(
        seq, "h", "call_handler", tag, "contact:C-1", at, details, prev, hashed, digest, CHAIN_V1
    )


def v2_row(
    seq: int, prev: str, details: dict[str, Any], tag: str = AuditTag.TELEPHONY_SMS_RECEIVED
) -> AuditEntry:
    return AuditEntry.create(
        seq=seq,
        actor="telephony",
        role="integration",
        tag=tag,
        subject="contact:C-1",
        at=START + timedelta(seconds=seq),
        details=details,
        prev_hash=prev,
    )


def mixed() -> list[AuditEntry]:
    """Two version 1 rows, then three of version 2 (the upgrade between)."""
    rows = [v1_row(1, GENESIS_HASH, {"note": "café ☕"})]
    rows.append(v1_row(2, rows[-1].hash, {"note": "second"}))
    for seq in (3, 4, 5):
        rows.append(v2_row(seq, rows[-1].hash, SMS | {"event_id": f"e-{seq}"}))
    return rows


def redacted(rows: list[AuditEntry], seqs: list[int]) -> list[AuditEntry]:
    """``rows`` with a redaction row appended naming ``seqs``, and those rows tombstoned."""
    record = v2_row(
        len(rows) + 1, rows[-1].hash, redaction_details("contacts", seqs), AuditTag.AUDIT_REDACT
    )
    out = [
        replace(r, details=tombstone(r, rule="contacts", row=record.seq, at=START))
        if r.seq in seqs
        else r
        for r in rows
    ]
    return [*out, record]


def test_the_version_2_hash_is_sha256_of_the_documented_canonical_json() -> None:
    details = {"text": "é", "b": [1, 2]}
    digest = hashlib.sha256('{"b":[1,2],"text":"é"}'.encode()).hexdigest()
    assert details_digest(details) == digest
    document = (
        '{"actor":"a","at":"2026-02-01T09:00:00.000000Z","chain_version":2,'
        f'"details_digest":"{digest}","prev_hash":"{GENESIS_HASH}","role":"admin","seq":1,'
        '"subject":"s","tag":"t"}'
    )
    expected = hashlib.sha256(document.encode()).hexdigest()
    got = chain_hash_v2(
        GENESIS_HASH, seq=1, actor="a", role="admin", tag="t", subject="s", at=START, digest=digest
    )
    assert got == expected
    entry = AuditEntry.create(
        seq=1,
        actor="a",
        role="admin",
        tag="t",
        subject="s",
        at=START,
        details=details,
        prev_hash=GENESIS_HASH,
    )
    assert (entry.hash, entry.details_digest, entry.chain_version) == (expected, digest, CHAIN_V2)
    assert canonical_json(entry.details) == '{"b":[1,2],"text":"é"}'


def test_version_1_rows_then_version_2_rows_verify_and_are_counted() -> None:
    rows = mixed()
    report = verify_chain(rows, ChainHead(5, rows[-1].hash))
    assert report.ok and report.count == 5
    assert (report.version_1, report.redacted) == (2, 0)


def test_a_changed_detail_is_named_in_either_version() -> None:
    for seq in (2, 4):
        rows = mixed()
        rows[seq - 1] = replace(rows[seq - 1], details={"note": "nothing to see"})
        report = verify_chain(rows)
        assert report.problem is not None
        assert (report.problem.seq, report.problem.kind) == (seq, ProblemKind.EDITED)
        assert report.count == seq - 1


def test_a_changed_digest_is_named() -> None:
    rows = mixed()
    rows[3] = replace(rows[3], details_digest="0" * 64)  # version 2: the hash covers it
    rows[1] = replace(rows[1], details_digest="1" * 64)  # version 1: checked against details
    report = verify_chain(rows)
    assert report.problem is not None and report.problem.seq == 2
    assert "stored digest" in report.problem.message
    rows[1] = mixed()[1]
    report = verify_chain(rows)
    assert report.problem is not None and report.problem.seq == 4
    assert report.problem.kind is ProblemKind.EDITED


def test_a_recorded_tombstone_verifies_and_is_counted() -> None:
    rows = redacted(mixed(), [3, 5])
    report = verify_chain(rows, ChainHead(6, rows[-1].hash))
    assert report.ok, report.problem
    assert report.redacted == 2 and report.count == 6
    stone = rows[2].details["redacted"]
    assert stone["rule"] == "contacts" and stone["row"] == 6
    assert tombstone_fields(rows[2].details) == ["event_id", "occurred_at", "text"]
    assert "knife" not in canonical_json([dict(rows[2].details), dict(rows[4].details)])
    assert "knife" in canonical_json(dict(rows[3].details))  # row 4 was not named


def test_a_tombstone_no_redaction_row_records_is_found() -> None:
    rows = redacted(mixed(), [3])
    rows[4] = replace(rows[4], details=tombstone(rows[4], rule="contacts", row=6, at=START))
    report = verify_chain(rows)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (5, ProblemKind.EDITED)
    assert "no redaction row records" in report.problem.message


def test_a_tombstone_on_a_version_1_row_is_found() -> None:
    rows = mixed()
    rows[0] = replace(rows[0], details=tombstone(rows[0], rule="contacts", row=9, at=START))
    report = verify_chain(rows)
    assert report.problem is not None
    assert (report.problem.seq, report.problem.kind) == (1, ProblemKind.EDITED)


def test_any_other_change_to_a_tombstoned_row_is_found() -> None:
    changes: list[dict[str, Any]] = [
        {"actor": "someone-else"},
        {"tag": "contact:procedure:answer"},
        {"subject": "contact:C-2"},
        {"at": START},
        {"details_digest": details_digest({"text": "other"})},
        {"details": {"text": "a different message"}},
        {"chain_version": CHAIN_V1},
    ]
    for change in changes:
        rows = redacted(mixed(), [4])
        rows[3] = replace(rows[3], **change)
        report = verify_chain(rows)
        assert report.problem is not None, change
        assert (report.problem.seq, report.problem.kind) == (4, ProblemKind.EDITED), change


def test_which_rows_are_redacted() -> None:
    rows = mixed()
    assert not redactable(rows[0])  # version 1: its hash covers its details
    assert redactable(rows[2])
    codes = v2_row(6, rows[-1].hash, {"seq": 2, "to": "emergency/answered", "record_hash": "x"})
    assert not redactable(codes) and personal_fields(codes.details) == []
    retention = v2_row(7, codes.hash, {"kind": "x", "note": "y"}, "contact:retention:anonymise")
    assert not redactable(retention)  # retention's own rows keep their digests
    stoned = redacted([*rows, codes, retention], [3])[2]
    assert not redactable(stoned)  # once only
    assert personal_fields({"caller": "+447700900123", "seq": 1}) == ["caller"]
