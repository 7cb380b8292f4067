"""Triage: decide where a contact belongs under the force's policy, and say why.

The rules are data (the policy's rulebook); this module only applies them:

1. read the text (:mod:`reading`): matters, time cues, denials, overrides, vulnerabilities;
2. any matter that meets its emergency condition, and that no explicit words rule out, makes
   the contact an emergency (safety first: only explicit words can rule an emergency out);
3. otherwise the most urgent matter found decides the route (police over another agency over
   not police), its agency and grade; with no matter at all, the contact goes to a person to
   assess (never a confident "not a police matter" merely because nothing matched);
4. vulnerability raises a police grade; THRIVE and a one-line summary are derived;
5. how sure it is (:class:`Confidence`): a weak or unrecognised decision carries the emergency
   questions for the handler, whose answers (:mod:`assessment`) are evidence that can raise it.
"""

from __future__ import annotations

from controlroom.domain.policy import Policy, Route, VulnerabilityFlag
from controlroom.domain.triage.assessment import (
    HandlerAnswers,
    answer_paragraph,
    answer_words,
    questions,
)
from controlroom.domain.triage.compiled import compiled
from controlroom.domain.triage.contact_text import ContactText
from controlroom.domain.triage.decision import (
    Answer,
    Confidence,
    Decision,
    Question,
    Reason,
    ReasonKind,
)
from controlroom.domain.triage.explain import (
    assessment_reason,
    assessment_summary,
    channel_reasons,
    finding_reasons,
    signal_reasons,
    summary,
    vulnerability_reasons,
)
from controlroom.domain.triage.reading import MatterFinding, Reading, read_remembered
from controlroom.domain.triage.text import normalise
from controlroom.domain.triage.thrive import assess_thrive

_POLICE_GRADE_ORDER = ("resolution_without_deployment", "scheduled", "priority", "immediate")
_GRADE_RAISING_FLAGS = frozenset(VulnerabilityFlag)


def triage(contact: ContactText, policy: Policy, answers: HandlerAnswers | None = None) -> Decision:
    """Decide where ``contact`` belongs under ``policy``; every step is a :class:`Reason`.

    ``answers`` are the handler's answers to the emergency questions, taken as evidence.
    """
    reading = read_remembered(compiled(policy.rulebook), normalise(contact.text))
    flags = tuple(sorted({rule.flag for rule, _ in reading.vulnerabilities}, key=_flag_order))
    escalated = [f for f in reading.matters if f.escalated]
    deciding = _deciding_matter(reading, escalated)
    route, agency, grade = _route(policy, escalated, deciding, flags)
    reasons: list[Reason] = []
    reasons.extend(finding_reasons(policy, reading, deciding))
    confidence = _confidence(reading, deciding, route)
    needs = confidence is not Confidence.RECOGNISED
    handler: list[Reason] = []
    if answers is not None:
        route, agency, grade, handler = _with_answers(
            policy, answers, (route, agency, grade), reading, deciding, flags
        )
        needs = needs and not answers.complete and route is not Route.EMERGENCY
    elif deciding is None:  # never a confident "not a police matter" because nothing matched
        route, agency, grade = _fail_safe(policy, flags)
    if deciding is None and not needs and route is Route.NOT_POLICE:
        default = policy.routes[route]
        reasons.append(
            Reason(ReasonKind.DEFAULT, default.paragraph, "default", default.explanation)
        )
    reasons.extend(handler)
    if confidence is Confidence.WEAK:
        reasons.extend(signal_reasons(policy, reading))
    if needs:
        reasons.append(assessment_reason(policy, confidence))
    reasons.extend(vulnerability_reasons(reading))
    reasons.extend(channel_reasons(policy, contact.channel, route, deciding, assessing=needs))
    reasons = [_restore_evidence(reason, contact.text) for reason in reasons]
    line = summary(policy, route, agency, grade, escalated, deciding)
    if handler and route is Route.EMERGENCY and not escalated:
        line = f"Emergency on the handler's answers: {handler[0].explanation}."
    if needs:
        line = assessment_summary(policy, confidence, reading, deciding, line)
    return Decision(
        route=route,
        grade=grade,
        agency=agency,
        thrive=assess_thrive(route, grade, escalated, deciding, flags, policy),
        vulnerability=flags,
        reasons=tuple(reasons),
        summary=line,
        policy=policy.force.policy_reference,
        confidence=confidence,
        needs_assessment=needs,
        questions=_still_to_ask(policy, answers) if needs else (),
    )


def _still_to_ask(policy: Policy, answers: HandlerAnswers | None) -> tuple[Question, ...]:
    """The emergency questions the handler has not answered yet."""
    asked = questions(policy)
    if answers is None:
        return asked
    return tuple(q for q in asked if answers.of(q.id) is Answer.UNKNOWN)


