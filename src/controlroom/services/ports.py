"""The ports the use cases depend on. Adapters implement them structurally (no import of
this module is needed): ``adapters/db`` for the database; ``tests/fakes/uow.py`` in memory.

A use case opens one unit of work per change::

    with uow:
        contact = uow.contacts.get_for_update(contact_id)
        events = contact.apply(action, actor=actor, now=now, policy=policy)
        uow.contacts.save(contact)
        uow.audit.append(actor, contact_tag(action.kind), f"contact:{contact.id}", {...}, now)
        uow.collect(events)
        uow.commit()  # the change and its audit row together; then the events are published

Leaving the ``with`` block without :meth:`UnitOfWork.commit` rolls everything back and
publishes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from controlroom.domain.access import ApiToken, UserAccount
from controlroom.domain.audit import AuditEntry, AuditTag, ChainHead, ChainReport
from controlroom.domain.contacts import Actor, Contact, ContactRecord, ProcedureName, State
from controlroom.domain.nuisance import (
    CallerHistory,
    CallSummary,
    CaseRecord,
    DocumentKind,
    Identifier,
    Ladder,
    NuisanceCase,
    NuisanceFlag,
    WindowCounts,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Channel
from controlroom.services.ports_outbox import MaitAckRepository, OutboxRepository

#: What a processed telephony event answered: HTTP status and JSON body.
StoredResponse = tuple[int, dict[str, Any]]


class ContactRepository(Protocol):
    """Contacts, stored whole. Saving checks the version read (optimistic concurrency)."""

    def get(self, contact_id: str) -> Contact | None:
        """The contact, or ``None``."""

    def get_for_update(self, contact_id: str) -> Contact | None:
        """The contact, locked against other writers until the unit of work ends."""

    def lock(
        self,
        contact_ids: Sequence[str],
        *,
        numbers: Sequence[str] = (),
        since: datetime | None = None,
    ) -> None:
        """Read and lock now, in one go, these contacts and those from ``numbers`` offered or
        ended at ``since`` or later, for the ``get_for_update``, ``find_reconnectable`` and
        number-and-time ``list`` calls to come (a batch of work that will touch them)."""

    def add(self, contact: Contact) -> None:
        """Store a new contact; :class:`~controlroom.domain.access.Conflict` if the id exists."""

    def save(self, contact: Contact) -> None:
        """Store a changed contact read in this unit of work; ``Conflict`` when somebody else
        saved it since it was read."""

    def seal(self, contact: Contact) -> str:
        """The digest of ``contact``'s record as stored, recorded in the audit row of the
        change (``record_hash``) so that ``audit verify`` finds it edited outside the service."""

    def matching(self, words: Sequence[str], *, limit: int = 50) -> list[Contact]:
        """Contacts whose account or caller's name holds every one of ``words`` (case
        ignored), newest offered first."""

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
        """Contacts matching every filter given, newest offered first; ``offered_from`` is
        inclusive and ``offered_to`` exclusive; at most ``limit`` after skipping ``offset``."""

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
        """How many contacts :meth:`list` would page through."""

    def find_reconnectable(self, number: str, at: datetime) -> Contact | None:
        """The landline contact from ``number`` that hung up no more than 45 s before ``at``
        and may rejoin (see ``Contact.accepts_reconnect``), locked for update; or ``None``."""


class IncidentReferences(Protocol):
    """Incident reference numbers, issued from the shared store."""

    def next_number(self, scope: str) -> int:
        """The next number in ``scope`` (1 for its first), distinct across instances."""

    def link(self, reference: str, contact_id: str, at: datetime) -> None:
        """Record that ``reference`` was issued to ``contact_id``."""

    def contact_for(self, reference: str) -> str | None:
        """The id of the contact ``reference`` was issued to, or ``None``."""

    def for_contacts(self, contact_ids: Sequence[str]) -> dict[str, str]:
        """The reference issued to each of ``contact_ids`` that has one, by contact id."""


class CallHistoryRepository(Protocol):
    """Every contact in brief (a ``CallSummary``), for caller history. The contact repository
    writes a contact's summary whenever it adds or saves the contact."""

    def summaries(
        self,
        *,
        number: str | None = None,
        imei: str | None = None,
        since: datetime,
        until: datetime | None = None,
    ) -> list[CallSummary]:
        """The calls from ``number`` or ``imei`` (merged when both are given) offered from
        ``since`` to ``until`` (inclusive; no end when ``None``), oldest first."""

    def latest(
        self, identifier: Identifier, *, since: datetime, until: datetime, newest: int
    ) -> tuple[list[CallSummary], bool]:
        """The ``newest`` calls from ``identifier`` offered from ``since`` to ``until``
        (inclusive) and every ``notable`` one (``domain.nuisance.notable``) before them,
        oldest first; and whether that is all its calls in that time."""

    def totals(
        self,
        *,
        numbers: Sequence[str],
        imeis: Sequence[str],
        starts: Mapping[str, datetime],
        until: datetime,
        exclude: str | None = None,
    ) -> dict[str, WindowCounts]:
        """Each window's counts over all the calls from any of ``numbers`` or ``imeis``
        offered from its start (``starts``, by name) to ``until``, leaving out ``exclude``."""

    def upsert(self, record: ContactRecord) -> None:
        """Write the contact's summary, keeping the handler's abusive and hoax markers."""

    def mark(
        self, contact_id: str, *, abusive: bool | None = None, hoax: bool | None = None
    ) -> bool:
        """Set the handler's markers (``None`` leaves one as it is); ``False`` if no such call."""

    def get(self, contact_id: str) -> CallSummary | None:
        """One call in brief, or ``None``."""

    def active(self, since: datetime, *, limit: int) -> list[tuple[Identifier, int]]:
        """Numbers (and IMEIs of calls with no number) with two or more calls since ``since``,
        or a call marked, warned, terminated or flagged vulnerable; busiest first, at most
        ``limit`` of each kind, with their call counts."""


