"""The ladder's safeguards for the people on it (docs/nuisance.md, "The ladder's safeguards").

Two rules, both policy data (:class:`~controlroom.domain.nuisance.config.LadderRules`):

- **flags**: a warning letter or a PECS request (or any step that disconnects) is refused for a
  number flagged as a faulty device or a vulnerable person, unless a supervisor recorded an
  override, with a reason, after the flag;
- **new evidence**: a step that produces a document needs new evidence since the last such step
  was recorded: enough calls after it, and enough time.

Each refusal names the rule (its policy key) and says what is missing and what would allow it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from controlroom.domain.nuisance.case import CaseRecord, StepTaken
from controlroom.domain.nuisance.config import Ladder, LadderStep
from controlroom.domain.nuisance.history import CallSummary
from controlroom.domain.nuisance.refusal import Refusal

FLAGS_RULE = "nuisance.safeguards.blocking_flags"
EVIDENCE_RULE = "nuisance.safeguards.min_calls_between_steps / min_hours_between_steps"
OVERRIDE_HINT = (
    "a supervisor may record an override with a reason (override_vulnerability); "
    "the reason is shown on the document"
)


def blocking_flags(record: CaseRecord, ladder: Ladder) -> list[str]:
    """The flags standing on the case that block letters and requests, in words; empty when
    none does (or a supervisor overrode them after they were recorded)."""
    rules, found = ladder.rules, []
    if record.vulnerability_unresolved and rules.markers_block(record.markers):
        markers = sorted(m.value.replace("_", " ") for m in record.markers)
        found.append(f"vulnerable person ({', '.join(markers) or 'markers not known'})")
    if record.faulty_unresolved and rules.faulty_blocks(record.faulty_confidence):
        confidence = record.faulty_confidence
        sure = f"{confidence.value} confidence" if confidence else "confidence not known"
        found.append(f"faulty device ({sure})")
    return found


def flag_refusal(record: CaseRecord, ladder: Ladder, step: LadderStep) -> Refusal | None:
    """Why ``step`` is refused for the flags standing on the case, or ``None``."""
    if not ladder.rules.guards(step):
        return None
    found = blocking_flags(record, ladder)
    if not found:
        return None
    return Refusal(
        "nuisance",
        f"{step.name} is refused: the number is flagged as {' and '.join(found)} "
        f"(rule {FLAGS_RULE}); missing: a supervisor's override with a reason recorded after "
        "the flag",
        f"{OVERRIDE_HINT}; meanwhile contact the provider about the handset or make a "
        "safeguarding referral",
    )


def last_formal_step(record: CaseRecord, ladder: Ladder) -> tuple[StepTaken, LadderStep] | None:
    """The latest step recorded on the case that produced a document, with its ladder step."""
    known = {step.id: step for step in ladder.steps}
    formal = [
        (taken, known[taken.step])
        for taken in record.steps
        if taken.step in known and known[taken.step].document is not None
    ]
    return max(formal, key=lambda pair: pair[0].at) if formal else None


def calls_after(calls: Sequence[CallSummary], since: datetime, now: datetime) -> int:
    """The calls that count as new evidence: offered after ``since`` and by ``now``, leaving
    genuine emergencies out."""
    return sum(1 for call in calls if since < call.offered_at <= now and not call.genuine_emergency)


def evidence_refusal(
    record: CaseRecord,
    ladder: Ladder,
    step: LadderStep,
    now: datetime,
    calls: Sequence[CallSummary],
) -> Refusal | None:
    """Why ``step`` lacks new evidence since the last step that produced a document, or
    ``None`` when it has enough (or is not such a step, or none was recorded before)."""
    if step.document is None:
        return None
    last = last_formal_step(record, ladder)
    if last is None:
        return None
    taken, previous = last
    rules = ladder.rules
    count = calls_after(calls, taken.at, now)
    ready_at = taken.at + timedelta(hours=rules.min_hours_between_steps)
    missing = []
    if count < rules.min_calls_between_steps:
        more = rules.min_calls_between_steps - count
        missing.append(
            f"{more} more call{'s' if more != 1 else ''} from the caller after it "
            f"({count} of {rules.min_calls_between_steps})"
        )
    if now < ready_at:
        missing.append(
            f"time: at least {rules.min_hours_between_steps} hours after it, "
            f"so not before {ready_at:%Y-%m-%d %H:%M} UTC"
        )
    if not missing:
        return None
    return Refusal(
        "nuisance",
        f"{step.name} needs new evidence since {previous.name} was recorded at "
        f"{taken.at:%Y-%m-%d %H:%M} UTC (rule {EVIDENCE_RULE}); missing: " + "; ".join(missing),
        "each rung needs calls after the last one and time for the caller to respond; "
        "propose it again once both are there",
    )
