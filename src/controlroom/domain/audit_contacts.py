"""Tamper evidence for contacts: each contact's stored record checked against its audit trail.

Every audit row that records a change to a contact (its offer and each action) carries
``record_hash``: the digest of the contact's record as stored by that change. The last such row
for a contact therefore says what its stored record must be now. :func:`check_contact` compares
a stored contact with it, and names the field that differs: a column that no longer agrees
with the record it is derived from, the state or procedure the audit trail says the contact
moved to, its history, or (when none of those tells) the record as a whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from controlroom.domain.audit import AuditEntry

#: ``subject`` prefix of the audit rows about a contact.
CONTACT_SUBJECT = "contact:"
#: The details key holding the digest of the contact's stored record after the change.
RECORD_HASH = "record_hash"


@dataclass(frozen=True)
class ContactSeal:
    """What the audit log says a contact's stored record is after its last change."""

    seq: int  # the audit row
    record_hash: str
    to: str | None  # "procedure/state" the change moved it to
    history: int | None  # the seq of the contact's last history entry


def seal_of(entry: AuditEntry) -> ContactSeal | None:
    """The seal an audit row records, when it is a contact change carrying one."""
    if not entry.subject.startswith(CONTACT_SUBJECT):
        return None
    digest = entry.details.get(RECORD_HASH)
    if not isinstance(digest, str):
        return None
    to = entry.details.get("to")
    history = entry.details.get("seq")
    return ContactSeal(
        entry.seq,
        digest,
        to if isinstance(to, str) else None,
        history if isinstance(history, int) else None,
    )


@dataclass(frozen=True)
class StoredContact:
    """A contact as stored: its id, the digest of its stored record, its columns, and what
    those columns should be according to the record (``None`` when the record is unreadable)."""

    id: str
    record_hash: str
    columns: Mapping[str, Any]
    derived: Mapping[str, Any] | None
    history: int | None = None  # the seq of the record's last history entry


@dataclass(frozen=True)
class ContactProblem:
    """A stored contact that does not match its audit trail: which, which field, and what."""

    contact_id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"contact {self.contact_id}, field {self.field}: {self.message}"


@dataclass(frozen=True)
class ContactsReport:
    """Contacts checked, how many had a seal to check against, and every problem found."""

    checked: int
    sealed: int
    problems: tuple[ContactProblem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every contact matches its audit trail."""
        return not self.problems


def check_contact(
    stored: StoredContact, seal: ContactSeal | None, *, audited: bool
) -> ContactProblem | None:
    """The first way ``stored`` differs from its audit trail, or ``None``.

    ``seal`` is the last seal recorded for it; ``audited`` says whether any audit row is
    about it. A contact with audit rows but no seal was written before seals were recorded
    and cannot be checked beyond its columns.
    """
    cid = stored.id
    if stored.derived is None:
        return ContactProblem(cid, "record", "its stored record cannot be read")
    for name, derived in stored.derived.items():
        value = stored.columns.get(name)
        if value != derived:
            return ContactProblem(
                cid,
                name,
                f"the stored {name} is {_shown(value)} but its record says {_shown(derived)}: "
                "changed outside the service",
            )
    if seal is None:
        if audited:
            return None
        return ContactProblem(cid, "id", "no audit row records it: added outside the service")
    if stored.record_hash == seal.record_hash:
        return None
    now = f"{stored.derived.get('procedure')}/{stored.derived.get('state')}"
    if seal.to is not None and seal.to != now:
        field = "state" if seal.to.split("/")[-1] != now.split("/")[-1] else "procedure"
        return ContactProblem(
            cid,
            field,
            f"stored as {now}, but audit row {seal.seq} records it moved to {seal.to} "
            "and no later row moves it: changed outside the service",
        )
    if seal.history is not None and stored.history != seal.history:
        return ContactProblem(
            cid,
            "history",
            f"its history ends at entry {stored.history}, but audit row {seal.seq} records "
            f"entry {seal.history}: changed outside the service",
        )
    return ContactProblem(
        cid,
        "record",
        f"its stored record does not match the hash audit row {seal.seq} records: a field "
        "of it was changed outside the service",
    )


def _shown(value: Any) -> str:
    return "empty" if value is None else repr(value) if isinstance(value, str) else str(value)
