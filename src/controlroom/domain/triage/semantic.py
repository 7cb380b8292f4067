"""Triage's semantic layer: what the exemplar bank adds to the rules' decision.

The rules read words; the bank recognises kinds of situation told in words the rules lack. Given
the bank's texts nearest a contact (found by sentence embeddings, outside the domain), the layer:

- **raises** a contact to an emergency when it is close to the bank's emergency situations and
  clearly closer to them than to anything else, unless the rules found words that place it in
  the past, tell it as a report, deny it or rule an emergency out: time, negation and overrides
  stay with the rules, which embeddings cannot read. Then it tells the handler what was close
  and to ask the §4.11.1 questions instead;
- where the rules recognised nothing (and so sent the contact to a person to assess), **chooses**
  the route and agency of the nearest situation when it is close enough to count as
  recognised; a little less close, it only says what was nearest, and the handler assesses.

Besides the nearest texts, the bank's route model (trained on all its texts, outside the
domain) gives each route's likelihood: a likely emergency is raised like a close one, and where
the rules recognised nothing the likeliest other route decides when it is likely enough and
clearly more likely than an emergency.

It never lowers what the rules recognised. A contact it raises is an emergency the handler
confirms with the emergency questions. Each contribution is a reason that cites the
situation's paragraph and shows the nearest texts and how close they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from controlroom.domain.exemplars import ExemplarBank, Neighbour, Situation, Thresholds
from controlroom.domain.policy import Policy, Route, Tense
from controlroom.domain.triage.assessment import questions
from controlroom.domain.triage.compiled import compiled
from controlroom.domain.triage.contact_text import ContactText
from controlroom.domain.triage.decision import (
    Confidence,
    Decision,
    Level,
    Reason,
    ReasonKind,
    ThriveFactor,
)
from controlroom.domain.triage.engine import at_least_grade
from controlroom.domain.triage.explain import assessment_reason, channel_reasons
from controlroom.domain.triage.reading import Reading, read_remembered
from controlroom.domain.triage.text import normalise

#: Nearest texts per route, most similar first.
Nearest = Mapping[Route, Sequence[Neighbour]]
#: How likely each route is for a contact, by the bank's route model (they sum to 1).
Likelihood = Mapping[Route, float]


@dataclass(frozen=True)
class Closeness:
    """What the semantic layer found for one contact: its nearest texts and, where the bank's
    route model is there, each route's likelihood."""

    nearest: Nearest
    likelihood: Likelihood = field(default_factory=dict)


_BLOCKING_TENSES = (Tense.PAST, Tense.REPORTED)
_IMMEDIATE_TENSES = (Tense.NOW, Tense.RECENT)


def route_score(nearest: Nearest, route: Route, count: int) -> float:
    """The mean similarity of ``route``'s ``count`` nearest texts (-1 when it has none)."""
    found = list(nearest.get(route, ()))[:count]
    if not found:
        return -1.0
    return sum(n.similarity for n in found) / len(found)


def raise_likelihood(limits: Thresholds, decision: Decision) -> float:
    """The emergency likelihood that raises ``decision``: lower, when the bank says so, where
    the rules recognised nothing."""
    unrecognised = limits.raise_unrecognised_likelihood
    if decision.confidence is Confidence.UNRECOGNISED and unrecognised is not None:
        return unrecognised
    return limits.raise_likelihood


def blocking_words(reading: Reading) -> str | None:
    """Words the rules found that keep the layer from raising: a denial, an override (unless it
    gives way to words saying now or just now, and there are some), or time words placing
    everything in the past or telling it as a report (with nothing saying now)."""
    immediate = any(hit.tense in _IMMEDIATE_TENSES for hit in reading.times)
    for rule, span in reading.overrides:
        if not (rule.unless_immediate and immediate):
            return f"{span.text!r} rules an emergency out"
    for finding in reading.matters:
        if finding.negated_by is not None:
            return f"{finding.negated_by.text!r} denies what was named"
    if immediate:
        return None
    for hit in reading.times:
        if hit.tense in _BLOCKING_TENSES:
            return f"{hit.span.text!r} places it in the past"
    return None


def _shown(neighbours: Sequence[Neighbour]) -> str:
    return "; ".join(f"“{n.text}” ({n.similarity:.2f})" for n in neighbours)


def _agency_name(policy: Policy, agency: str | None) -> str:
    found = policy.agencies.get(agency) if agency is not None else None
    return found.name if found is not None else (agency or "")


def _route_words(policy: Policy, situation: Situation) -> str:
    agency = situation.agency or policy.routes[situation.route].agency
    if situation.route is Route.NOT_POLICE:
        return "not a police matter"
    if situation.route is Route.POLICE_NON_EMERGENCY:
        return "101 or report online"
    return _agency_name(policy, agency)


def _situation_words(situation: Situation) -> str:
    return situation.words


