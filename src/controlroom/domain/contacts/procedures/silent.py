"""Silent calls: a Silent Solution (55) call or a landline open line.

The handler prompts the caller (cough, tap, press a key, or speak quietly if they can), listens
for background noise and records what they hear. The outcome is an emergency inferred (log an
incident), an accidental call, or no response, each closed with the reason. A landline put
down stays open for 45 s: picked up again from the same number in that time, it rejoins the
same contact.
"""

from __future__ import annotations

from controlroom.domain.contacts.kinds import ActionKind as A
from controlroom.domain.contacts.procedures.base import (
    RESUME,
    Handover,
    Procedure,
    Step,
    with_updates,
)
from controlroom.domain.contacts.procedures.guards import reconnect_window
from controlroom.domain.contacts.states import ProcedureName, State
from controlroom.domain.triage.decision import Channel

S = State

#: What the handler does and records on a silent call, in order.
PROMPTS = (
    "Read the silent-call prompt: ask the caller to cough, tap the phone or press a key, or to"
    " speak quietly if they can.",
    "Listen for background noise: voices, shouting, a struggle, traffic, a television.",
    "Record each response (cough, tap, key press, speech, background noise, or nothing) with"
    " what you heard.",
    "On a landline, remember the address comes with the call, and the line stays open for 45 s"
    " if the handset is put down.",
    "Decide: an emergency inferred (log an incident), an accidental call, or no response; close"
    " with the reason.",
)

STATES = (
    S.OFFERED,
    S.ANSWERED,
    S.PROMPTING,
    S.EMERGENCY_INFERRED,
    S.HUNG_UP,
    S.ABANDONED,
    S.CLOSED,
)

MOVES: dict[tuple[State, A], Step] = {
    (S.OFFERED, A.ANSWER): S.ANSWERED,
    (S.OFFERED, A.HANG_UP): S.ABANDONED,
    (S.ANSWERED, A.PROMPT): S.PROMPTING,
    (S.ANSWERED, A.CLOSE_ACCIDENTAL): S.CLOSED,
    (S.ANSWERED, A.HANG_UP): S.HUNG_UP,
    (S.PROMPTING, A.PROMPT): S.PROMPTING,
    (S.PROMPTING, A.RECORD_RESPONSE): S.PROMPTING,
    (S.PROMPTING, A.INFER_EMERGENCY): S.EMERGENCY_INFERRED,
    (S.PROMPTING, A.CLOSE_ACCIDENTAL): S.CLOSED,
    (S.PROMPTING, A.CLOSE_NO_RESPONSE): S.CLOSED,
    (S.PROMPTING, A.HANG_UP): S.HUNG_UP,
    (S.EMERGENCY_INFERRED, A.RECORD_RESPONSE): S.EMERGENCY_INFERRED,
    (S.EMERGENCY_INFERRED, A.ASSESS): S.EMERGENCY_INFERRED,
    (S.EMERGENCY_INFERRED, A.LOG_INCIDENT): Handover(ProcedureName.EMERGENCY, S.INCIDENT_LOGGED),
    (S.EMERGENCY_INFERRED, A.HANG_UP): S.HUNG_UP,
    (S.HUNG_UP, A.RECONNECT): RESUME,
    (S.HUNG_UP, A.CLOSE_NO_RESPONSE): S.CLOSED,
    (S.HUNG_UP, A.CLOSE): S.CLOSED,
}

SILENT = Procedure(
    name=ProcedureName.SILENT,
    summary="A Silent Solution (55) call or landline open line: prompt, listen, decide.",
    citation="silent.solution",
    states=STATES,
    moves=with_updates(MOVES, STATES),
    guards={A.RECONNECT: (reconnect_window,)},
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
    scripts={A.PROMPT: "silent_prompt"},
    channel_citations={Channel.LANDLINE_OPEN_LINE: "silent.landline"},
    channel_scripts={(A.PROMPT, Channel.LANDLINE_OPEN_LINE): "silent_landline"},
)
