"""Guards: the checks a transition table cannot express, each naming its paragraph."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from controlroom.domain.contacts.actions import LogIncident, Reconnect, Transfer
from controlroom.domain.contacts.kinds import ActionKind, TransferDestination
from controlroom.domain.contacts.procedures.base import Refusal, Situation
from controlroom.domain.contacts.states import DIGITAL_CHANNELS
from controlroom.domain.contacts.timers import LANDLINE_RECONNECT_WINDOW
from controlroom.domain.contacts.values import Role

_HANDLERS = frozenset({Role.CALL_HANDLER, Role.SUPERVISOR})
_SYSTEMS = _HANDLERS | {Role.INTEGRATION}

#: Who may apply each action. Auditors and administrators never change a contact; systems
#: (telephony, location, triage) report what happened on the line; handlers do the rest.
ROLES: Mapping[ActionKind, frozenset[Role]] = MappingProxyType(
    {
        **dict.fromkeys(ActionKind, _HANDLERS),
        ActionKind.OFFER: _SYSTEMS,
        ActionKind.HANG_UP: _SYSTEMS,
        ActionKind.RECONNECT: _SYSTEMS,
        ActionKind.ADD_LOCATION: _SYSTEMS,
        ActionKind.FLAG_VULNERABILITY: _SYSTEMS,
        ActionKind.ESCALATE: _SYSTEMS,  # triage on the public site, or a person
        ActionKind.OVERRIDE_VULNERABILITY: frozenset({Role.SUPERVISOR}),
        ActionKind.APPROVE_TERMINATION: frozenset({Role.SUPERVISOR}),
        ActionKind.DECLINE_TERMINATION: frozenset({Role.SUPERVISOR}),
    }
)


def no_transfer_to_101(situation: Situation) -> Refusal | None:
    """4.12.4: no attempt is made to transfer a 999 call to 101, in any state."""
    action = situation.action
    contact = situation.contact
    if (
        isinstance(action, Transfer)
        and action.to is TransferDestination.POLICE_101
        and contact.channel.is_emergency_line
    ):
        return Refusal(
            "inappropriate.no-transfer",
            f"a {contact.channel.value} call is never transferred to 101: that keeps the 999 "
            "line open",
            "advise the caller to ring 101 or visit their local police station instead",
        )
    return None


def warning_given(situation: Situation) -> Refusal | None:
    """4.12.5: a call is terminated only once the warning has been given."""
    if situation.contact.warning is None:
        return Refusal(
            "inappropriate.warn",
            "the call cannot be terminated before the caller has been warned",
            "warn the caller that it is our intention to terminate the call",
        )
    return None


def considerations_recorded(situation: Situation) -> Refusal | None:
    """4.12.3: seriousness, condition and age/vulnerability are recorded before it ends."""
    if situation.contact.considerations is None:
        return Refusal(
            "inappropriate.considerations",
            "the 4.12.3 considerations (seriousness; condition or trauma; age and vulnerability)"
            " have not been recorded",
            "record a note on each of the three considerations",
        )
    return None


def discretionary_reason(situation: Situation) -> Refusal | None:
    """4.12.2: an inappropriate call is logged only if what it reports is serious enough."""
    action = situation.action
    if isinstance(action, LogIncident) and not action.reason.strip():
        return Refusal(
            "inappropriate.logging",
            "logging an inappropriate 999 call is discretionary and needs the reason the "
            "reported incident is serious enough (e.g. a burglary)",
            "give the reason with the grade",
        )
    return None


def reconnect_window(situation: Situation) -> Refusal | None:
    """A landline put down rejoins its contact only from the same number within 45 s."""
    contact = situation.contact
    if not contact.reconnectable:
        return Refusal(
            "silent.landline",
            f"only a landline stays open after a hang-up; this is a {contact.channel.value} call",
            "treat the caller's new call as a new contact",
        )
    action, now, ended = situation.action, situation.now, contact.timestamps.ended
    if isinstance(action, Reconnect) and action.number != contact.caller.number:
        return Refusal(
            "silent.landline",
            f"{action.number} is not the number that hung up",
            "treat the new call as a new contact",
        )
    if now is None or ended is None:
        return None
    gap = now - ended
    if gap > LANDLINE_RECONNECT_WINDOW:
        return Refusal(
            "silent.landline",
            f"the line was put down {gap.total_seconds():g} s ago; it stays open for "
            f"{LANDLINE_RECONNECT_WINDOW.total_seconds():g} s",
            "treat the caller's new call as a new contact",
        )
    if gap.total_seconds() < 0:
        return Refusal("silent.landline", "a reconnect cannot come before the hang-up")
    return None


def digital_and_not_yet_escalated(situation: Situation) -> Refusal | None:
    """Only a written contact (online report, live chat) is marked as an emergency, once: a
    voice call is answered from its own line, and a second mark would restart the alarm."""
    contact = situation.contact
    if contact.channel not in DIGITAL_CHANNELS:
        return Refusal(
            "emergency.definition",
            f"only an online report or a live chat is marked as an emergency; this is a "
            f"{contact.channel.value} contact",
            "answer the call and grade it as the emergency it is",
        )
    if contact.escalation is not None:
        return Refusal(
            "emergency.definition",
            "this contact is already marked as an emergency",
            "take it from the top of the Waiting list",
        )
    return None
