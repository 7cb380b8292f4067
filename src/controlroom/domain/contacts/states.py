"""The procedures a contact can follow and the states it can be in."""

from __future__ import annotations

from enum import StrEnum

from controlroom.domain.triage.decision import Channel


class ProcedureName(StrEnum):
    """Which of the force's call-handling procedures a contact is following now."""

    EMERGENCY = "emergency"  # 999, 999 BSL, Relay UK 18000, emergencySMS
    INAPPROPRIATE = "inappropriate"  # DCP-P-042 §4.12: an inappropriate 999 call
    NON_EMERGENCY = "non_emergency"  # 101, online report, live chat
    SILENT = "silent"  # Silent Solution (55) and landline open lines


class State(StrEnum):
    """Where a contact stands in its procedure. Not every procedure uses every state."""

    OFFERED = "offered"  # presented to the control room, not yet answered
    ANSWERED = "answered"
    ASSESSED = "assessed"  # triage suggestion and the handler's own grade recorded
    INCIDENT_LOGGED = "incident_logged"
    ADVISED = "advised"  # told where to go instead (4.12.4 on 999; advice on 101)
    WARNED = "warned"  # told the call will be terminated (4.12.5)
    REFERRED = "referred"  # passed to the agency that handles the matter
    PROMPTING = "prompting"  # silent call: prompting the caller and listening
    EMERGENCY_INFERRED = "emergency_inferred"  # silent call judged to need the police
    HUNG_UP = "hung_up"  # the caller has gone; a landline may reconnect
    TERMINATED = "terminated"  # an inappropriate 999 call ended by the handler (4.12.5)
    TRANSFERRED = "transferred"  # passed to another emergency service or force
    ABANDONED = "abandoned"  # the caller went before the call was answered
    CLOSED = "closed"


#: States a contact never leaves (only notes and location evidence may still be added).
FINAL_STATES = frozenset({State.TERMINATED, State.TRANSFERRED, State.ABANDONED, State.CLOSED})

SILENT_CHANNELS = frozenset({Channel.SILENT_SOLUTION_55, Channel.LANDLINE_OPEN_LINE})
RELAY_CHANNELS = frozenset({Channel.BSL_999, Channel.RELAY_UK_18000, Channel.EMERGENCY_SMS})
#: Written contacts that wait in the non-emergency queue unless marked as an emergency (an
#: emergencySMS is a 999 contact from the start).
DIGITAL_CHANNELS = frozenset({Channel.ONLINE_REPORT, Channel.LIVE_CHAT})


def procedure_for(channel: Channel) -> ProcedureName:
    """The procedure a new contact on ``channel`` starts in."""
    if channel in SILENT_CHANNELS:
        return ProcedureName.SILENT
    if channel.is_emergency_line:
        return ProcedureName.EMERGENCY
    return ProcedureName.NON_EMERGENCY
