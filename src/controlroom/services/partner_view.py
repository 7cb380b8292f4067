"""The console's "Partner agencies" panel of a contact: the MAIT partners, those triage or the
handler points to first, each with what was sent to it, the delivery state of each message in
the outbox and the partner's acknowledgement (docs/console.md#partner-agencies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.errors import NotFound
from controlroom.domain.mait.delivery import KIND_CLOSE, KIND_CREATE, PartnerAck, message_id_of
from controlroom.domain.outbox import MessageState
from controlroom.domain.policy import Policy
from controlroom.services.contacts import UowFactory
from controlroom.services.partner_handoff import (
    TYPES,
    partner_messages,
    partner_setup,
    unavailable_reason,
)
from controlroom.services.suggestion import suggest_for


@dataclass(frozen=True)
class SentView:
    """One message sent to a partner and how it stands."""

    outbox_id: int
    message_id: str
    message_type: str
    state: MessageState
    attempts: int
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    ack: PartnerAck | None


@dataclass(frozen=True)
class PartnerRow:
    """A partner agency of the force, as the panel shows it."""

    agency: str
    name: str
    organisation_id: str
    service: str
    suggested_by: str
    messages: tuple[SentView, ...]
    sent: bool
    closed: bool


@dataclass(frozen=True)
class PartnerPanel:
    """The panel: the partners (suggested first) and, when nothing can be sent, why."""

    contact_id: str
    rows: tuple[PartnerRow, ...]
    unavailable: str | None
    final: bool

    @property
    def unsent(self) -> tuple[PartnerRow, ...]:
        """The partners not sent this contact yet, in the panel's order."""
        return tuple(row for row in self.rows if not row.sent)

    @property
    def waiting(self) -> bool:
        """True while a message is on its way or not yet acknowledged (the page refreshes)."""
        return any(
            m.state in (MessageState.PENDING, MessageState.DELIVERING) or m.ack is None
            for row in self.rows
            for m in row.messages
            if m.state is not MessageState.PARKED
        )


def partner_panel(
    uow_factory: UowFactory, principal: Principal, contact_id: str, policy: Policy
) -> PartnerPanel:
    """The panel of a contact. Without MAIT partners (no ``[mait]`` table) it has no rows and
    says why nothing can be sent; without a hub it lists the partners and says so too."""
    access_check(principal, Permission.CONTACT_READ)
    setup = partner_setup(policy)
    with uow_factory(read_only=True) as uow:
        unavailable = unavailable_reason(uow, policy)
        if setup is None or not setup.directory.partners:
            return PartnerPanel(contact_id, (), unavailable, False)
        contact = uow.contacts.get(contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id!r}", field="contact_id")
        if isinstance(contact, DamagedContact):
            raise contact.refusal()
        sent = partner_messages(uow, contact_id)
        acks: dict[str, PartnerAck] = {}
        for ack in uow.mait_acks.for_contact(contact_id):
            acks[ack.message_id] = ack  # the latest acknowledgement of each message
    suggested: dict[str, str] = {}
    decision = suggest_for(contact.record, policy)
    if decision is not None and decision.agency:
        suggested[decision.agency] = "triage"
    for entry in contact.history:
        agency = entry.details.get("agency", "") if entry.action is ActionKind.REFER else ""
        if agency:
            suggested.setdefault(agency, "handler")
    rows = []
    for partner in setup.directory.partners:
        messages = tuple(
            SentView(
                outbox_id=m.id,
                message_id=message_id_of(m.idempotency_key) or "",
                message_type=TYPES[m.kind].value,
                state=m.state,
                attempts=m.attempts,
                last_error=m.last_error,
                created_at=m.created_at,
                delivered_at=m.delivered_at,
                ack=acks.get(message_id_of(m.idempotency_key) or ""),
            )
            for m in sent.get(partner.agency, [])
        )
        kinds = {m.kind for m in sent.get(partner.agency, [])}
        rows.append(
            PartnerRow(
                agency=partner.agency,
                name=partner.organisation.name,
                organisation_id=partner.organisation.id,
                service=partner.service.value,
                suggested_by=suggested.get(partner.agency, ""),
                messages=messages,
                sent=KIND_CREATE in kinds,
                closed=KIND_CLOSE in kinds,
            )
        )
    rows.sort(key=lambda row: (not row.suggested_by, not row.sent))
    return PartnerPanel(contact_id, tuple(rows), unavailable, contact.is_final)
