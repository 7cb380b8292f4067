"""The inappropriate 999 call procedure, DCP-P-042 §4.12: advise → warn → terminate.

A 999 call outside the emergency definition (4.12.1) is answered with advice: the correct
number is 101, or the local station, or the agency that handles the matter (4.12.4). No
attempt is made to transfer it. If the caller persists they are warned that the call will be
terminated (4.12.5); only then may it be terminated, and only once (a), (b) and (c) of 4.12.3
are answered yes or no and every concern (a "yes", a vulnerability flag, a relay, BSL, SMS or
silent route: ``contacts.concerns``) is covered by a supervisor's approval. At any point
before termination the handler may still log an incident at their discretion (4.12.2).
"""

from __future__ import annotations

from controlroom.domain.contacts.kinds import ActionKind as A
from controlroom.domain.contacts.procedures.approval import (
    answers_kept,
    approval_given,
    considerations_answered,
    no_request_pending,
    request_pending,
    something_to_approve,
)
from controlroom.domain.contacts.procedures.base import (
    RESUME,
    Handover,
    Procedure,
    Refusal,
    Situation,
    Step,
    with_updates,
)
from controlroom.domain.contacts.procedures.guards import (
    considerations_recorded,
    discretionary_reason,
    reconnect_window,
    warning_given,
)
from controlroom.domain.contacts.states import ProcedureName, State

S = State

STATES = (S.ADVISED, S.WARNED, S.HUNG_UP, S.TERMINATED, S.CLOSED)

_LOG = Handover(ProcedureName.EMERGENCY, S.INCIDENT_LOGGED)

MOVES: dict[tuple[State, A], Step] = {
    (S.ADVISED, A.ADVISE): S.ADVISED,
    (S.ADVISED, A.ASSESS): S.ADVISED,
    (S.ADVISED, A.RECORD_CONSIDERATIONS): S.ADVISED,
    (S.ADVISED, A.REQUEST_APPROVAL): S.ADVISED,
    (S.ADVISED, A.APPROVE_TERMINATION): S.ADVISED,
    (S.ADVISED, A.DECLINE_TERMINATION): S.ADVISED,
    (S.ADVISED, A.WARN): S.WARNED,
    (S.ADVISED, A.LOG_INCIDENT): _LOG,
    (S.ADVISED, A.CLOSE): S.CLOSED,
    (S.ADVISED, A.HANG_UP): S.HUNG_UP,
    (S.WARNED, A.ASSESS): S.WARNED,
    (S.WARNED, A.RECORD_CONSIDERATIONS): S.WARNED,
    (S.WARNED, A.REQUEST_APPROVAL): S.WARNED,
    (S.WARNED, A.APPROVE_TERMINATION): S.WARNED,
    (S.WARNED, A.DECLINE_TERMINATION): S.WARNED,
    (S.WARNED, A.TERMINATE): S.TERMINATED,
    (S.WARNED, A.LOG_INCIDENT): _LOG,
    (S.WARNED, A.CLOSE): S.CLOSED,
    (S.WARNED, A.HANG_UP): S.HUNG_UP,
    (S.HUNG_UP, A.RECONNECT): RESUME,
    (S.HUNG_UP, A.CLOSE): S.CLOSED,
}


def considerations_before_close(situation: Situation) -> Refusal | None:
    """4.12.3 applies "prior to termination": a call the handler ends from ``advised`` or
    ``warned`` needs the considerations recorded too; one the caller ended does not."""
    if situation.contact.state in (S.ADVISED, S.WARNED):
        return considerations_recorded(situation)
    return None


INAPPROPRIATE = Procedure(
    name=ProcedureName.INAPPROPRIATE,
    summary="An inappropriate 999 call (§4.12): advise, warn if the caller persists, terminate.",
    citation="inappropriate.definition",
    states=STATES,
    moves=with_updates(MOVES, STATES),
    guards={
        A.TERMINATE: (warning_given, considerations_answered, approval_given),
        A.RECORD_CONSIDERATIONS: (answers_kept,),
        A.REQUEST_APPROVAL: (considerations_answered, something_to_approve, no_request_pending),
        A.APPROVE_TERMINATION: (something_to_approve,),
        A.DECLINE_TERMINATION: (request_pending,),
        A.LOG_INCIDENT: (discretionary_reason,),
        A.CLOSE: (considerations_before_close,),
        A.RECONNECT: (reconnect_window,),
    },
    refusal_citations={
        A.ADVISE: "inappropriate.advise",
        A.WARN: "inappropriate.warn",
        A.TERMINATE: "inappropriate.warn",
        A.TRANSFER: "inappropriate.no-transfer",
        A.RECORD_CONSIDERATIONS: "inappropriate.considerations",
        A.OVERRIDE_VULNERABILITY: "inappropriate.considerations",
        A.REQUEST_APPROVAL: "inappropriate.considerations",
        A.APPROVE_TERMINATION: "inappropriate.considerations",
        A.DECLINE_TERMINATION: "inappropriate.considerations",
        A.LOG_INCIDENT: "inappropriate.logging",
        A.RECONNECT: "silent.landline",
    },
    scripts={
        A.ADVISE: "advise",
        A.WARN: "warn",
        A.TERMINATE: "terminate",
        A.REQUEST_APPROVAL: "await_approval",
    },
)
