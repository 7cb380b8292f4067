"""What triage suggests for a contact: its decision on the caller's words (raised by any later
message of an emergencySMS conversation) and, once the handler has answered any of the §4.11.1
questions, the decision re-made with those answers."""

from __future__ import annotations

from collections.abc import Sequence

from controlroom.domain.audit import AuditEntry
from controlroom.domain.contacts import ContactRecord
from controlroom.domain.errors import DomainError
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, Decision, decide_with_answers
from controlroom.services.sms_triage import effective
from controlroom.services.triage import triage_text


def suggest(narrative: str, channel: Channel, policy: Policy) -> Decision | None:
    """Triage's decision on ``narrative``; None when there is no text or it cannot be read."""
    if not narrative.strip():
        return None
    try:
        return triage_text(narrative, channel, policy)
    except DomainError:
        return None


def suggest_for(
    record: ContactRecord, policy: Policy, entries: Sequence[AuditEntry] = ()
) -> Decision | None:
    """Triage's decision for the contact as recorded: its narrative, raised by any later SMS
    message (``entries``: the contact's audit rows), and the handler's answers (a contact with
    answers has a decision even before any words are recorded)."""
    before = effective(suggest(record.narrative, record.channel, policy), record, entries, policy)
    answers = record.handler_answers
    if answers is None:
        return before
    return decide_with_answers(record.narrative, record.channel, answers, policy, before)
