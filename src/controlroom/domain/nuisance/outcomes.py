"""How an earlier call ended, in the terms nuisance detection needs."""

from __future__ import annotations

from enum import StrEnum


class OutcomeKind(StrEnum):
    """How an earlier call ended, in the terms nuisance detection needs."""

    SILENT = "silent"  # answered, nothing said, closed with no response
    ACCIDENTAL = "accidental"  # a pocket dial or a call made by mistake
    ABANDONED = "abandoned"  # the caller went before the call was answered
    CALLER_HUNG_UP = "caller_hung_up"  # the caller went after it was answered
    INAPPROPRIATE_ADVISED = "inappropriate_advised"  # §4.12 call: advised (4.12.4)
    INAPPROPRIATE_WARNED = "inappropriate_warned"  # warned of termination (4.12.5)
    INAPPROPRIATE_TERMINATED = "inappropriate_terminated"  # terminated after the warning
    EMERGENCY = "emergency"  # a genuine emergency: an incident logged or passed on
    NON_EMERGENCY = "non_emergency"  # a genuine non-emergency: advised, referred, reported
    IN_PROGRESS = "in_progress"  # not ended yet

    @property
    def label(self) -> str:
        """The outcome in plain words, for call logs."""
        return _LABELS[self]


_LABELS = {
    OutcomeKind.SILENT: "silent, no response",
    OutcomeKind.ACCIDENTAL: "accidental call",
    OutcomeKind.ABANDONED: "abandoned before answer",
    OutcomeKind.CALLER_HUNG_UP: "caller hung up",
    OutcomeKind.INAPPROPRIATE_ADVISED: "inappropriate call, advised",
    OutcomeKind.INAPPROPRIATE_WARNED: "inappropriate call, warned",
    OutcomeKind.INAPPROPRIATE_TERMINATED: "inappropriate call, terminated after warning",
    OutcomeKind.EMERGENCY: "emergency",
    OutcomeKind.NON_EMERGENCY: "genuine non-emergency",
    OutcomeKind.IN_PROGRESS: "in progress",
}

#: Outcomes of a §4.12 inappropriate 999 call.
INAPPROPRIATE = frozenset(
    {
        OutcomeKind.INAPPROPRIATE_ADVISED,
        OutcomeKind.INAPPROPRIATE_WARNED,
        OutcomeKind.INAPPROPRIATE_TERMINATED,
    }
)
