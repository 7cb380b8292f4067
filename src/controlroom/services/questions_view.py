"""The §4.11.1 questions as the console shows them for one contact: each question, the
handler's answer (who and when), how triage cites it, and which question comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from controlroom.domain.contacts import ActionKind
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Answer
from controlroom.domain.triage.assessment import ASKED, answer_words, questions
from controlroom.services.contacts import ContactDetails


@dataclass(frozen=True)
class AskedQuestion:
    """One question and the handler's answer to it (``unknown``, with no actor, until asked)."""

    id: str
    text: str
    paragraph: str
    answer: Answer
    actor: str | None = None
    at: datetime | None = None

    @property
    def asked(self) -> bool:
        """True once the handler has recorded an answer, "not known" included."""
        return self.actor is not None

    @property
    def cited(self) -> str:
        """How triage cites the answer (``handler: weapon seen — yes``); empty until given."""
        return "" if self.answer is Answer.UNKNOWN else answer_words(self.id, self.answer)


@dataclass(frozen=True)
class QuestionPanel:
    """The questions for one contact; ``current`` is the one to ask next (focused after an
    answer) and ``last`` how the last answers given are cited."""

    questions: tuple[AskedQuestion, ...]
    can_answer: bool
    current: str
    last: tuple[str, ...]


def question_panel(details: ContactDetails, policy: Policy) -> QuestionPanel | None:
    """The panel, or None when there is nothing to ask: shown while triage's suggestion has
    questions, once any answer is recorded, and on any 999 route while the contact is open."""
    contact = details.contact
    record = contact.record
    suggestion = details.suggestion
    asking = suggestion is not None and bool(suggestion.questions)
    open_999 = record.channel.is_emergency_line and not contact.is_final
    if not (asking or record.answers or open_999):
        return None
    given = {item.question: item for item in record.answers}
    shown = tuple(
        AskedQuestion(q.id, q.text, q.paragraph, Answer.UNKNOWN)
        if (item := given.get(q.id)) is None
        else AskedQuestion(q.id, q.text, q.paragraph, item.answer, item.actor.id, item.at)
        for q in questions(policy)
    )
    last = next(
        (e for e in reversed(record.history) if e.action is ActionKind.RECORD_ANSWERS), None
    )
    answered = [q for q in ASKED if last is not None and q in last.details]
    return QuestionPanel(
        questions=shown,
        can_answer=ActionKind.RECORD_ANSWERS in details.allowed,
        current=_next(shown, answered[-1] if answered else None),
        last=tuple(answer_words(q, Answer(last.details[q])) for q in answered if last),
    )


def _next(shown: tuple[AskedQuestion, ...], after: str | None) -> str:
    """The question after ``after`` (the first not answered, with nothing answered yet); the
    last question stays current when it was the one just answered."""
    ids = [q.id for q in shown]
    if after is None:
        return next((q.id for q in shown if q.answer is Answer.UNKNOWN), ids[0])
    return ids[min(ids.index(after) + 1, len(ids) - 1)]
