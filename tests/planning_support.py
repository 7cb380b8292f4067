"""Stored contacts for the planning tests, made the way real ones are: telephony events for
offers, answers and hang-ups, procedure actions for what the handler did."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from controlroom.domain.access import Principal
from controlroom.domain.contacts import (
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Close,
    LogIncident,
    RecordConsiderations,
    Role,
    UpdateNarrative,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services.contacts import UowFactory, do_action
from controlroom.services.telephony import CallerInfo, EventType, TelephonyEvent, ingest_event

TELEPHONY = Principal("telephony", Role.INTEGRATION)
HANDLER = Principal("planner-handler", Role.CALL_HANDLER)
CONSIDERED = RecordConsiderations(
    seriousness="a past theft, nothing in progress",
    condition="caller calm",
    age_vulnerability="adult",
    serious=False,
    condition_concern=False,
    vulnerable=False,
)


def _event(
    factory: UowFactory, policy: Policy, kind: EventType, at: datetime, **fields: object
) -> str:
    event = TelephonyEvent(id=str(uuid.uuid4()), type=kind, occurred_at=at, **fields)  # type: ignore[arg-type]
    _, body = ingest_event(factory, TELEPHONY, event, at, policy)
    return str(body["contact_id"])


def store_call(
    factory: UowFactory,
    policy: Policy,
    at: datetime,
    *,
    channel: Channel = Channel.NINE_NINE_NINE,
    wait: float = 4.0,
    handling: float | None = 120.0,
    kind: str = "plain",
) -> str:
    """A call offered at ``at``, answered after ``wait`` s and handled for ``handling`` s
    (abandoned after ``wait`` s when None). ``kind``: ``plain``, ``emergency`` (an incident
    logged) or ``inappropriate`` (a 999 call advised to report online)."""
    call_id = f"PLAN-{uuid.uuid4().hex[:10]}"
    caller = CallerInfo(number="+447700900777")
    contact = _event(
        factory, policy, EventType.CALL_OFFERED, at, call_id=call_id, channel=channel, caller=caller
    )
    if handling is None:
        _event(factory, policy, EventType.CALL_ENDED, at + timedelta(seconds=wait), call_id=call_id)
        return contact
    answered = at + timedelta(seconds=wait)
    do_action(factory, HANDLER, contact, Answer(), answered, policy)
    step = answered + timedelta(seconds=1)
    if kind == "emergency":
        actions = [
            UpdateNarrative("Someone is breaking into my house right now"),
            Assess(grade="immediate", reason="burglary in progress"),
            LogIncident(grade="immediate"),
        ]
    elif kind == "inappropriate":
        actions = [
            UpdateNarrative("I want to report my bike was stolen last week"),
            Assess(grade="scheduled", reason="a past theft"),
            CONSIDERED,
            Advise(AdviceKind.REPORT_ONLINE),
        ]
    else:
        actions = []
    for action in actions:
        do_action(factory, HANDLER, contact, action, step, policy)
        step += timedelta(seconds=1)
    ended = answered + timedelta(seconds=handling)
    if actions:
        do_action(factory, HANDLER, contact, Close("done"), ended, policy)
    else:
        _event(factory, policy, EventType.CALL_ENDED, ended, call_id=call_id)
    return contact
