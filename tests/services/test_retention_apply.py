"""``services.retention.apply`` over an in-memory store: applying twice changes nothing the
second time, an unexpired contact is never touched, every change has its audit row, and the
audit rows about a changed contact lose their personal details to tombstones."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.domain.audit import GENESIS_HASH, AuditEntry, AuditTag, verify_chain
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.retention import Action, ContactFacts, Kind, RetentionPolicy, Rule
from controlroom.services.retention import apply, review

AS_OF = datetime(2026, 12, 7, tzinfo=UTC)
ACTOR = Actor("cli:test", Role.ADMIN)


@dataclass(frozen=True)
class Row:
    facts: ContactFacts
    record: Mapping[str, Any]
    digest: str
    to: str
    history: int | None


def digest(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


class Store:
    """Contacts in a dict; the audit rows appended by retention in a list, and the whole
    chain (an offer row per contact first) in another."""

    def __init__(self, stored: dict[str, tuple[datetime, bool, dict[str, Any]]]) -> None:
        self.stored = stored
        self.audit: list[tuple[str, str, Mapping[str, Any]]] = []
        self.rows: list[AuditEntry] = []
        for cid, (_, _, made) in sorted(stored.items()):
            offer = {"caller": made["caller"]["number"], "narrative": made["narrative"]}
            self.append(AuditTag.TELEPHONY_OFFERED, f"contact:{cid}", offer, AS_OF)

    def append(self, tag: str, subject: str, details: Any, at: datetime) -> AuditEntry:
        prev = self.rows[-1].hash if self.rows else GENESIS_HASH
        entry = AuditEntry.create(
            seq=len(self.rows) + 1,
            actor=ACTOR.id,
            role=ACTOR.role.value,
            tag=tag,
            subject=subject,
            at=at,
            details=details,
            prev_hash=prev,
        )
        self.rows.append(entry)
        return entry

    def audit_rows(self, subject: str) -> list[AuditEntry]:
        return [row for row in self.rows if row.subject == subject]

    def redact(self, tombstones: Mapping[int, Mapping[str, Any]]) -> None:
        for seq, details in tombstones.items():
            self.rows[seq - 1] = replace(self.rows[seq - 1], details=dict(details))

    def ended_contacts(
        self, before: datetime, *, after_id: str = "", limit: int = 500
    ) -> list[Row]:
        ids = sorted(cid for cid, (ended, _, _) in self.stored.items() if ended <= before)
        return self.contacts([cid for cid in ids if cid > after_id][:limit])

    def contacts(self, ids: list[str]) -> list[Row]:
        ids = [cid for cid in ids if cid in self.stored]
        return [
            Row(
                ContactFacts(cid, self.stored[cid][0], self.stored[cid][1]),
                self.stored[cid][2],
                digest(self.stored[cid][2]),
                "emergency/closed",
                1,
            )
            for cid in ids
        ]

    def replace_contact(self, contact_id: str, record: Mapping[str, Any], *, caller: bool) -> None:
        ended, incident, _ = self.stored[contact_id]
        self.stored[contact_id] = (ended, incident, dict(record))

    def delete_contact(self, contact_id: str) -> None:
        del self.stored[contact_id]

    def closed_cases(self, before: datetime, *, limit: int = 500) -> list[Any]:
        return []

    def delete_case(self, case_id: str) -> None:
        raise AssertionError("no cases here")

    def audit_before(self, before: datetime) -> tuple[int, datetime | None]:
        return 0, None

    def digest(self, record: Mapping[str, Any]) -> str:
        return digest(record)


class Audit:
    def __init__(self, store: Store) -> None:
        self.store = store

    def append(self, actor: Actor, tag: str, subject: str, details: Any, at: datetime) -> Any:
        if tag != AuditTag.AUDIT_REDACT:
            self.store.audit.append((tag, subject, details))
        return self.store.append(tag, subject, details, at)


class Uow:
    def __init__(self, store: Store) -> None:
        self.audit = Audit(store)

    def commit(self) -> None:
        pass


def session_on(store: Store) -> Any:
    @contextmanager
    def session(read_only: bool) -> Iterator[tuple[Uow, Store]]:
        yield Uow(store), store

    return session


def record(number: str, narrative: str) -> dict[str, Any]:
    return {
        "caller": {"number": number, "name": "Jane"},
        "narrative": narrative,
        "notes": [{"text": narrative}],
        "history": [{"seq": 1, "details": {"text": narrative}}],
    }


actions = st.sampled_from([Action.ANONYMISE, Action.DELETE])
contacts = st.dictionaries(
    st.text("abcdef", min_size=1, max_size=4),
    st.tuples(st.integers(0, 3000), st.booleans(), st.text(min_size=1, max_size=10)),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(contacts, st.integers(1, 5), actions, actions, st.integers(1, 800), st.integers(1, 3000))
def test_apply_twice_changes_nothing_and_never_touches_the_unexpired(
    made: dict[str, tuple[int, bool, str]],
    batch: int,
    plain: Action,
    incident: Action,
    free_text_days: int,
    extra_days: int,
) -> None:
    policy = RetentionPolicy(
        {
            Kind.CONTACTS: Rule(free_text_days + extra_days, plain),
            Kind.CONTACTS_WITH_INCIDENT: Rule(2192, incident),
            Kind.FREE_TEXT: Rule(free_text_days, Action.ANONYMISE),
            Kind.NUISANCE_CASES: Rule(1096, Action.DELETE),
            Kind.AUDIT: Rule(2557, Action.KEEP),
        }
    )
    store = Store(
        {
            cid: (AS_OF - timedelta(days=days), has_incident, record("+447700900001", words))
            for cid, (days, has_incident, words) in made.items()
        }
    )
    original = copy.deepcopy(store.stored)
    session = session_on(store)
    first = apply(session, policy, AS_OF, actor=ACTOR, now=lambda: AS_OF, batch=batch)
    assert len(store.audit) == first.changed  # one audit row per change
    changed = {subject for _, subject, _ in store.audit}
    assert first.audit_rows.redacted == len(changed)  # each one's offer row
    for cid, (ended, has_incident, _) in original.items():
        shortest = policy.rule(Kind.CONTACTS_WITH_INCIDENT if has_incident else Kind.FREE_TEXT)
        offer = store.audit_rows(f"contact:{cid}")[0]
        if ended + timedelta(days=shortest.after_days) > AS_OF:
            assert store.stored[cid] == original[cid]  # unexpired: untouched
            assert offer.details["caller"] == "+447700900001"
        else:
            assert offer.redacted and offer.details["redacted"]["fields"] == ["caller", "narrative"]
    assert verify_chain(store.rows).ok
    once, rows = copy.deepcopy(store.stored), list(store.rows)
    assert review(session, policy, AS_OF).changed == 0
    second = apply(session, policy, AS_OF, actor=ACTOR, now=lambda: AS_OF, batch=batch)
    assert second.changed == 0 and second.audit_rows.redacted == 0
    assert store.stored == once and store.rows == rows
