"""The events an applied action raises besides :class:`ActionApplied`."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from controlroom.domain.contacts.actions import (
    Action,
    ApproveTermination,
    DeclineTermination,
    LogIncident,
    RequestApproval,
)
from controlroom.domain.contacts.events import (
    ApprovalRequested,
    ContactEnded,
    ContactEvent,
    ContactReconnected,
    IncidentLogged,
    ScriptPrompted,
    TerminationApproved,
    TerminationDeclined,
)
from controlroom.domain.contacts.kinds import ActionKind
from controlroom.domain.contacts.procedures import Procedure
from controlroom.domain.contacts.records import ContactRecord, HistoryEntry
from controlroom.domain.contacts.states import FINAL_STATES
from controlroom.domain.contacts.values import Actor
from controlroom.domain.policy import Policy


class _Common(TypedDict):
    contact_id: str
    seq: int
    action: ActionKind
    actor: Actor
    at: datetime


def side_events(
    procedure: Procedure,
    before: ContactRecord,
    after: ContactRecord,
    entry: HistoryEntry,
    action: Action,
    policy: Policy,
) -> list[ContactEvent]:
    """The script to read, the incident logged, the override, the reconnect or the ending that
    ``action`` brought about, moving the contact from ``before`` to ``after`` under
    ``procedure``."""
    base = _Common(
        contact_id=after.id, seq=entry.seq, action=entry.action, actor=entry.actor, at=entry.at
    )
    events: list[ContactEvent] = []
    script_id = procedure.script_for(entry.action, before.channel)
    if script_id is not None and script_id in policy.scripts:
        line = policy.scripts[script_id]
        events.append(
            ScriptPrompted(**base, script_id=script_id, paragraph=line.paragraph, text=line.text)
        )
    if isinstance(action, LogIncident) and after.incident is not None:
        discretionary = after.incident.discretionary
        key = "inappropriate.logging" if discretionary else "emergency.definition"
        events.append(
            IncidentLogged(
                **base,
                grade=after.incident.grade,
                discretionary=discretionary,
                paragraph=policy.cite(key),
            )
        )
    events.extend(_approval_events(base, after, action))
    if entry.action is ActionKind.RECONNECT and before.timestamps.ended is not None:
        events.append(ContactReconnected(**base, after=entry.at - before.timestamps.ended))
    closure = after.closure
    if after.state in FINAL_STATES and before.state not in FINAL_STATES and closure is not None:
        events.append(
            ContactEnded(**base, state=after.state, outcome=closure.outcome, reason=closure.reason)
        )
    return events


def _approval_events(base: _Common, after: ContactRecord, action: Action) -> list[ContactEvent]:
    """The request, approval or refusal of a termination that ``action`` recorded."""
    if isinstance(action, RequestApproval) and after.approval_request is not None:
        request = after.approval_request
        return [ApprovalRequested(**base, concerns=request.concerns, note=request.note)]
    if isinstance(action, ApproveTermination) and after.overrides:
        override = after.overrides[-1]
        return [
            TerminationApproved(
                **base,
                concerns=tuple(sorted(override.concerns)),
                flags=tuple(sorted(override.flags)),
                reason=override.reason,
            )
        ]
    if isinstance(action, DeclineTermination) and after.declines:
        decline = after.declines[-1]
        return [TerminationDeclined(**base, concerns=decline.concerns, reason=decline.reason)]
    return []