def _confidence(reading: Reading, deciding: MatterFinding | None, route: Route) -> Confidence:
    """Recognised, weak (signs of harm only, or beside a harmless matter) or unrecognised."""
    if deciding is None:
        return Confidence.WEAK if reading.signals else Confidence.UNRECOGNISED
    if route.rank < Route.POLICE_NON_EMERGENCY.rank and reading.signals:
        return Confidence.WEAK
    return Confidence.RECOGNISED


def _fail_safe(
    policy: Policy, flags: tuple[VulnerabilityFlag, ...]
) -> tuple[Route, str | None, str]:
    """Where a contact nothing was recognised in goes: to a person, to assess it."""
    default = policy.routes[Route.POLICE_NON_EMERGENCY]
    grade = default.grade
    if flags:
        grade = at_least_grade(policy, grade, "priority")
    return Route.POLICE_NON_EMERGENCY, default.agency, grade


def _with_answers(
    policy: Policy,
    answers: HandlerAnswers,
    decided: tuple[Route, str | None, str],
    reading: Reading,
    deciding: MatterFinding | None,
    flags: tuple[VulnerabilityFlag, ...],
) -> tuple[Route, str | None, str, list[Reason]]:
    """The route re-decided with the handler's answers; a yes raises, a no never lowers."""
    route, agency, grade = decided
    yes = {q for q, a in answers.cited() if a is Answer.YES}
    not_now = answers.now is Answer.NO
    harm_found = bool(reading.signals) or any(
        f.active and (f.rule.crime or f.rule.emergency is not None) for f in reading.matters
    )
    raising = [
        q
        for q in ("danger", "weapon", "offender", "now")
        if q in yes and (q == "danger" or not not_now) and (q != "now" or harm_found)
    ]
    reasons = [
        Reason(ReasonKind.HANDLER, answer_paragraph(policy, q), f"handler-{q}", answer_words(q, a))
        for q, a in answers.cited()
    ]
    reasons.sort(key=lambda r: r.rule.removeprefix("handler-") not in raising)
    if raising and route is not Route.EMERGENCY:
        default = policy.routes[Route.EMERGENCY]
        return Route.EMERGENCY, default.agency, default.grade, reasons
    if route is Route.EMERGENCY:
        return route, agency, grade, reasons
    if yes & {"weapon", "offender"} or (deciding is None and not answers.all_no):
        route, agency, grade = _fail_safe(policy, flags)
        if yes:
            grade = at_least_grade(policy, grade, "priority")
        return route, agency, grade, reasons
    if deciding is None and reading.signals:  # signs of harm, though not now: for the police
        route, agency, grade = _fail_safe(policy, flags)
    return route, agency, grade, reasons


def _flag_order(flag: VulnerabilityFlag) -> int:
    return list(VulnerabilityFlag).index(flag)


def _deciding_matter(reading: Reading, escalated: list[MatterFinding]) -> MatterFinding | None:
    """The finding the route rests on: the first escalated one, else the most urgent matter."""
    if escalated:
        return escalated[0]
    active = [f for f in reading.matters if f.active]
    if not active:
        return None
    return max(active, key=lambda f: (f.rule.route.rank, f.span.end - f.span.start, -f.span.start))


def _route(
    policy: Policy,
    escalated: list[MatterFinding],
    deciding: MatterFinding | None,
    flags: tuple[VulnerabilityFlag, ...],
) -> tuple[Route, str | None, str]:
    """Route, agency and grade for the findings."""
    if escalated:
        default = policy.routes[Route.EMERGENCY]
        agencies = [f.rule.emergency.agency for f in escalated if f.rule.emergency]
        # Any matter for the police makes it a police emergency; else the named service's.
        agency = default.agency if None in agencies or not agencies else agencies[0]
        return Route.EMERGENCY, agency, default.grade
    if deciding is None:
        default = policy.routes[Route.NOT_POLICE]
        return Route.NOT_POLICE, default.agency, default.grade
    route = deciding.rule.route
    default = policy.routes[route]
    grade = deciding.rule.grade or default.grade
    if route is Route.POLICE_NON_EMERGENCY and _GRADE_RAISING_FLAGS.intersection(flags):
        grade = at_least_grade(policy, grade, "priority")
    return route, deciding.rule.agency or default.agency, grade


def at_least_grade(policy: Policy, grade: str, floor: str) -> str:
    """``grade`` raised to ``floor`` when both are in the standard order and grades exist."""
    if grade not in _POLICE_GRADE_ORDER or floor not in policy.grades:
        return grade
    if _POLICE_GRADE_ORDER.index(grade) < _POLICE_GRADE_ORDER.index(floor):
        return floor
    return grade


def _restore_evidence(reason: Reason, original: str) -> Reason:
    """Evidence text taken from what the person actually typed (curly quotes and all)."""
    if reason.evidence is None:
        return reason
    span = reason.evidence
    text = original[span.start : span.end]
    if text == span.text:
        return reason
    return Reason(
        reason.kind,
        reason.paragraph,
        reason.rule,
        reason.explanation,
        type(span)(span.start, span.end, text),
    )
