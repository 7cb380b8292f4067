"""The chat's ``live_chat`` contact: its narrative and transcript, and how it ends — each change
one transaction through the contacts services, with its audit row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from controlroom.domain.access import Principal
from controlroom.domain.chat import ChatInfo, transcript, visitor_account
from controlroom.domain.contacts import (
    ActionKind,
    AddNote,
    AdviceKind,
    Advise,
    Assess,
    Close,
    Contact,
    HangUp,
    LogIncident,
    State,
    UpdateNarrative,
)
from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.domain.reporting import Submission
from controlroom.domain.triage import Channel, Decision
from controlroom.services import reporting
from controlroom.services.contacts import record_action, record_fact, suggest, triage_details
from controlroom.services.escalations import escalate_by_triage
from controlroom.services.public_site import PUBLIC_SITE

if TYPE_CHECKING:
    from controlroom.services.chat import Chats

MAX_NOTE_CHARS = 100_000
#: Audit tags of what the public site records about a chat's contact.
CHAT_EMERGENCY = "chat.emergency"
CHAT_TRANSCRIPT = "chat.transcript"
_NO_GRADE = "resolution_without_deployment"


def record_escalation(
    chats: Chats,
    chat: ChatInfo,
    messages: Sequence[dict[str, Any]],
    decision: Decision,
    now: datetime,
) -> tuple[int, ActionKind]:
    """Audit the escalation on the contact, with the visitor's words so far (the public site
    may not change a contact's narrative: the operator's transcript does at the end), and mark
    a chat nobody has taken yet as an emergency (the consoles' alarm); the contact's latest
    history entry, for the event."""
    details = {
        "escalate": "immediate",
        "chat": chat.chat_id,
        "visitor_said": visitor_account(messages)[:MAX_NOTE_CHARS],
    } | triage_details(decision)
    with chats.uow_factory() as uow:
        contact = _contact(uow, chat)
        record_fact(uow, contact, CHAT_EMERGENCY, actor=PUBLIC_SITE.actor, now=now, details=details)
        policy = chats.policy
        escalate_by_triage(uow, contact, decision, principal=PUBLIC_SITE, now=now, policy=policy)
        uow.commit()
        entry = contact.history[-1]
        return entry.seq, entry.action


def _contact(uow: Any, chat: ChatInfo) -> Contact:
    contact: Contact | None = uow.contacts.get_for_update(chat.contact_id)
    if contact is None:
        raise NotFound(f"no contact {chat.contact_id!r} for chat {chat.chat_id}", field="chat")
    return contact


def close_contact(
    chats: Chats,
    principal: Principal | None,
    chat: ChatInfo,
    messages: Sequence[dict[str, Any]],
    outcome: str,
    now: datetime,
    *,
    grade: str = "",
    advice: str = "101",
    service_code: str = "",
    address: str = "",
    answers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Put the transcript on the contact and end it as ``outcome`` says (see
    ``services.chat.finish``); what was done."""
    actor = (principal or PUBLIC_SITE).actor
    policy = chats.policy
    account = visitor_account(messages)
    decision = suggest(account, Channel.LIVE_CHAT, policy)
    done: dict[str, Any] = {"outcome": outcome, "contact_id": chat.contact_id}
    if outcome == "report":
        done |= _report(chats, account, service_code, address, answers or {}, now)
    if grade and grade not in policy.grades:
        raise InvalidInput(
            f"unknown grade {grade!r}", field="grade", hint="one of " + ", ".join(policy.grades)
        )
    with chats.uow_factory() as uow:
        contact = _contact(uow, chat)

        def act(action: Any, **details: Any) -> None:
            record_action(
                uow,
                contact,
                action,
                actor=actor,
                now=now,
                policy=policy,
                details={"chat": chat.chat_id, **details},
            )

        note = ("Live chat transcript\n" + transcript(messages))[:MAX_NOTE_CHARS]
        if principal is None:  # the public site keeps the transcript in the audit trail
            record_fact(
                uow,
                contact,
                CHAT_TRANSCRIPT,
                actor=actor,
                now=now,
                details={"chat": chat.chat_id, "transcript": note},
            )
        else:
            if account and account != contact.record.narrative:
                act(UpdateNarrative(account))
            act(AddNote(note))
        if outcome == "left":
            if contact.state is State.OFFERED:
                act(HangUp(), reason="the visitor left the chat before it was answered")
        else:
            chosen = grade or (decision.grade if decision else _NO_GRADE)
            if contact.state is State.ANSWERED:
                reason = (
                    ""
                    if decision is None or decision.grade == chosen
                    else ("graded by the operator in live chat")
                )
                act(Assess(grade=chosen, suggestion=decision, reason=reason))
            if outcome == "incident":
                act(LogIncident(grade=chosen, reason="logged from live chat"))
                done["grade"] = chosen
            else:
                act(_advice(advice, decision, done))
            act(Close(reason=f"live chat ended: {outcome}"))
        uow.commit()
    return done


def _advice(advice: str, decision: Decision | None, done: dict[str, Any]) -> Advise:
    if done.get("reference") or done.get("token"):
        return Advise(AdviceKind.REPORT_ONLINE)
    if advice == AdviceKind.AGENCY.value:
        if decision is None or not decision.agency:
            raise InvalidInput("no agency to advise: triage named none", field="advice")
        return Advise(AdviceKind.AGENCY, agency=decision.agency)
    try:
        return Advise(AdviceKind(advice))
    except ValueError:
        kinds = ", ".join(kind.value for kind in AdviceKind)
        raise InvalidInput(f"unknown advice {advice!r}", field="advice", hint=kinds) from None


def _report(
    chats: Chats,
    account: str,
    service_code: str,
    address: str,
    answers: Mapping[str, str],
    now: datetime,
) -> dict[str, Any]:
    """An online report of the visitor's account, made on their behalf."""
    if chats.reporting is None:
        raise InvalidInput("online reporting is not set up", field="outcome")
    submission = Submission(
        service_code=service_code,
        description=account,
        address_string=address.strip(),
        attributes={code: (str(value),) for code, value in answers.items()},
    )
    receipt = reporting.submit_report(
        chats.uow_factory, PUBLIC_SITE, submission, now, chats.policy, chats.reporting
    )
    return {
        "reference": receipt.reference,
        "token": receipt.token,
        "report_contact_id": receipt.contact_id,
    }