class NuisanceCaseRepository(Protocol):
    """Nuisance cases, stored whole; each number or IMEI is linked to one case only."""

    def get(self, case_id: str) -> NuisanceCase | None:
        """The case, or ``None``."""

    def get_for_update(self, case_id: str) -> NuisanceCase | None:
        """The case, locked against other writers until the unit of work ends."""

    def by_identifier(self, identifier: Identifier) -> NuisanceCase | None:
        """The case ``identifier`` is linked to, or ``None``."""

    def list(self, *, include_closed: bool = False, limit: int = 1000) -> list[NuisanceCase]:
        """Cases, oldest opened first; closed ones only when ``include_closed``."""

    def add(self, case: NuisanceCase) -> None:
        """Store a new case; ``Conflict`` if its id, or one of its identifiers, is taken."""

    def save(self, case: NuisanceCase) -> None:
        """Store a changed case read in this unit of work; ``Conflict`` when somebody else
        saved it since, or a newly linked identifier belongs to another case."""


class DocumentRenderer(Protocol):
    """Produces a nuisance document (HTML or PDF) from a case and its caller history."""

    def render(
        self,
        kind: DocumentKind,
        fmt: str,
        case: CaseRecord,
        history: CallerHistory,
        *,
        policy: Policy,
        ladder: Ladder,
        generated_at: datetime,
        reference: str,
        prepared_by: Actor,
        flags: Sequence[NuisanceFlag] = (),
        caller_name: str = "",
        incident_references: Mapping[str, str] | None = None,
    ) -> bytes:
        """The document as bytes, ``fmt`` being ``html`` (UTF-8) or ``pdf``, its call log giving
        each call's incident reference (``incident_references``, by contact id). Refuses a document
        whose step still needs approval (``InvalidInput``) or a disconnection request the
        vulnerable-person safeguard blocks (``PolicyViolation``)."""


class AuditLog(Protocol):
    """The append-only, hash-chained audit log."""

    def append(
        self,
        actor: Actor,
        tag: AuditTag | str,
        subject: str,
        details: Mapping[str, Any],
        at: datetime,
    ) -> AuditEntry:
        """Add the next entry, chained to the last one. Safe with concurrent writers: it
        waits for any other unit of work appending until that one ends."""

    def head(self) -> ChainHead:
        """The last entry written, as recorded."""

    def entries(self, *, after_seq: int = 0) -> Iterator[AuditEntry]:
        """Every entry after ``after_seq``, in seq order (streamed)."""

    def tail(self, n: int = 20, *, subject: str | None = None) -> list[AuditEntry]:
        """The last ``n`` entries (about ``subject`` only, when given), oldest first."""

    def tagged(self, tag: str, *, after_seq: int = 0, limit: int = 100) -> list[AuditEntry]:
        """The first ``limit`` entries tagged ``tag`` after ``after_seq``, in seq order."""

    def verify(self) -> ChainReport:
        """Check the whole chain against its head (``domain.audit.verify_chain``)."""


