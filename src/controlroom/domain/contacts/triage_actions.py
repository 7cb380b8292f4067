"""Actions on what triage's reading of a contact counts for: the handler's answers to the
§4.11.1 questions, and a written contact marked as an emergency while it waits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from controlroom.domain.contacts.kinds import ActionKind, EscalationSource
from controlroom.domain.contacts.values import require_member, require_text
from controlroom.domain.errors import InvalidInput
from controlroom.domain.triage.assessment import ASKED
from controlroom.domain.triage.decision import Answer as Reply


@dataclass(frozen=True)
class RecordAnswers:
    """The handler's answers to the §4.11.1 questions (yes, no or unknown); those not given
    keep their answer. A later answer to the same question replaces the earlier one."""

    kind: ClassVar[ActionKind] = ActionKind.RECORD_ANSWERS
    danger: Reply | None = None
    now: Reply | None = None
    offender: Reply | None = None
    weapon: Reply | None = None

    def __post_init__(self) -> None:
        for question in ASKED:
            value = getattr(self, question)
            if value is not None:
                require_member(value, Reply, question)
        if not self.given():
            raise InvalidInput(
                "no answer given",
                field="answers",
                hint="answer any of: " + ", ".join(ASKED) + " (yes, no or unknown)",
            )

    def given(self) -> tuple[tuple[str, Reply], ...]:
        """The questions answered by this action and their answers, in the order asked."""
        return tuple((q, a) for q in ASKED if (a := getattr(self, q)) is not None)


@dataclass(frozen=True)
class Escalate:
    """Mark a waiting digital contact (online report, live chat) as an emergency: it becomes
    an alarm at the top of every handler's Waiting list until someone takes it."""

    kind: ClassVar[ActionKind] = ActionKind.ESCALATE
    source: EscalationSource
    reason: str

    def __post_init__(self) -> None:
        require_member(self.source, EscalationSource, "source")
        require_text(self.reason, "reason")
