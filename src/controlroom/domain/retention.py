"""Retention by policy (docs/retention.md): how long each kind of record is kept, what is done
when the period has run, and which records are held back and why.

Pure: the caller passes the records' facts and the time; nothing here reads a clock or a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Kind(StrEnum):
    """What a retention period applies to: one key of the policy's ``[retention]`` table."""

    CONTACTS = "contacts"  # contacts with no incident logged
    CONTACTS_WITH_INCIDENT = "contacts_with_incident"
    FREE_TEXT = "free_text"  # narratives, notes, chat and SMS transcripts of contacts
    NUISANCE_CASES = "nuisance_cases"  # closed nuisance cases
    AUDIT = "audit"  # audit rows: reviewed and reported, never removed


class Action(StrEnum):
    """What happens to a record whose period has run."""

    DELETE = "delete"  # the record goes; a tombstone audit row records its digest
    ANONYMISE = "anonymise"  # personal data replaced by a marker; statistics kept
    KEEP = "keep"  # reported only (the audit log is append-only)


#: The actions each kind may take.
ALLOWED: dict[Kind, tuple[Action, ...]] = {
    Kind.CONTACTS: (Action.ANONYMISE, Action.DELETE),
    Kind.CONTACTS_WITH_INCIDENT: (Action.ANONYMISE, Action.DELETE),
    Kind.FREE_TEXT: (Action.ANONYMISE,),
    Kind.NUISANCE_CASES: (Action.DELETE,),
    Kind.AUDIT: (Action.KEEP,),
}


@dataclass(frozen=True)
class Rule:
    """One kind's period, in days from the record's last event, and its action."""

    after_days: int
    action: Action

    def expired(self, last_event: datetime, as_of: datetime) -> bool:
        """True when ``last_event`` lies more than the period before ``as_of``."""
        return last_event + timedelta(days=self.after_days) <= as_of


@dataclass(frozen=True)
class RetentionPolicy:
    """The force's retention rules, one per kind."""

    rules: dict[Kind, Rule]

    def rule(self, kind: Kind) -> Rule:
        """The rule for ``kind``."""
        return self.rules[kind]

    def cutoff(self, kind: Kind, as_of: datetime) -> datetime:
        """Records whose last event is at or before this have expired."""
        return as_of - timedelta(days=self.rules[kind].after_days)


@dataclass(frozen=True)
class ContactFacts:
    """What retention needs to know of a stored contact."""

    id: str
    ended_at: datetime | None  # None: still open
    incident: bool  # an incident was logged for it
    open_case: str | None = None  # an open nuisance case its number or IMEI is linked to
    undelivered: int = 0  # messages to other systems about it not yet delivered


@dataclass(frozen=True)
class Decision:
    """What retention does to one record: ``action`` (None: nothing yet), the kind whose
    period decided it, and, when an expired record is held back, why."""

    action: Action | None
    kind: Kind
    held: str | None = None  # why it is held back: one of the HELD_* reasons
    detail: str = ""  # e.g. the nuisance case


#: Why an expired record is held back.
HELD_OPEN_CASE = "linked to an open nuisance case"
HELD_UNDELIVERED = "messages to other systems not yet delivered"


def decide_contact(facts: ContactFacts, policy: RetentionPolicy, as_of: datetime) -> Decision:
    """The decision for one contact.

    An open contact is never touched. Its own kind (with or without an incident) decides
    first; a contact with no incident whose own period has not run may still have its free
    text removed. An expired contact linked to an open nuisance case, or with messages to
    other systems still waiting, is held back.
    """
    kind = Kind.CONTACTS_WITH_INCIDENT if facts.incident else Kind.CONTACTS
    if facts.ended_at is None:
        return Decision(None, kind)
    rule = policy.rule(kind)
    action: Action | None = None
    if rule.expired(facts.ended_at, as_of):
        action = rule.action
    elif not facts.incident and policy.rule(Kind.FREE_TEXT).expired(facts.ended_at, as_of):
        kind, action = Kind.FREE_TEXT, Action.ANONYMISE
    if action is None:
        return Decision(None, kind)
    if facts.open_case is not None:
        return Decision(action, kind, HELD_OPEN_CASE, facts.open_case)
    if facts.undelivered:
        return Decision(action, kind, HELD_UNDELIVERED, f"{facts.undelivered} waiting")
    return Decision(action, kind)


@dataclass
class Tally:
    """The review of one kind and action: how many, the oldest, and what is held back."""

    kind: Kind
    action: Action
    count: int = 0
    oldest: datetime | None = None
    held: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, at: datetime, held: str | None) -> None:
        """Count one record last changed ``at`` (held back when ``held`` says why)."""
        if held is not None:
            self.held += 1
            self.reasons[held] = self.reasons.get(held, 0) + 1
            return
        self.count += 1
        if self.oldest is None or at < self.oldest:
            self.oldest = at
