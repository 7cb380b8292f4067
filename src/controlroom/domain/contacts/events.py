"""Domain events: what each applied action tells the rest of the system.

Every applied action emits one :class:`ActionApplied` (the same facts as its history entry,
with the contact id); some also emit a more specific event that later layers audit and publish.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.contacts.records import ContactRecord, HistoryEntry, Outcome
from controlroom.domain.contacts.states import ProcedureName, State
from controlroom.domain.contacts.values import Actor
from controlroom.domain.policy import VulnerabilityFlag
from controlroom.domain.triage import Channel


@dataclass(frozen=True, kw_only=True)
class ContactEvent:
    """Base of every contact event: which contact, which action, who, when."""

    contact_id: str
    seq: int  # the history entry this event belongs to
    action: ActionKind
    actor: Actor
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ActionApplied(ContactEvent):
    """An action was applied: the move it made and what it recorded, and the contact's
    channel and the time it was offered (for figures such as the answer time)."""

    from_procedure: ProcedureName | None
    from_state: State | None
    to_procedure: ProcedureName
    to_state: State
    details: Mapping[str, str]
    channel: Channel | None = None
    offered_at: datetime | None = None

    @classmethod
    def from_entry(
        cls, contact_id: str, entry: HistoryEntry, record: ContactRecord | None = None
    ) -> ActionApplied:
        """The event for a history entry (of ``record``, when given)."""
        return cls(
            contact_id=contact_id,
            seq=entry.seq,
            action=entry.action,
            actor=entry.actor,
            at=entry.at,
            from_procedure=entry.from_procedure,
            from_state=entry.from_state,
            to_procedure=entry.to_procedure,
            to_state=entry.to_state,
            details=entry.details,
            channel=None if record is None else record.channel,
            offered_at=None if record is None else record.timestamps.offered,
        )


@dataclass(frozen=True, kw_only=True)
class ScriptPrompted(ContactEvent):
    """The handler should now read this script line out (its words come from the policy)."""

    script_id: str
    paragraph: str
    text: str


@dataclass(frozen=True, kw_only=True)
class IncidentLogged(ContactEvent):
    """An incident was logged; ``discretionary`` when under 4.12.2 from the §4.12 path."""

    grade: str
    discretionary: bool
    paragraph: str


@dataclass(frozen=True, kw_only=True)
class ApprovalRequested(ContactEvent):
    """A handler asks a supervisor to approve terminating a call with these concerns."""

    concerns: tuple[str, ...]
    note: str


@dataclass(frozen=True, kw_only=True)
class TerminationApproved(ContactEvent):
    """A supervisor approved termination despite these concerns (and vulnerability flags)."""

    concerns: tuple[str, ...]
    flags: tuple[VulnerabilityFlag, ...]
    reason: str


@dataclass(frozen=True, kw_only=True)
class TerminationDeclined(ContactEvent):
    """A supervisor declined a request to terminate, saying what to do instead."""

    concerns: tuple[str, ...]
    reason: str


@dataclass(frozen=True, kw_only=True)
class ContactReconnected(ContactEvent):
    """A landline picked up again within the open-line window and rejoined this contact."""

    after: timedelta


@dataclass(frozen=True, kw_only=True)
class ContactEnded(ContactEvent):
    """The contact reached a final state."""

    state: State
    outcome: Outcome
    reason: str
