"""The 4.12.3 termination safeguards as the console shows them: the starting answers of the
considerations form, what stands in the way of terminating a call, and the requests for a
supervisor's approval waiting in the room.

Requests live on the contacts themselves (stored records), so every instance and a restarted
one see the same list; the console's live feed reloads it as contacts change.
"""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import (
    ApprovalRequest,
    ContactRecord,
    Decline,
    Override,
    ProcedureName,
    State,
)
from controlroom.domain.contacts.concerns import Concern, Prefill, concerns, prefill, unapproved
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.nuisance.history import CallerHistory
from controlroom.domain.triage import Channel, Decision
from controlroom.services.contacts import MAX_AUDIT_ENTRIES, MAX_PAGE, UowFactory
from controlroom.services.ports import UnitOfWork

#: The states in which a termination can wait for a supervisor.
WAITING_STATES = (State.ADVISED, State.WARNED)
#: The most contacts one look for waiting requests reads.
MAX_SCANNED = 5000
#: What the handler does while a request waits (shown with it).
MEANWHILE = (
    "Stay on the line and keep the caller talking; do not end the call.",
    "Ask whether they are safe and where they are; note anything new.",
    "If anything suggests danger or harm, log an incident: that needs no approval.",
)


@dataclass(frozen=True)
class TerminationView:
    """What the handler's view shows about ending a §4.12 call."""

    prefill: tuple[Prefill, ...]
    concerns: tuple[Concern, ...]
    unapproved: tuple[Concern, ...]
    request: ApprovalRequest | None
    approval: Override | None
    decline: Decline | None
    meanwhile: tuple[str, ...] = MEANWHILE


@dataclass(frozen=True)
class PendingApproval:
    """A request waiting for a supervisor, with the contact it is about."""

    record: ContactRecord
    request: ApprovalRequest
    concerns: tuple[Concern, ...]
    #: an emergencySMS conversation's later messages, oldest first (its first is the narrative)
    messages: tuple[str, ...] = ()


def termination_view(
    record: ContactRecord, suggestion: Decision | None, history: CallerHistory
) -> TerminationView:
    """The safeguards of ``record``: starting answers from its flags, triage's ``suggestion``
    and the flags of the caller's earlier contacts in ``history``."""
    earlier = [(call.contact_id, call.vulnerability) for call in history.calls]
    route = None if suggestion is None else suggestion.route
    return TerminationView(
        prefill=prefill(record, route, [item for item in earlier if item[1]]),
        concerns=concerns(record),
        unapproved=unapproved(record),
        request=record.approval_request,
        approval=record.overrides[-1] if record.overrides else None,
        decline=record.declines[-1] if record.declines else None,
    )


def pending_approvals(uow_factory: UowFactory, principal: Principal) -> list[PendingApproval]:
    """Every request for a supervisor's approval still waiting, oldest first."""
    access_check(principal, Permission.CONTACT_SUPERVISE)
    found: list[PendingApproval] = []
    with uow_factory(read_only=True) as uow:
        for state in WAITING_STATES:
            offset = 0
            while offset < MAX_SCANNED:
                page = uow.contacts.list(
                    procedure=ProcedureName.INAPPROPRIATE,
                    state=state,
                    limit=MAX_PAGE,
                    offset=offset,
                )
                for contact in page:
                    if isinstance(contact, DamagedContact):
                        continue
                    record = contact.record
                    if record.approval_request is not None:
                        found.append(
                            PendingApproval(
                                record,
                                record.approval_request,
                                unapproved(record),
                                _messages(uow, record),
                            )
                        )
                if len(page) < MAX_PAGE:
                    break
                offset += MAX_PAGE
    found.sort(key=lambda item: (item.request.at, item.record.id))
    return found


def _messages(uow: UnitOfWork, record: ContactRecord) -> tuple[str, ...]:
    """The later messages of an emergencySMS conversation, as telephony recorded them."""
    if record.channel is not Channel.EMERGENCY_SMS:
        return ()
    entries = uow.audit.tail(MAX_AUDIT_ENTRIES, subject=f"contact:{record.id}")
    return tuple(
        str(entry.details.get("text", ""))
        for entry in entries
        if entry.tag == AuditTag.TELEPHONY_SMS_RECEIVED.value
    )
