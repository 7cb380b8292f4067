"""The emergency questions a handler asks when triage is unsure, and the answers they record.

The four questions follow the emergency definition (§4.11.1): is anyone in danger or injured
now; is it happening now or about to; is the person responsible there or nearby; is there a
weapon, or anything used as one. Answers are ``yes``, ``no`` or ``unknown``. A ``yes`` is
evidence that raises the route (cited as the handler's); a ``no`` never lowers an emergency the
caller's own words describe — only explicit words of the caller rule one out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.triage.decision import Answer, Question


@dataclass(frozen=True)
class _Asked:
    text: str
    citation: str  # citation key of the clause the question comes from
    words: str  # how the answer is cited: "handler: weapon seen — yes"


ASKED: Mapping[str, _Asked] = {
    "danger": _Asked(
        "Is anyone in danger or injured now?",
        "emergency.danger-to-life",
        "someone in danger or injured now",
    ),
    "now": _Asked(
        "Is it happening now, or about to happen?",
        "emergency.crime-in-progress",
        "happening now or about to",
    ),
    "offender": _Asked(
        "Is the person responsible there or nearby?",
        "emergency.crime-in-progress",
        "offender there or nearby",
    ),
    "weapon": _Asked(
        "Is there a weapon, or anything being used as one (a bottle, a tool, a bat)?",
        "emergency.danger-to-life",
        "weapon seen",
    ),
}


@dataclass(frozen=True)
class HandlerAnswers:
    """The handler's answers to the emergency questions; ``unknown`` until asked."""

    danger: Answer = Answer.UNKNOWN
    now: Answer = Answer.UNKNOWN
    offender: Answer = Answer.UNKNOWN
    weapon: Answer = Answer.UNKNOWN

    def of(self, question: str) -> Answer:
        """The answer to the question with this id."""
        answer: Answer = getattr(self, question)
        return answer

    @property
    def complete(self) -> bool:
        """True when every question has a yes or a no."""
        return all(self.of(q) is not Answer.UNKNOWN for q in ASKED)

    @property
    def all_no(self) -> bool:
        """True when every question was answered no."""
        return all(self.of(q) is Answer.NO for q in ASKED)

    def cited(self) -> list[tuple[str, Answer]]:
        """The questions answered yes or no, in the order they are asked."""
        return [(q, self.of(q)) for q in ASKED if self.of(q) is not Answer.UNKNOWN]


def parse_answers(raw: Mapping[str, object]) -> HandlerAnswers:
    """Answers from plain data (``{"weapon": "yes"}``); a clear :class:`InvalidInput` if bad."""
    values: dict[str, Answer] = {}
    for key, value in raw.items():
        if key not in ASKED:
            raise InvalidInput(
                f"unknown question {key!r}",
                field=f"answers.{key}",
                hint="answer any of: " + ", ".join(ASKED),
            )
        try:
            values[key] = Answer(value) if isinstance(value, str) else Answer(str(value))
        except ValueError:
            raise InvalidInput(
                f"answer {value!r} to {key!r} is not yes, no or unknown",
                field=f"answers.{key}",
                hint='use "yes", "no" or "unknown"',
            ) from None
    return HandlerAnswers(**values)


def questions(policy: Policy) -> tuple[Question, ...]:
    """The emergency questions, each citing the force's own paragraph for its clause."""
    fallback = policy.citations.get("emergency.definition", "")
    return tuple(
        Question(qid, asked.text, policy.citations.get(asked.citation, fallback))
        for qid, asked in ASKED.items()
    )


def answer_words(question: str, answer: Answer) -> str:
    """How an answer is cited: ``handler: weapon seen — yes``."""
    return f"handler: {ASKED[question].words} — {answer.value}"


def answer_paragraph(policy: Policy, question: str) -> str:
    """The force's paragraph for the clause a question comes from."""
    fallback = policy.citations.get("emergency.definition", "")
    return policy.citations.get(ASKED[question].citation, fallback)
