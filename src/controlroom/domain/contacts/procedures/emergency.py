"""The emergency procedure: answered → assessed → incident logged → closed.

Every route into 999 that is not silent starts here: voice, 999 BSL, Relay UK and emergencySMS.
From ``assessed`` the handler either logs an incident (the emergency path) or advises the caller
that the call is inappropriate, which hands the contact to the §4.12 procedure.
"""

from __future__ import annotations

from controlroom.domain.contacts.kinds import ActionKind as A
from controlroom.domain.contacts.procedures.approval import answers_kept
from controlroom.domain.contacts.procedures.base import (
    RESUME,
    Handover,
    Procedure,
    Step,
    with_updates,
)
from controlroom.domain.contacts.procedures.guards import reconnect_window
from controlroom.domain.contacts.procedures.relay import RELAY_CITATIONS, RELAY_SCRIPTS
from controlroom.domain.contacts.states import ProcedureName, State

S = State

STATES = (
    S.OFFERED,
    S.ANSWERED,
    S.ASSESSED,
    S.INCIDENT_LOGGED,
    S.HUNG_UP,
    S.TRANSFERRED,
    S.ABANDONED,
    S.CLOSED,
)

MOVES: dict[tuple[State, A], Step] = {
    (S.OFFERED, A.ANSWER): S.ANSWERED,
    (S.OFFERED, A.HANG_UP): S.ABANDONED,
    (S.ANSWERED, A.ASSESS): S.ASSESSED,
    (S.ANSWERED, A.TRANSFER): S.TRANSFERRED,
    (S.ANSWERED, A.CLOSE_ACCIDENTAL): S.CLOSED,
    (S.ANSWERED, A.HANG_UP): S.HUNG_UP,
    (S.ASSESSED, A.ASSESS): S.ASSESSED,
    (S.ASSESSED, A.RECORD_CONSIDERATIONS): S.ASSESSED,
    (S.ASSESSED, A.LOG_INCIDENT): S.INCIDENT_LOGGED,
    (S.ASSESSED, A.ADVISE): Handover(ProcedureName.INAPPROPRIATE, S.ADVISED),
    (S.ASSESSED, A.TRANSFER): S.TRANSFERRED,
    (S.ASSESSED, A.CLOSE_ACCIDENTAL): S.CLOSED,
    (S.ASSESSED, A.HANG_UP): S.HUNG_UP,
    (S.INCIDENT_LOGGED, A.ASSESS): S.INCIDENT_LOGGED,
    (S.INCIDENT_LOGGED, A.TRANSFER): S.TRANSFERRED,
    (S.INCIDENT_LOGGED, A.CLOSE): S.CLOSED,
    (S.INCIDENT_LOGGED, A.HANG_UP): S.HUNG_UP,
    (S.HUNG_UP, A.RECONNECT): RESUME,
    (S.HUNG_UP, A.CLOSE): S.CLOSED,
}

EMERGENCY = Procedure(
    name=ProcedureName.EMERGENCY,
    summary="A 999 call (voice, BSL, Relay UK or emergencySMS): assess, log, close.",
    citation="emergency.definition",
    states=STATES,
    moves=with_updates(MOVES, STATES),
    guards={A.RECONNECT: (reconnect_window,), A.RECORD_CONSIDERATIONS: (answers_kept,)},
    refusal_citations={
        A.ADVISE: "inappropriate.advise",
        A.WARN: "inappropriate.warn",
        A.TERMINATE: "inappropriate.warn",
        A.RECORD_CONSIDERATIONS: "inappropriate.considerations",
        A.OVERRIDE_VULNERABILITY: "inappropriate.considerations",
        A.REQUEST_APPROVAL: "inappropriate.considerations",
        A.APPROVE_TERMINATION: "inappropriate.considerations",
        A.DECLINE_TERMINATION: "inappropriate.considerations",
        A.RECONNECT: "silent.landline",
    },
    scripts={A.ADVISE: "advise"},
    channel_citations=RELAY_CITATIONS,
    channel_scripts=RELAY_SCRIPTS,
)
