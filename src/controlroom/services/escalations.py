"""Escalated digital contacts as an alarm: an online report or live chat marked as an emergency
(by triage on the public site, or by a person) that nobody has taken yet.

Everything here is read from the stored contacts, so every instance agrees and a restart loses
nothing: an alarm lasts while its contact waits (``offered``) and ends when someone answers it
(or the member of the public leaves); supervisors are alerted again once it has waited the
policy's ``[digital_escalation] realert_seconds`` since it was marked, which is computed from
the stored time of the mark, never from a timer kept in memory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import (
    DIGITAL_CHANNELS,
    ActionKind,
    Caller,
    Contact,
    Escalate,
    EscalationSource,
    State,
)
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, Decision
from controlroom.services.contacts import UowFactory, record_action
from controlroom.services.ports import UnitOfWork

log = logging.getLogger(__name__)
#: The most alarms one page lists (each is also a row at the top of the Waiting list).
ALARM_LIMIT = 200
MAX_REASON_CHARS = 2000


@dataclass(frozen=True)
class Alarm:
    """One escalated contact still waiting, as the consoles show it."""

    contact_id: str
    channel: Channel
    caller: str
    source: EscalationSource
    reason: str
    offered_at: datetime
    escalated_at: datetime
    realert_at: datetime  # when supervisors are alerted again if nobody has taken it

    def age(self, now: datetime) -> timedelta:
        """How long it has been an emergency waiting."""
        return require_utc(now) - self.escalated_at

    def overdue(self, now: datetime) -> bool:
        """True once it has waited past the policy's re-alert time."""
        return require_utc(now) >= self.realert_at


def _caller(caller: Caller) -> str:
    if caller.number and caller.name:
        return f"{caller.name} ({caller.number})"
    return caller.number or caller.name or "member of the public"


def alarm_for(contact: Contact, policy: Policy) -> Alarm | None:
    """The alarm a contact raises now: ``None`` unless it is a waiting escalated one."""
    record = contact.record
    escalation = record.escalation
    if escalation is None or record.state is not State.OFFERED:
        return None
    after = timedelta(seconds=policy.digital_escalation.realert_seconds)
    return Alarm(
        contact_id=record.id,
        channel=record.channel,
        caller=_caller(record.caller),
        source=escalation.source,
        reason=escalation.reason,
        offered_at=record.timestamps.offered,
        escalated_at=escalation.at,
        realert_at=escalation.at + after,
    )


def open_alarms(uow_factory: UowFactory, principal: Principal, policy: Policy) -> list[Alarm]:
    """Every escalated contact nobody has taken yet, the longest marked first."""
    access_check(principal, Permission.CONTACT_READ)
    alarms: list[Alarm] = []
    with uow_factory(read_only=True) as uow:
        for channel in sorted(DIGITAL_CHANNELS):
            for contact in uow.contacts.list(
                channel=channel, state=State.OFFERED, limit=ALARM_LIMIT
            ):
                alarm = None if isinstance(contact, DamagedContact) else alarm_for(contact, policy)
                if alarm is not None:
                    alarms.append(alarm)
    return sorted(alarms, key=lambda a: (a.escalated_at, a.contact_id))[:ALARM_LIMIT]


def escalate_by_triage(
    uow: UnitOfWork,
    contact: Contact,
    decision: Decision,
    *,
    principal: Principal,
    now: datetime,
    policy: Policy,
) -> bool:
    """Inside ``uow``: mark a written contact triage read as an emergency, if it is still
    waiting and not marked yet (someone already with the person needs no alarm). True when
    it was marked; the audit row and events go with the unit of work."""
    record = contact.record
    if record.state is not State.OFFERED or record.escalation is not None:
        return False
    if ActionKind.ESCALATE not in contact.allowed_actions(policy, actor=principal.actor):
        # Never lose the report or chat over it: the person has been told to call 999 and the
        # ReportEscalated / ChatEscalated event still goes out; say loudly that no alarm did.
        log.error(
            "contact %s: triage read an emergency but %s (%s) may not mark it; no alarm raised",
            record.id,
            principal.name,
            principal.role.value,
        )
        return False
    reason = (decision.summary or "triage read an emergency")[:MAX_REASON_CHARS]
    action = Escalate(EscalationSource.TRIAGE, reason)
    record_action(uow, contact, action, actor=principal.actor, now=now, policy=policy)
    return True
