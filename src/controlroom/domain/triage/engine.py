"""Triage: decide where a contact belongs under the force's policy, and say why.

The rules are data (the policy's rulebook); this module only applies them:

1. read the text (:mod:`reading`): matters, time cues, denials, overrides, vulnerabilities;
2. any matter that meets its emergency condition, and that no explicit words rule out, makes
   the contact an emergency (safety first: only explicit words can rule an emergency out);
3. otherwise the most urgent matter found decides the route (police over another agency over
   not police), its agency and grade; with no matter at all, the contact is not a police matter;
4. vulnerability raises a police grade; THRIVE and a one-line summary are derived.
"""

from __future__ import annotations

from controlroom.domain.policy import Policy, Route, VulnerabilityFlag
from controlroom.domain.triage.compiled import compiled
from controlroom.domain.triage.contact_text import ContactText
from controlroom.domain.triage.decision import Decision, Reason, ReasonKind
from controlroom.domain.triage.explain import (
    channel_reasons,
    finding_reasons,
    summary,
    vulnerability_reasons,
)
from controlroom.domain.triage.reading import MatterFinding, Reading, read
from controlroom.domain.triage.text import normalise
from controlroom.domain.triage.thrive import assess_thrive

_POLICE_GRADE_ORDER = ("resolution_without_deployment", "scheduled", "priority", "immediate")
_GRADE_RAISING_FLAGS = frozenset(VulnerabilityFlag)


def triage(contact: ContactText, policy: Policy) -> Decision:
    """Decide where ``contact`` belongs under ``policy``; every step is a :class:`Reason`."""
    reading = read(compiled(policy.rulebook), normalise(contact.text))
    # Spans refer to the normalised text; give the caller's own characters back.
    flags = tuple(sorted({rule.flag for rule, _ in reading.vulnerabilities}, key=_flag_order))
    escalated = [f for f in reading.matters if f.escalated]
    deciding = _deciding_matter(reading, escalated)
    route, agency, grade = _route(policy, escalated, deciding, flags)
    reasons: list[Reason] = []
    reasons.extend(finding_reasons(policy, reading, deciding))
    if not any(f.active for f in reading.matters):
        default = policy.routes[route]
        reasons.append(
            Reason(ReasonKind.DEFAULT, default.paragraph, "default", default.explanation)
        )
    reasons.extend(vulnerability_reasons(reading))
    reasons.extend(channel_reasons(policy, contact.channel, route, deciding))
    reasons = [_restore_evidence(reason, contact.text) for reason in reasons]
    return Decision(
        route=route,
        grade=grade,
        agency=agency,
        thrive=assess_thrive(route, grade, escalated, deciding, flags, policy),
        vulnerability=flags,
        reasons=tuple(reasons),
        summary=summary(policy, route, agency, grade, escalated, deciding),
        policy=policy.force.policy_reference,
    )


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
        grade = _at_least(policy, grade, "priority")
    return route, deciding.rule.agency or default.agency, grade


def _at_least(policy: Policy, grade: str, floor: str) -> str:
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
