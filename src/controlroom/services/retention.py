"""Retention by policy (docs/retention.md): review what has expired, and remove or anonymise it.

:func:`review` changes nothing: it reads one snapshot and says, per kind and action, how many
records would be changed, the oldest, and what is held back and why. :func:`apply` does it in
bounded transactions of ``batch`` records, each change with its audit row (a tombstone) in the
same transaction: a contact anonymised is sealed again (the row carries the new record's digest,
so ``audit verify`` checks it as before) and records the digest of what was removed; a record
deleted leaves a row with its digest. The audit rows about it that hold personal details get
tombstones in the same transaction (``services.retention_audit``); no row is ever removed.

Running it again changes nothing until more has expired; stopped half-way, it carries on where
it stopped (what is done is not done again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from controlroom.domain.audit_contacts import RECORD_HASH
from controlroom.domain.contacts import Actor
from controlroom.domain.retention import (
    Action,
    ContactFacts,
    Kind,
    RetentionPolicy,
    Tally,
    decide_contact,
)
from controlroom.domain.retention_scrub import anonymise, scrub_free_text
from controlroom.services.retention_audit import AuditCount, AuditRows, count_rows, redact_rows

#: The audit tags retention writes.
TAG_CONTACT = "contact:retention:{action}"
TAG_CASE = "nuisance:retention:delete"
#: The audit subject of a nuisance case's own rows.
CASE_SUBJECT = "nuisance_case:"
#: Contacts read per page; a transaction of apply changes at most ``batch`` of them.
PAGE = 500


class StoredContact(Protocol):
    """A stored contact as the store gives it."""

    @property
    def facts(self) -> ContactFacts: ...
    @property
    def record(self) -> Mapping[str, Any]: ...
    @property
    def digest(self) -> str: ...
    @property
    def to(self) -> str: ...
    @property
    def history(self) -> int | None: ...


class StoredCase(Protocol):
    """A closed nuisance case as the store gives it."""

    @property
    def id(self) -> str: ...
    @property
    def closed_at(self) -> datetime: ...
    @property
    def digest(self) -> str: ...


class RetentionStore(AuditRows, Protocol):
    """What retention reads and changes (adapters/db/retention.py)."""

    def ended_contacts(
        self, before: datetime, *, after_id: str = "", limit: int = PAGE
    ) -> Iterable[StoredContact]: ...
    def contacts(self, ids: Sequence[str]) -> Iterable[StoredContact]: ...
    def replace_contact(
        self, contact_id: str, record: Mapping[str, Any], *, caller: bool
    ) -> None: ...
    def delete_contact(self, contact_id: str) -> None: ...
    def closed_cases(self, before: datetime, *, limit: int = PAGE) -> Iterable[StoredCase]: ...
    def delete_case(self, case_id: str) -> None: ...
    def audit_before(self, before: datetime) -> tuple[int, datetime | None]: ...
    def digest(self, record: Mapping[str, Any]) -> str: ...


class Uow(Protocol):
    audit: Any

    def commit(self) -> None: ...


#: A unit of work (read-only or not) and the store on its connection.
Session = Callable[[bool], AbstractContextManager[tuple[Uow, RetentionStore]]]


@dataclass
class Report:
    """A review, or what an apply did: one tally per kind and action."""

    as_of: datetime
    tallies: dict[tuple[Kind, Action], Tally] = field(default_factory=dict)
    audit_expired: int = 0
    audit_oldest: datetime | None = None
    audit_rows: AuditCount = field(default_factory=AuditCount)  # tombstoned, kept (version 1)

    def tally(self, kind: Kind, action: Action) -> Tally:
        """The tally of ``kind`` and ``action``, made on first use."""
        key = (kind, action)
        if key not in self.tallies:
            self.tallies[key] = Tally(kind, action)
        return self.tallies[key]

    @property
    def changed(self) -> int:
        """How many records are (or would be) changed."""
        return sum(tally.count for tally in self.tallies.values())


@dataclass(frozen=True)
class Change:
    """One record to change: what, how, and the record it gets (None: deleted)."""

    kind: Kind
    action: Action
    at: datetime
    record: Mapping[str, Any] | None


def contact_change(
    stored: StoredContact, policy: RetentionPolicy, as_of: datetime
) -> tuple[Change | None, str | None]:
    """What retention does to one stored contact (None when nothing is due or it is done
    already), and why it is held back, when it is."""
    decision = decide_contact(stored.facts, policy, as_of)
    if decision.action is None:
        return None, None
    at = stored.facts.ended_at
    assert at is not None
    if decision.held is not None:
        return Change(decision.kind, decision.action, at, None), decision.held
    if decision.action is Action.DELETE:
        return Change(decision.kind, Action.DELETE, at, None), None
    scrub = scrub_free_text if decision.kind is Kind.FREE_TEXT else anonymise
    new = scrub(stored.record)
    if new == dict(stored.record):
        return None, None
    return Change(decision.kind, decision.action, at, new), None


def _cutoff(policy: RetentionPolicy, as_of: datetime) -> datetime:
    """Contacts that ended after this have nothing due."""
    kinds = (Kind.CONTACTS, Kind.CONTACTS_WITH_INCIDENT, Kind.FREE_TEXT)
    return max(policy.cutoff(kind, as_of) for kind in kinds)


def review(session: Session, policy: RetentionPolicy, as_of: datetime) -> Report:
    """What :func:`apply` would do at ``as_of``, from one snapshot; changes nothing."""
    report = Report(as_of)
    with session(True) as (_, store):
        after = ""
        while True:
            page = list(store.ended_contacts(_cutoff(policy, as_of), after_id=after))
            for stored in page:
                change, held = contact_change(stored, policy, as_of)
                if change is not None:
                    report.tally(change.kind, change.action).add(change.at, held)
                if change is not None and held is None:
                    report.audit_rows.add(count_rows(store, f"contact:{stored.facts.id}"))
            if len(page) < PAGE:
                break
            after = page[-1].facts.id
        case_rule = policy.rule(Kind.NUISANCE_CASES)
        for case in store.closed_cases(policy.cutoff(Kind.NUISANCE_CASES, as_of), limit=10**9):
            report.tally(Kind.NUISANCE_CASES, case_rule.action).add(case.closed_at, None)
            report.audit_rows.add(count_rows(store, f"{CASE_SUBJECT}{case.id}"))
        count, oldest = store.audit_before(policy.cutoff(Kind.AUDIT, as_of))
        report.audit_expired, report.audit_oldest = count, oldest
    return report


def apply(
    session: Session,
    policy: RetentionPolicy,
    as_of: datetime,
    *,
    actor: Actor,
    now: Callable[[], datetime],
    batch: int = 100,
    progress: Callable[[str], None] = lambda line: None,
) -> Report:
    """Remove or anonymise what has expired at ``as_of``, ``batch`` records per transaction,
    each with its tombstone audit row; ``progress`` is told after each transaction."""
    if batch < 1:
        raise ValueError("batch must be 1 or more")
    done = Report(as_of)
    after = ""
    while True:  # read a page from a snapshot; change what is due, ``batch`` per transaction
        with session(True) as (_, store):
            page = list(store.ended_contacts(_cutoff(policy, as_of), after_id=after))
        due = []
        for stored in page:
            change, held = contact_change(stored, policy, as_of)
            if change is not None:
                if held is None:
                    due.append(stored.facts.id)
                else:
                    done.tally(change.kind, change.action).add(change.at, held)
        for start in range(0, len(due), batch):
            changed = _change_contacts(
                session, due[start : start + batch], policy, done, actor, now
            )
            progress(f"contacts: {changed} changed (up to {due[start : start + batch][-1]})")
        if len(page) < PAGE:
            break
        after = page[-1].facts.id
    rule = policy.rule(Kind.NUISANCE_CASES)
    while True:
        with session(False) as (uow, store):
            cases = list(store.closed_cases(policy.cutoff(Kind.NUISANCE_CASES, as_of), limit=batch))
            for case in cases:
                store.delete_case(case.id)
                details = {"removed_hash": case.digest, "after_days": rule.after_days}
                at = now()
                uow.audit.append(actor, TAG_CASE, f"nuisance:{case.id}", details, at)
                subject, kind = f"{CASE_SUBJECT}{case.id}", Kind.NUISANCE_CASES.value
                done.audit_rows.add(redact_rows(uow.audit, store, subject, kind, actor, at))
                done.tally(Kind.NUISANCE_CASES, rule.action).add(case.closed_at, None)
            uow.commit()
        if cases:
            progress(f"nuisance cases: {len(cases)} deleted")
        if len(cases) < batch:
            break
    with session(True) as (_, store):
        done.audit_expired, done.audit_oldest = store.audit_before(policy.cutoff(Kind.AUDIT, as_of))
    return done


def _change_contacts(
    session: Session,
    ids: Sequence[str],
    policy: RetentionPolicy,
    done: Report,
    actor: Actor,
    now: Callable[[], datetime],
) -> int:
    """Change these contacts in one transaction, each read again (locked) and decided again,
    so a contact changed since the snapshot is judged as it is now."""
    changed = 0
    with session(False) as (uow, store):
        for stored in store.contacts(ids):
            change, held = contact_change(stored, policy, done.as_of)
            if change is None:
                continue
            done.tally(change.kind, change.action).add(change.at, held)
            if held is None:
                at = now()
                _change_contact(uow, store, stored, change, actor, at)
                subject, kind = f"contact:{stored.facts.id}", change.kind.value
                done.audit_rows.add(redact_rows(uow.audit, store, subject, kind, actor, at))
                changed += 1
        uow.commit()
    return changed


def _change_contact(
    uow: Uow,
    store: RetentionStore,
    stored: StoredContact,
    change: Change,
    actor: Actor,
    at: datetime,
) -> None:
    cid = stored.facts.id
    details: dict[str, Any] = {
        "kind": change.kind.value,
        "removed_hash": stored.digest,
    }
    if change.record is None:
        store.delete_contact(cid)
        action = "delete"
    else:
        store.replace_contact(cid, change.record, caller=change.kind is not Kind.FREE_TEXT)
        details[RECORD_HASH] = store.digest(change.record)
        details["to"] = stored.to
        if stored.history is not None:
            details["seq"] = stored.history
        action = "redact" if change.kind is Kind.FREE_TEXT else "anonymise"
    uow.audit.append(actor, TAG_CONTACT.format(action=action), f"contact:{cid}", details, at)