def _reason(policy: Policy, neighbours: Sequence[Neighbour], rule: str, what: str) -> Reason:
    situation = neighbours[0].situation
    return Reason(
        ReasonKind.SEMANTIC,
        policy.cite(situation.cite),
        rule,
        f"{what} — nearest examples: {_shown(neighbours)}",
    )


def refine(
    decision: Decision,
    contact: ContactText,
    policy: Policy,
    bank: ExemplarBank,
    nearest: Nearest,
    likelihood: Likelihood | None = None,
) -> Decision:
    """``decision`` with what the exemplar bank adds; never a lower route. ``likelihood``: each
    route's likelihood by the bank's route model, when there is one."""
    limits = bank.thresholds
    likely = likelihood or {}
    scores = {route: route_score(nearest, route, limits.neighbours) for route in Route}
    emergency = list(nearest.get(Route.EMERGENCY, ()))[: limits.neighbours]
    best_other = max(score for route, score in scores.items() if route is not Route.EMERGENCY)
    reading = read_remembered(compiled(policy.rulebook), normalise(contact.text))

    if decision.route is not Route.EMERGENCY and emergency:
        close = scores[Route.EMERGENCY] >= limits.raise_at
        clear = scores[Route.EMERGENCY] - best_other >= limits.margin
        chance = likely.get(Route.EMERGENCY, 0.0)
        probable = chance >= raise_likelihood(limits, decision)
        if (close and clear) or probable:
            why = f"{scores[Route.EMERGENCY]:.2f}" + (
                f"; likelihood {chance:.2f}" if likely else ""
            )
            blocked = blocking_words(reading)
            if blocked is None:
                return _raise(decision, contact, policy, emergency, why)
            note = _reason(
                policy,
                emergency,
                f"exemplar:{emergency[0].situation.id}:held-back",
                f"close to {_situation_words(emergency[0].situation)} ({why}), but {blocked}: "
                "ask whether anyone is in danger now",
            )
            return replace(decision, reasons=(*decision.reasons, note))
    if decision.confidence is Confidence.UNRECOGNISED:
        if likely:
            return _choose_likeliest(decision, contact, policy, bank, nearest, likely)
        return _choose(decision, contact, policy, bank, nearest, scores)
    return decision


#: Reasons that belong to the route the layer replaces, and are made again for the new one.
_REPLACED = (ReasonKind.CHANNEL, ReasonKind.DEFAULT, ReasonKind.ASSESSMENT)


def _raise(
    decision: Decision,
    contact: ContactText,
    policy: Policy,
    emergency: Sequence[Neighbour],
    score: str,
) -> Decision:
    situation = emergency[0].situation
    default = policy.routes[Route.EMERGENCY]
    agency = situation.agency or default.agency
    what = _situation_words(situation)
    reason = _reason(
        policy,
        emergency,
        f"exemplar:{situation.id}",
        f"close to {what} ({score}), an emergency under {policy.cite(situation.cite)}, "
        "though no rule named it: confirm with the §4.11.1 questions",
    )
    kept = [r for r in decision.reasons if r.kind not in _REPLACED]
    ask = assessment_reason(policy, Confidence.WEAK)
    channel = list(channel_reasons(policy, contact.channel, Route.EMERGENCY, None, assessing=True))
    note = f"close to {what} ({score})"
    thrive = replace(
        decision.thrive,
        threat=ThriveFactor(Level.HIGH, note),
        harm=ThriveFactor(Level.HIGH, "risk of serious harm to a person or property now"),
        risk=ThriveFactor(Level.HIGH, "immediate response needed"),
    )
    grade_name = policy.grades[default.grade].name if default.grade in policy.grades else ""
    who = _agency_name(policy, agency)
    return replace(
        decision,
        route=Route.EMERGENCY,
        grade=default.grade,
        agency=agency,
        thrive=thrive,
        reasons=(*kept, reason, ask, *channel),
        summary=f"Emergency ({policy.cite(situation.cite)}): {note}; confirm with the "
        f"questions. {grade_name}; {who}.",
        confidence=Confidence.WEAK,
        needs_assessment=True,
        questions=decision.questions or questions(policy),
    )


def _choose(
    decision: Decision,
    contact: ContactText,
    policy: Policy,
    bank: ExemplarBank,
    nearest: Nearest,
    scores: Mapping[Route, float],
) -> Decision:
    """Where the rules recognised nothing: the route of the nearest kind of situation that is
    not an emergency, when it is at least ``recognise_at`` close and closer than any emergency
    situation by ``margin``; otherwise the handler assesses, told what was nearest."""
    limits = bank.thresholds
    others = [r for r in Route if r is not Route.EMERGENCY]
    route = max(others, key=lambda r: (scores[r], r.rank))
    lead = scores[route] - scores[Route.EMERGENCY]
    if scores[route] < limits.recognise_at or lead < limits.margin:
        nearest_route = route if lead >= 0 else Route.EMERGENCY
        return _left_to_assess(decision, policy, bank, nearest, nearest_route, scores)
    how = f"{scores[route]:.2f}"
    return _recognised(decision, contact, policy, bank, nearest, route, how)


