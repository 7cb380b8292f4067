"""The inappropriate 999 call procedure, DCP-P-042 §4.12: advise → warn → terminate.

A 999 call outside the emergency definition (4.12.1) is answered with advice: the correct
number is 101, or the local station, or the agency that handles the matter (4.12.4). No
attempt is made to transfer it. If the caller persists they are warned that the call will be
terminated (4.12.5); only then may it be terminated, and only once the 4.12.3 considerations
are recorded and no vulnerability flag stands without a supervisor's override. At any point
before termination the handler may still log an incident at their discretion (4.12.2).
"""

from __future__ import annotations

from controlroom.domain.contacts.kinds import ActionKind as A
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
    something_to_override,
    vulnerability_resolved,
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
    (S.ADVISED, A.OVERRIDE_VULNERABILITY): S.ADVISED,
    (S.ADVISED, A.WARN): S.WARNED,
    (S.ADVISED, A.LOG_INCIDENT): _LOG,
    (S.ADVISED, A.CLOSE): S.CLOSED,
    (S.ADVISED, A.HANG_UP): S.HUNG_UP,
    (S.WARNED, A.ASSESS): S.WARNED,
    (S.WARNED, A.RECORD_CONSIDERATIONS): S.WARNED,
    (S.WARNED, A.OVERRIDE_VULNERABILITY): S.WARNED,
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
        A.TERMINATE: (warning_given, considerations_recorded, vulnerability_resolved),
        A.OVERRIDE_VULNERABILITY: (something_to_override,),
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
        A.LOG_INCIDENT: "inappropriate.logging",
        A.RECONNECT: "silent.landline",
    },
    scripts={A.ADVISE: "advise", A.WARN: "warn", A.TERMINATE: "terminate"},
)
