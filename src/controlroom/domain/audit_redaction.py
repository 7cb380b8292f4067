"""Which audit rows lose their details under the retention policy, and the tombstone that
replaces them (docs/retention.md, docs/audit.md).

A row is redacted whole: its details become ``{"redacted": {"rule", "row", "at", "fields"}}``
(the retention rule, the seq of the ``audit:retention:redact`` row recording it, when, and the
keys removed). Its stored digest and hash stay, so the chain still verifies. Only rows of chain
version 2 can be redacted: a version 1 row's hash covers its details themselves. A row is
redacted only when its details hold something beyond the codes and digests below; the rows
retention itself writes (digests of what it removed) are never redacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from controlroom.domain.audit import CHAIN_V2, TOMBSTONE, AuditEntry, AuditTag, format_time

#: Details keys holding codes, states, times, ids and digests: nothing about a person. A row
#: whose details hold only these keeps them.
NOT_PERSONAL = frozenset(
    {
        "seq",
        "from",
        "to",
        "from_state",
        "to_state",
        "record_hash",
        "removed_hash",
        "kind",
        "after_days",
        "channel",
        "landline",
        "grade",
        "suggested_grade",
        "suggested_route",
        "triage_route",
        "triage_grade",
        "triage_flags",
        "flags",
        "flag",
        "discretionary",
        "reference",
        "outcome",
        "agency",
        "command_id",
        "status",
        "event_id",
        "occurred_at",
        "created_from",
        "first",
        "raised",
        "raised_scope",
    }
)
#: Tags of rows never redacted: they record retention itself.
KEPT_TAGS = frozenset(
    {
        "contact:retention:anonymise",
        "contact:retention:redact",
        "contact:retention:delete",
        "nuisance:retention:delete",
        AuditTag.AUDIT_REDACT.value,
    }
)


def personal_fields(details: Mapping[str, Any]) -> list[str]:
    """The keys of ``details`` that may hold personal data, sorted."""
    return sorted(key for key in details if key not in NOT_PERSONAL)


def redactable(entry: AuditEntry) -> bool:
    """True when retention should replace this row's details by a tombstone: a version 2 row,
    not already a tombstone, not one of retention's own, with a personal field."""
    return (
        entry.chain_version == CHAIN_V2
        and not entry.redacted
        and entry.tag not in KEPT_TAGS
        and bool(personal_fields(entry.details))
    )


def tombstone(entry: AuditEntry, *, rule: str, row: int, at: datetime) -> dict[str, Any]:
    """The tombstone replacing ``entry``'s details: redacted under ``rule``, recorded by audit
    row ``row`` at ``at``. ``fields`` names every key removed."""
    return {
        TOMBSTONE: {
            "rule": rule,
            "row": row,
            "at": format_time(at),
            "fields": sorted(entry.details),
        }
    }


def redaction_details(rule: str, rows: list[int]) -> dict[str, Any]:
    """The details of the ``audit:retention:redact`` row: the rule and the rows redacted."""
    return {"rule": rule, "rows": sorted(rows), "count": len(rows)}


def tombstone_fields(details: Mapping[str, Any]) -> list[str]:
    """The keys a tombstone says were removed (empty for details that are not one)."""
    inner = details.get(TOMBSTONE)
    fields = inner.get("fields") if isinstance(inner, dict) else None
    return [str(name) for name in fields] if isinstance(fields, list) else []