def _choose_likeliest(
    decision: Decision,
    contact: ContactText,
    policy: Policy,
    bank: ExemplarBank,
    nearest: Nearest,
    likely: Likelihood,
) -> Decision:
    """Where the rules recognised nothing: the likeliest route that is not an emergency, when
    its likelihood is at least ``recognise_likelihood`` and ahead of an emergency's by ``lead``
    (its agency that of its nearest situation); otherwise the handler assesses, told what was
    nearest."""
    limits = bank.thresholds
    scores = {route: route_score(nearest, route, limits.neighbours) for route in Route}
    others = [r for r in Route if r is not Route.EMERGENCY and nearest.get(r)]
    if not others:
        return decision
    route = max(others, key=lambda r: (likely.get(r, 0.0), r.rank))
    chance = likely.get(route, 0.0)
    lead = chance - likely.get(Route.EMERGENCY, 0.0)
    if chance < limits.recognise_likelihood or lead < limits.lead:
        nearest_route = route if lead >= 0 else Route.EMERGENCY
        return _left_to_assess(decision, policy, bank, nearest, nearest_route, scores)
    how = f"{scores[route]:.2f}; likelihood {chance:.2f}"
    danger = likely.get(Route.EMERGENCY, 0.0)
    ask = danger >= limits.ask_likelihood
    return _recognised(
        decision, contact, policy, bank, nearest, route, how, danger if ask else None
    )


def _left_to_assess(
    decision: Decision,
    policy: Policy,
    bank: ExemplarBank,
    nearest: Nearest,
    nearest_route: Route,
    scores: Mapping[Route, float],
) -> Decision:
    """Not clearly a harmless kind of situation: the handler assesses, told what was nearest."""
    limits = bank.thresholds
    neighbours = list(nearest.get(nearest_route, ()))[: limits.neighbours]
    if not neighbours:
        return decision
    situation = neighbours[0].situation
    what = _situation_words(situation)
    score = scores[nearest_route]
    if score < limits.route_at:
        told = "nothing in the exemplar bank is close"
    elif nearest_route is Route.EMERGENCY:
        told = f"the nearest situation is {what} ({score:.2f}): ask the questions"
    else:
        told = (
            f"the nearest situation is {what} ({score:.2f}), not clearly enough to decide "
            f"on; if the answers rule out danger: {_route_words(policy, situation)}"
        )
    note = _reason(
        policy, neighbours, f"exemplar:{situation.id}:nearest", f"no rule matched; {told}"
    )
    return replace(decision, reasons=(*decision.reasons, note))


def _recognised(
    decision: Decision,
    contact: ContactText,
    policy: Policy,
    bank: ExemplarBank,
    nearest: Nearest,
    route: Route,
    how: str,
    danger: float | None = None,
) -> Decision:
    """``decision`` routed as ``route``'s nearest situation, recognised by the bank; ``danger``:
    an emergency likelihood not low enough to leave out the questions."""
    neighbours = list(nearest.get(route, ()))[: bank.thresholds.neighbours]
    situation = neighbours[0].situation
    what = _situation_words(situation)
    default = policy.routes[route]
    agency = situation.agency or default.agency
    grade = default.grade
    if route is Route.POLICE_NON_EMERGENCY and decision.vulnerability:
        grade = at_least_grade(policy, grade, "priority")
    reason = _reason(
        policy,
        neighbours,
        f"exemplar:{situation.id}",
        f"no rule matched; closest to {what} ({how})",
    )
    kept = [r for r in decision.reasons if r.kind not in _REPLACED]
    channel = list(channel_reasons(policy, contact.channel, route, None))
    who = _agency_name(policy, agency)
    summaries = {
        Route.POLICE_NON_EMERGENCY: f"Police, not an emergency: close to {what}; {who}.",
        Route.OTHER_AGENCY: f"Another agency: close to {what} — {who}.",
        Route.NOT_POLICE: f"Not a police matter: close to {what}.",
    }
    summary = summaries.get(route, decision.summary)
    ask = danger is not None
    if danger is not None:
        summary += " Ask the emergency questions to rule out danger."
        check = Reason(
            ReasonKind.ASSESSMENT,
            policy.citations.get("emergency.definition", ""),
            "needs-assessment-weak",
            f"an emergency is not ruled out (likelihood {danger:.2f}): ask whether anyone is in "
            "danger or injured, whether it is happening now, whether the person responsible is "
            "there, and whether there is a weapon",
        )
        reasons = (*kept, reason, check, *channel)
    else:
        reasons = (*kept, reason, *channel)
    return replace(
        decision,
        route=route,
        grade=grade,
        agency=agency,
        reasons=reasons,
        summary=summary,
        confidence=Confidence.WEAK if ask else Confidence.RECOGNISED,
        needs_assessment=ask,
        questions=questions(policy) if ask else (),
    )
