"""How an emergencySMS conversation's later messages raise triage, and never lower it.

Each further message is triaged on its own and with the messages before it; when either is
more urgent than the contact's triage so far, the message's audit row records the raise
(``raised``, ``raised_scope``). The contact's suggestion is then the most urgent of triage on
its narrative and the latest raise, re-read from the messages as they were received (audit
rows cannot change), so a later "he has gone now" never lowers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from controlroom.domain.audit import AuditEntry, AuditTag
from controlroom.domain.audit_redaction import tombstone_fields
from controlroom.domain.contacts import ContactRecord
from controlroom.domain.errors import DomainError
from controlroom.domain.location import looks_like_aml
from controlroom.domain.policy import Policy
from controlroom.domain.retention_scrub import MARKER
from controlroom.domain.sms import most_urgent, urgency
from controlroom.domain.triage import Channel, Decision
from controlroom.services.triage import triage_text

SMS_TAG = AuditTag.TELEPHONY_SMS_RECEIVED.value
#: A handler's reply and its delivery reports: shown with the contact's telephony facts.
REPLY_TAGS = (AuditTag.TELEPHONY_SMS_REPLY, AuditTag.TELEPHONY_SMS_STATUS)
#: ``raised_scope``: the message alone, or the conversation up to it.
MESSAGE, CONVERSATION = "message", "conversation"


def decide(text: str, channel: Channel, policy: Policy) -> Decision | None:
    """Triage's decision on ``text``; None when there is no text or it cannot be read."""
    if not text.strip():
        return None
    try:
        return triage_text(text, channel, policy)
    except DomainError:
        return None


def inbound(record: ContactRecord, entries: Sequence[AuditEntry]) -> list[AuditEntry | str]:
    """The caller's messages oldest first: their audit rows, led by the narrative when the
    first message has no row of its own (a conversation recorded before rows were kept). A row
    whose details were removed under the retention policy stays, its text :data:`MARKER`."""
    rows: list[AuditEntry | str] = [e for e in entries if e.tag == SMS_TAG and _is_message(e)]
    if not any(isinstance(r, AuditEntry) and _was(r, "first") for r in rows):
        rows.insert(0, record.narrative)
    return rows


def _is_message(entry: AuditEntry) -> bool:
    text = entry.details.get("text")
    if entry.redacted:
        return _was(entry, "text")
    return isinstance(text, str) and not looks_like_aml(text)


def _was(entry: AuditEntry, key: str) -> bool:
    """True when the row has ``key`` set, or had it before its details were redacted."""
    if entry.redacted:
        return key in tombstone_fields(entry.details)
    return bool(entry.details.get(key))


def message_text(item: AuditEntry | str) -> str:
    """A message's text: :data:`MARKER` once its row was redacted."""
    if isinstance(item, str):
        return item
    return MARKER if item.redacted else str(item.details["text"])


def effective(
    base: Decision | None, record: ContactRecord, entries: Sequence[AuditEntry], policy: Policy
) -> Decision | None:
    """The contact's suggestion: ``base`` (triage on its narrative) unless a later message
    raised it above that."""
    if record.channel is not Channel.EMERGENCY_SMS:
        return base
    messages = inbound(record, entries)
    raised = [
        i for i, m in enumerate(messages) if isinstance(m, AuditEntry) and m.details.get("raised")
    ]
    if not raised:
        return base
    last = messages[raised[-1]]
    assert isinstance(last, AuditEntry)
    if last.details.get("raised_scope") == MESSAGE:
        text = message_text(last)
    else:
        text = "\n".join(message_text(m) for m in messages[: raised[-1] + 1])
    return most_urgent([base, decide(text, record.channel, policy)], list(policy.grades))


def suggestion_for(
    record: ContactRecord, entries: Sequence[AuditEntry], policy: Policy
) -> Decision | None:
    """Triage's suggestion for a contact: on its narrative, raised by any later SMS message
    (``entries``: the contact's audit rows)."""
    return effective(decide(record.narrative, record.channel, policy), record, entries, policy)


def retriage(
    record: ContactRecord, entries: Sequence[AuditEntry], text: str, policy: Policy
) -> tuple[Decision | None, dict[str, Any]]:
    """Triage a further message ``text``: the decision and the audit details of the raise when
    it is more urgent than the contact's suggestion so far; ``(None, {})`` otherwise."""
    grades = list(policy.grades)
    before = suggestion_for(record, entries, policy)
    earlier = [message_text(m) for m in inbound(record, entries)]
    alone = decide(text, record.channel, policy)
    whole = decide("\n".join([*earlier, text]), record.channel, policy)
    best = most_urgent([alone, whole], grades)
    if best is None or (before is not None and urgency(best, grades) <= urgency(before, grades)):
        return None, {}
    details: dict[str, Any] = {
        "raised": f"{best.route.value} ({best.grade})",
        "raised_scope": MESSAGE if best is alone else CONVERSATION,
        "raised_from": "" if before is None else f"{before.route.value} ({before.grade})",
        "triage_flags": ",".join(flag.value for flag in best.vulnerability),
    }
    return best, details
