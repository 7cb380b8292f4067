"""Retention reaches the audit log: when a contact or a nuisance case is anonymised or removed,
the audit rows about it that hold personal details get tombstones (docs/retention.md).

In the change's own transaction: the rows are read, one ``audit:retention:redact`` row is
appended naming them and the rule, then each row's details are replaced by a tombstone that
points to it. Rows of chain version 1 cannot be redacted (their hash covers their details):
they are counted, and kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from controlroom.domain.audit import CHAIN_V1, AuditEntry, AuditTag
from controlroom.domain.audit_redaction import (
    personal_fields,
    redactable,
    redaction_details,
    tombstone,
)
from controlroom.domain.contacts import Actor


class AuditRows(Protocol):
    """Reading and redacting the audit rows about one subject (adapters/db/retention.py)."""

    def audit_rows(self, subject: str) -> Sequence[AuditEntry]: ...
    def redact(self, tombstones: Mapping[int, Mapping[str, Any]]) -> None: ...


class Appender(Protocol):
    def append(
        self, actor: Actor, tag: str, subject: str, details: Mapping[str, Any], at: datetime
    ) -> AuditEntry: ...


@dataclass
class AuditCount:
    """Audit rows with personal details: to be (or) redacted, and kept as chain version 1."""

    redacted: int = 0
    kept_version_1: int = 0

    def add(self, other: AuditCount) -> None:
        """Add ``other``'s counts to these."""
        self.redacted += other.redacted
        self.kept_version_1 += other.kept_version_1


def count_rows(store: AuditRows, subject: str) -> AuditCount:
    """How many rows about ``subject`` a redaction would tombstone, and how many it must keep."""
    rows = store.audit_rows(subject)
    return AuditCount(sum(map(redactable, rows)), sum(map(_kept_old, rows)))


def redact_rows(
    audit: Appender, store: AuditRows, subject: str, rule: str, actor: Actor, at: datetime
) -> AuditCount:
    """Tombstone the personal rows about ``subject`` under ``rule``, with the row recording
    it; nothing (not even that row) when there is nothing to redact."""
    rows = store.audit_rows(subject)
    due = [row for row in rows if redactable(row)]
    kept = sum(map(_kept_old, rows))
    if not due:
        return AuditCount(0, kept)
    details = redaction_details(rule, [row.seq for row in due])
    record = audit.append(actor, AuditTag.AUDIT_REDACT.value, subject, details, at)
    store.redact({row.seq: tombstone(row, rule=rule, row=record.seq, at=at) for row in due})
    return AuditCount(len(due), kept)


def _kept_old(entry: AuditEntry) -> bool:
    """A version 1 row with personal details: it cannot be redacted."""
    return (
        entry.chain_version == CHAIN_V1
        and not entry.tag.startswith(("contact:retention:", "nuisance:retention:"))
        and bool(personal_fields(entry.details))
    )
