"""The non-emergency procedure for 101 calls, online reports and live chats.

answered → assessed → an incident logged, advice given, or a referral to the agency that handles
the matter → closed. A 101 contact that turns out to be an emergency is logged with the grade
the handler gives it. An online report or live chat still waiting may be marked as an emergency
(by triage or a person): it stays offered, as an alarm at the top of the Waiting list.
"""

from __future__ import annotations

from controlroom.domain.contacts.kinds import ActionKind as A
from controlroom.domain.contacts.procedures.base import Procedure, Step, with_updates
from controlroom.domain.contacts.procedures.guards import digital_and_not_yet_escalated
from controlroom.domain.contacts.states import ProcedureName, State

S = State

STATES = (
    S.OFFERED,
    S.ANSWERED,
    S.ASSESSED,
    S.INCIDENT_LOGGED,
    S.ADVISED,
    S.REFERRED,
    S.HUNG_UP,
    S.ABANDONED,
    S.CLOSED,
)

MOVES: dict[tuple[State, A], Step] = {
    (S.OFFERED, A.ANSWER): S.ANSWERED,
    (S.OFFERED, A.HANG_UP): S.ABANDONED,
    (S.OFFERED, A.ESCALATE): S.OFFERED,
    (S.ANSWERED, A.ASSESS): S.ASSESSED,
    (S.ANSWERED, A.HANG_UP): S.HUNG_UP,
    (S.ASSESSED, A.ASSESS): S.ASSESSED,
    (S.ASSESSED, A.LOG_INCIDENT): S.INCIDENT_LOGGED,
    (S.ASSESSED, A.ADVISE): S.ADVISED,
    (S.ASSESSED, A.REFER): S.REFERRED,
    (S.ASSESSED, A.HANG_UP): S.HUNG_UP,
    (S.INCIDENT_LOGGED, A.ASSESS): S.INCIDENT_LOGGED,
    (S.INCIDENT_LOGGED, A.CLOSE): S.CLOSED,
    (S.ADVISED, A.ADVISE): S.ADVISED,
    (S.ADVISED, A.CLOSE): S.CLOSED,
    (S.REFERRED, A.CLOSE): S.CLOSED,
    (S.HUNG_UP, A.CLOSE): S.CLOSED,
}

NON_EMERGENCY = Procedure(
    name=ProcedureName.NON_EMERGENCY,
    summary="A 101 call, online report or live chat: assess, then log, advise or refer; close.",
    citation="emergency.definition",
    states=STATES,
    moves=with_updates(MOVES, STATES),
    guards={A.ESCALATE: (digital_and_not_yet_escalated,)},
    refusal_citations={
        A.WARN: "inappropriate.warn",
        A.TERMINATE: "inappropriate.warn",
        A.RECORD_CONSIDERATIONS: "inappropriate.considerations",
        A.OVERRIDE_VULNERABILITY: "inappropriate.considerations",
        A.REQUEST_APPROVAL: "inappropriate.considerations",
        A.APPROVE_TERMINATION: "inappropriate.considerations",
        A.DECLINE_TERMINATION: "inappropriate.considerations",
        A.RECONNECT: "silent.landline",
    },
)