class UserRepository(Protocol):
    """User accounts."""

    def get(self, user_id: str) -> UserAccount | None:
        """The account with this id, or ``None``."""

    def get_by_name(self, name: str) -> UserAccount | None:
        """The account with this name, or ``None``."""

    def read_ahead(self, names: Sequence[str]) -> None:
        """Read the accounts with these names in one go, for the ``get_by_name`` calls to
        come in this unit of work."""

    def add(self, user: UserAccount) -> None:
        """Store a new account; ``Conflict`` if the name is taken."""

    def save(self, user: UserAccount) -> None:
        """Store a changed account."""

    def list(self) -> list[UserAccount]:
        """Every account, by name."""


class TokenRepository(Protocol):
    """API tokens (their secrets' hashes only)."""

    def get(self, token_id: str) -> ApiToken | None:
        """The token with this id, or ``None``."""

    def add(self, token: ApiToken) -> None:
        """Store a new token."""

    def save(self, token: ApiToken) -> None:
        """Store a changed token (revoked, or used)."""

    def list(self, *, include_revoked: bool = True) -> list[ApiToken]:
        """Tokens, oldest first."""


class ProcessedEvents(Protocol):
    """Telephony events already handled, so a repeated delivery gets the same answer."""

    def get(self, event_id: str) -> StoredResponse | None:
        """The status and body first answered for ``event_id``, or ``None``."""

    def prefetch(self, event_ids: Sequence[str]) -> None:
        """Read the answers to ``event_ids`` at once, for the ``get`` calls that follow in the
        same transaction (one query rather than one each)."""

    def add(
        self,
        event_id: str,
        *,
        event_type: str,
        received_at: datetime,
        status_code: int,
        response: Mapping[str, Any],
    ) -> bool:
        """Record the answer; ``False`` (and nothing stored) if the id was already recorded,
        in which case the caller should roll back and answer with :meth:`get`."""


class EventPublisher(Protocol):
    """Where domain events go once their transaction has committed."""

    def publish(self, events: Sequence[object]) -> None:
        """Publish ``events`` in order."""


class SecretHasher(Protocol):
    """Password hashing (a slow, salted hash; the format is the implementation's)."""

    def hash(self, secret: str) -> str:
        """A hash of ``secret`` to store."""

    def verify(self, hashed: str, secret: str) -> bool:
        """True when ``secret`` matches ``hashed``."""


class UnitOfWork(Protocol):
    """One transaction over every repository, and the events to publish after it commits.

    The repositories are usable inside ``with uow:`` only. A unit of work may be entered
    again after it has ended; each ``with`` is a new transaction.
    """

    @property
    def contacts(self) -> ContactRepository:
        """Contacts."""

    @property
    def audit(self) -> AuditLog:
        """The audit log."""

    @property
    def users(self) -> UserRepository:
        """User accounts."""

    @property
    def tokens(self) -> TokenRepository:
        """API tokens."""

    @property
    def processed_events(self) -> ProcessedEvents:
        """Telephony events already answered."""

    @property
    def calls(self) -> CallHistoryRepository:
        """Every contact in brief, for caller history."""

    @property
    def nuisance_cases(self) -> NuisanceCaseRepository:
        """Nuisance cases."""

    @property
    def references(self) -> IncidentReferences:
        """Incident references."""

    @property
    def outbox(self) -> OutboxRepository:
        """Outbox messages (services/outbox.py)."""

    @property
    def mait_acks(self) -> MaitAckRepository:
        """Partners' acknowledgements of MAIT messages."""

    def __enter__(self) -> Self:
        """Begin the transaction."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed, and end the transaction."""

    def collect(self, events: Sequence[object]) -> None:
        """Queue ``events`` to publish after :meth:`commit`."""

    def commit(self) -> None:
        """Commit, then publish the collected events (a failure to publish is logged; the
        change stays committed)."""

    def rollback(self) -> None:
        """Undo everything since the transaction began, and drop the collected events."""
