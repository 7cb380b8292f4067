"""Triage re-decided with the handler's answers recorded on a contact.

The answers are the evidence now, as for ``reassess``: the rules run again with them, and the
semantic layer, which only suggested what to ask, is not consulted again. The decision the
contact had before any answer (``before``, which may carry the semantic layer's raise) is a
floor: no set of answers lowers the route below it unless all four are "no". So a "yes" never
lowers the route, and only a full set of "no" answers lowers a route no rule recognised (the
engine itself never lowers an emergency the caller's words describe).
"""

from __future__ import annotations

from dataclasses import replace

from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.triage.assessment import HandlerAnswers
from controlroom.domain.triage.contact_text import ContactText, make_contact_text
from controlroom.domain.triage.decision import Answer, Channel, Decision, ReasonKind
from controlroom.domain.triage.engine import triage


def decide_with_answers(
    text: str,
    channel: Channel,
    answers: HandlerAnswers,
    policy: Policy,
    before: Decision | None = None,
) -> Decision:
    """Triage of ``text`` (which may be empty: a silent call) with the handler's ``answers``.

    ``before`` is the decision without answers; the result is never a lower route than it
    unless every answer is "no".
    """
    after = triage(_contact_text(text, channel, policy), policy, answers)
    if before is None or answers.all_no or after.route.rank >= before.route.rank:
        return after
    handler = tuple(reason for reason in after.reasons if reason.kind is ReasonKind.HANDLER)
    remaining = tuple(q for q in before.questions if answers.of(q.id) is Answer.UNKNOWN)
    return replace(
        before,
        reasons=(*handler, *before.reasons),
        questions=remaining if before.needs_assessment else (),
        needs_assessment=before.needs_assessment and bool(remaining),
    )


def _contact_text(text: str, channel: Channel, policy: Policy) -> ContactText:
    """The text as triage reads it; nothing at all when there is none (or none readable)."""
    if text.strip():
        try:
            return make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
        except InvalidInput:
            pass
    return ContactText("", channel)
