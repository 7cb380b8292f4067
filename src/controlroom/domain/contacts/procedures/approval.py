"""Guards of the 4.12.3 safeguards: explicit answers, and a supervisor's approval before a
call that gives cause for concern is terminated (see ``contacts.concerns``)."""

from __future__ import annotations

from controlroom.domain.contacts.actions import RecordConsiderations
from controlroom.domain.contacts.concerns import (
    CONSIDERATIONS,
    FLAG_CONSIDERATION,
    describe,
    letter,
    required_yes,
    unapproved,
)
from controlroom.domain.contacts.procedures.base import Refusal, Situation

_CITATION = {note: key for note, _, _, key in CONSIDERATIONS}
_WAIT = "keep the caller on the line and listen for anything that raises the risk"


def considerations_answered(situation: Situation) -> Refusal | None:
    """4.12.3: (a), (b) and (c) each have an explicit yes or no before termination."""
    assessment = situation.contact.considerations
    if assessment is None:
        return Refusal(
            "inappropriate.considerations",
            "the 4.12.3 considerations (seriousness; condition or trauma; age and vulnerability)"
            " have not been recorded",
            "answer (a), (b) and (c) yes or no, each with a note",
        )
    if not assessment.answered:
        return Refusal(
            "inappropriate.considerations",
            "the 4.12.3 considerations were recorded as notes only, without a yes or no",
            "record them again answering (a), (b) and (c) yes or no",
        )
    return None


def approval_given(situation: Situation) -> Refusal | None:
    """4.12.3: a call with any concern standing is terminated only with a supervisor's
    approval that covers it."""
    record = situation.contact
    open_concerns = unapproved(record)
    if not open_concerns:
        return None
    pending = record.approval_request
    if pending is not None:
        hint = (
            f"approval was requested by {pending.actor.id} at {pending.at:%H:%M:%S}; "
            f"until a supervisor decides, {_WAIT}"
        )
    else:
        hint = f"request a supervisor's approval and meanwhile {_WAIT}; or log an incident"
    return Refusal(
        open_concerns[0].citation,
        "the call cannot be terminated without a supervisor's approval: " + describe(open_concerns),
        hint,
    )


def something_to_approve(situation: Situation) -> Refusal | None:
    """An approval (or a request for one) needs a concern that no approval covers yet."""
    if not unapproved(situation.contact):
        return Refusal(
            "inappropriate.considerations",
            "nothing on this call needs a supervisor's approval",
            "approval is needed only while a 4.12.3 concern, a vulnerability flag or a relay, "
            "BSL, SMS or silent route stands",
        )
    return None


def no_request_pending(situation: Situation) -> Refusal | None:
    """One request at a time: the supervisor already has it."""
    pending = situation.contact.approval_request
    if pending is not None:
        return Refusal(
            "inappropriate.considerations",
            f"approval was already requested by {pending.actor.id} at {pending.at:%H:%M:%S}",
            f"wait for the supervisor's decision; meanwhile {_WAIT}",
        )
    return None


def request_pending(situation: Situation) -> Refusal | None:
    """A supervisor declines a request that was made."""
    if situation.contact.approval_request is None:
        return Refusal(
            "inappropriate.considerations",
            "no approval has been requested for this call",
            "there is nothing to decline",
        )
    return None


def answers_kept(situation: Situation) -> Refusal | None:
    """4.12.3: an answer is never silently cleared: "no" is refused where a vulnerability flag
    under that consideration stands (one this assessment raises included) or where it was
    answered "yes" before."""
    action = situation.action
    if not isinstance(action, RecordConsiderations):
        return None
    needed = required_yes(situation.contact)
    needed += [(FLAG_CONSIDERATION[flag], f"{flag.value} is flagged") for flag in action.flags]
    for note, reason in needed:
        if action.answers[note] is False:
            return Refusal(
                _CITATION[note],
                f"4.12.3({letter(note)}) cannot be answered no: {reason}",
                "answer yes (say what you found in the note); a supervisor decides on termination",
            )
    return None
