"""In-memory implementations of every port, for unit tests of the use cases (caller history
and nuisance cases in ``tests.fakes.uow_nuisance``).

:class:`FakeUnitOfWork` keeps its data across units of work (like a database) and restores it
on rollback; :attr:`FakeUnitOfWork.published` lists what was published after each commit.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from controlroom.domain.access import ApiToken, UserAccount
from controlroom.domain.audit import (
    AuditEntry,
    AuditTag,
    ChainHead,
    ChainReport,
    verify_chain,
)
from controlroom.domain.contacts import (
    Actor,
    Contact,
    ContactRecord,
    ProcedureName,
    State,
    rejoined_by,
)
from controlroom.domain.errors import Conflict
from controlroom.domain.mait.delivery import PartnerAck
from controlroom.domain.nuisance import CallSummary, CaseRecord
from controlroom.domain.outbox import OutboxMessage
from controlroom.domain.triage.decision import Channel
from controlroom.services.ports import (
    EventPublisher,
    SecretHasher,
    StoredResponse,
    UnitOfWork,
)
from tests.fakes.uow_accounts import FakeTokenRepository, FakeUserRepository
from tests.fakes.uow_nuisance import (
    FakeCallHistory,
    FakeNuisanceCases,
    upsert_summary,
)
from tests.fakes.uow_outbox import FakeMaitAcks, FakeOutbox
from tests.fakes.uow_references import FakeIncidentReferences, holds_words


@dataclass
class FakeStore:
    """What the fake database holds."""

    contacts: dict[str, tuple[int, ContactRecord]] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    head: ChainHead = field(default_factory=ChainHead)
    users: dict[str, UserAccount] = field(default_factory=dict)
    tokens: dict[str, ApiToken] = field(default_factory=dict)
    processed: dict[str, StoredResponse] = field(default_factory=dict)
    calls: dict[str, CallSummary] = field(default_factory=dict)
    cases: dict[str, tuple[int, CaseRecord]] = field(default_factory=dict)
    identifiers: dict[tuple[str, str], str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    outbox: dict[int, OutboxMessage] = field(default_factory=dict)
    mait_acks: dict[str, PartnerAck] = field(default_factory=dict)

    def copy(self) -> FakeStore:
        """A snapshot (the values are immutable, so copying the containers is enough)."""
        fields = self.__dataclass_fields__
        return FakeStore(**{name: copy.copy(getattr(self, name)) for name in fields})


class FakeContactRepository:
    """Contacts in a dict, versioned like the database's."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._seen: dict[str, int] = {}

    def get(self, contact_id: str) -> Contact | None:
        """The contact, or ``None``."""
        stored = self._store.contacts.get(contact_id)
        if stored is None:
            return None
        self._seen[contact_id] = stored[0]
        return Contact(stored[1])

    def get_for_update(self, contact_id: str) -> Contact | None:
        """The same as :meth:`get` (there is one writer)."""
        return self.get(contact_id)

    def lock(
        self,
        contact_ids: Sequence[str],
        *,
        numbers: Sequence[str] = (),
        since: datetime | None = None,
    ) -> None:
        """Nothing to do: there is one writer."""

    def add(self, contact: Contact) -> None:
        """Store a new contact."""
        if contact.id in self._store.contacts:
            raise Conflict(f"contact {contact.id} already exists", field="contact_id")
        self._store.contacts[contact.id] = (1, contact.record)
        self._seen[contact.id] = 1
        upsert_summary(self._store, contact.record)

    def save(self, contact: Contact) -> None:
        """Store a changed contact, checking its version."""
        seen = self._seen.get(contact.id)
        stored = self._store.contacts.get(contact.id)
        if seen is None or stored is None or stored[0] != seen:
            raise Conflict(
                f"contact {contact.id} was changed by somebody else", hint="reload it and retry"
            )
        self._store.contacts[contact.id] = (seen + 1, contact.record)
        self._seen[contact.id] = seen + 1
        upsert_summary(self._store, contact.record)

    def seal(self, contact: Contact) -> str:
        """A digest of the record (of its text: this store keeps the records themselves)."""
        return hashlib.sha256(repr(contact.record).encode()).hexdigest()

    def _matching(self, **filters: Any) -> list[ContactRecord]:
        def keep(record: ContactRecord) -> bool:
            offered, start, end = (
                record.timestamps.offered,
                filters["offered_from"],
                filters["offered_to"],
            )
            actual = {
                "channel": record.channel,
                "state": record.state,
                "procedure": record.procedure,
                "caller_number": record.caller.number,
            }
            return (
                all(filters[name] in (None, value) for name, value in actual.items())
                and (start is None or offered >= start)
                and (end is None or offered < end)
            )

        out = [record for _, record in self._store.contacts.values() if keep(record)]
        return sorted(out, key=lambda r: (r.timestamps.offered, r.id), reverse=True)

    def matching(self, words: Sequence[str], *, limit: int = 50) -> list[Contact]:
        """Contacts holding every one of ``words``, newest first."""
        records = [r for _, r in self._store.contacts.values() if holds_words(r, words)]
        records.sort(key=lambda r: (r.timestamps.offered, r.id), reverse=True)
        return [Contact(record) for record in records[:limit]]

    def list(
        self,
        *,
        channel: Channel | None = None,
        state: State | None = None,
        procedure: ProcedureName | None = None,
        caller_number: str | None = None,
        offered_from: datetime | None = None,
        offered_to: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[Contact]:
        """Matching contacts, newest first."""
        records = self._matching(
            channel=channel,
            state=state,
            procedure=procedure,
            caller_number=caller_number,
            offered_from=offered_from,
            offered_to=offered_to,
        )
        page = records[offset : offset + limit]
        for record in page:
            self._seen[record.id] = self._store.contacts[record.id][0]
        return [Contact(record) for record in page]

    def count(
        self,
        *,
        channel: Channel | None = None,
        state: State | None = None,
        procedure: ProcedureName | None = None,
        caller_number: str | None = None,
        offered_from: datetime | None = None,
        offered_to: datetime | None = None,
    ) -> int:
        """How many contacts match."""
        return len(
            self._matching(
                channel=channel,
                state=state,
                procedure=procedure,
                caller_number=caller_number,
                offered_from=offered_from,
                offered_to=offered_to,
            )
        )

    def find_reconnectable(self, number: str, at: datetime) -> Contact | None:
        """The hung-up landline contact from ``number`` that may rejoin at ``at``."""
        records = (record for _, record in self._store.contacts.values())
        contact = rejoined_by(records, number, at)
        if contact is not None:
            self._seen[contact.id] = self._store.contacts[contact.id][0]
        return contact


class FakeAuditLog:
    """The audit chain in a list."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def append(
        self,
        actor: Actor,
        tag: AuditTag | str,
        subject: str,
        details: Mapping[str, Any],
        at: datetime,
    ) -> AuditEntry:
        """Add the next entry."""
        head = self._store.head
        entry = AuditEntry.create(
            seq=head.seq + 1,
            actor=actor.id,
            role=actor.role.value,
            tag=str(tag),
            subject=subject,
            at=at,
            details=details,
            prev_hash=head.hash,
        )
        self._store.audit.append(entry)
        self._store.head = ChainHead(entry.seq, entry.hash)
        return entry

    def head(self) -> ChainHead:
        """The last entry written."""
        return self._store.head

    def entries(self, *, after_seq: int = 0) -> Iterator[AuditEntry]:
        """Entries after ``after_seq``."""
        return iter([e for e in self._store.audit if e.seq > after_seq])

    def tail(self, n: int = 20, *, subject: str | None = None) -> list[AuditEntry]:
        """The last ``n`` entries, oldest first."""
        rows = [e for e in self._store.audit if subject is None or e.subject == subject]
        return rows[-n:] if n > 0 else []

    def tagged(self, tag: str, *, after_seq: int = 0, limit: int = 100) -> list[AuditEntry]:
        """The first ``limit`` entries tagged ``tag`` after ``after_seq``."""
        rows = [e for e in self._store.audit if e.tag == tag and e.seq > after_seq]
        return rows[: max(limit, 0)]

    def verify(self) -> ChainReport:
        """Check the chain."""
        return verify_chain(self._store.audit, self._store.head)


class FakeProcessedEvents:
    """Processed telephony events in a dict."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def get(self, event_id: str) -> StoredResponse | None:
        """The stored answer, or ``None``."""
        return self._store.processed.get(event_id)

    def prefetch(self, event_ids: Sequence[str]) -> None:
        """Nothing to read ahead in memory."""

    def add(
        self,
        event_id: str,
        *,
        event_type: str,
        received_at: datetime,
        status_code: int,
        response: Mapping[str, Any],
    ) -> bool:
        """Record the answer unless the id is known."""
        if event_id in self._store.processed:
            return False
        self._store.processed[event_id] = (status_code, dict(response))
        return True


class FakePublisher:
    """Remembers what was published."""

    def __init__(self) -> None:
        self.published: list[object] = []

    def publish(self, events: Sequence[object]) -> None:
        """Append ``events``."""
        self.published.extend(events)


class FakeHasher:
    """A fast stand-in for the password hasher (never use outside tests)."""

    def hash(self, secret: str) -> str:
        """``fake$`` and the SHA-256 of ``secret``."""
        return "fake$" + hashlib.sha256(secret.encode()).hexdigest()

    def verify(self, hashed: str, secret: str) -> bool:
        """True when ``secret`` hashes to ``hashed``."""
        return self.hash(secret) == hashed


class FakeUnitOfWork:
    """A unit of work over a :class:`FakeStore`; rollback restores the snapshot taken on enter."""

    contacts: FakeContactRepository
    audit: FakeAuditLog
    users: FakeUserRepository
    tokens: FakeTokenRepository
    processed_events: FakeProcessedEvents
    calls: FakeCallHistory
    nuisance_cases: FakeNuisanceCases
    references: FakeIncidentReferences
    outbox: FakeOutbox
    mait_acks: FakeMaitAcks

    def __init__(
        self, store: FakeStore | None = None, outbox_destinations: frozenset[str] = frozenset()
    ) -> None:
        self.store = store or FakeStore()
        self.outbox_destinations = outbox_destinations
        self.publisher = FakePublisher()
        self.commits = 0
        self._snapshot: FakeStore | None = None
        self._pending: list[object] = []
        self._bind()

    @property
    def published(self) -> list[object]:
        """Every event published so far, in order."""
        return self.publisher.published

    def _bind(self) -> None:
        self.contacts = FakeContactRepository(self.store)
        self.audit = FakeAuditLog(self.store)
        self.users = FakeUserRepository(self.store)
        self.tokens = FakeTokenRepository(self.store)
        self.processed_events = FakeProcessedEvents(self.store)
        self.calls = FakeCallHistory(self.store)
        self.nuisance_cases = FakeNuisanceCases(self.store)
        self.references = FakeIncidentReferences(self.store)
        self.outbox = FakeOutbox(self.store, self.outbox_destinations)
        self.mait_acks = FakeMaitAcks(self.store)

    def __enter__(self) -> Self:
        self._snapshot = self.store.copy()
        self._pending = []
        self._bind()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._snapshot = None

    def collect(self, events: Sequence[object]) -> None:
        """Queue events for after the commit."""
        self._pending.extend(events)

    def commit(self) -> None:
        """Keep the changes, then publish."""
        self._snapshot = self.store.copy()
        self.commits += 1
        pending, self._pending = self._pending, []
        self.publisher.publish(pending)

    def rollback(self) -> None:
        """Restore the snapshot and forget the pending events."""
        if self._snapshot is not None:
            snapshot = self._snapshot.copy()
            for name in FakeStore.__dataclass_fields__:
                setattr(self.store, name, getattr(snapshot, name))
        self._pending = []


def _conforms(uow: FakeUnitOfWork, hasher: FakeHasher, publisher: FakePublisher) -> None:
    """Type-checked only: the fakes implement the ports."""
    _uow: UnitOfWork = uow
    _hasher: SecretHasher = hasher
    _publisher: EventPublisher = publisher
