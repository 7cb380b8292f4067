"""Turning findings into reasons and a one-line summary a handler can read at a glance."""

from __future__ import annotations

from collections.abc import Iterator

from controlroom.domain.policy import Policy, Route, Tense, When
from controlroom.domain.triage.decision import Channel, Confidence, Reason, ReasonKind, Span
from controlroom.domain.triage.reading import Aspect, MatterFinding, Reading

_ROUTE_WORDS = {
    Route.EMERGENCY: "an emergency",
    Route.POLICE_NON_EMERGENCY: "a police matter, not an emergency (101 or report online)",
    Route.OTHER_AGENCY: "a matter for another agency",
    Route.NOT_POLICE: "not a police matter",
}
_WHEN_WORDS = {
    When.ALWAYS: "whenever it is reported as current",
    When.PRESENT: "when it is happening now",
    When.NOW: "when the caller says it is happening right now",
}
_TENSE_WORDS = {
    Tense.NOW: "says it is happening now",
    Tense.RECENT: "says it has only just happened",
    Tense.PAST: "places it in the past",
    Tense.HABITUAL: "describes something that keeps happening, not one event now",
    Tense.REPORTED: "reports it after the event rather than as it happens",
}


def _agency_name(policy: Policy, agency: str | None) -> str:
    if agency is None or agency not in policy.agencies:
        return ""
    return policy.agencies[agency].name


def finding_reasons(
    policy: Policy, reading: Reading, deciding: MatterFinding | None
) -> Iterator[Reason]:
    """Reasons for every matter found, the deciding one first, then in text order."""
    ordered = sorted(reading.matters, key=lambda f: (f is not deciding, f.span.start))
    seen_overrides: set[tuple[str, int]] = set()
    for finding in ordered:
        rule = finding.rule
        if finding.negated_by is not None:
            neg = finding.negated_by
            yield Reason(
                ReasonKind.NEGATION,
                rule.paragraph,
                rule.id,
                f"{rule.description} is mentioned only to be denied ({neg.text!r})",
                Span(neg.start, finding.span.end, reading.text[neg.start : finding.span.end]),
            )
            continue
        if finding.suppressed_by is not None:
            by = finding.suppressed_by.rule
            yield Reason(
                ReasonKind.SUPPRESSION,
                rule.paragraph,
                rule.id,
                f"read as {by.description.lower()}, not as {rule.description.lower()}",
                finding.span,
            )
            continue
        agency = _agency_name(policy, rule.agency)
        where = _ROUTE_WORDS[rule.route] + (f": {agency}" if agency else "")
        yield Reason(
            ReasonKind.INDICATOR,
            rule.paragraph,
            rule.id,
            f"{rule.description} — {where}",
            finding.span,
        )
        yield from _emergency_reasons(finding)
        if finding.cancelled_by is not None:
            seen_overrides.add((finding.cancelled_by[0].id, finding.cancelled_by[1].start))
    for override, span in reading.overrides:
        if (override.id, span.start) in seen_overrides:
            continue
        yield Reason(
            ReasonKind.OVERRIDE,
            override.paragraph,
            override.id,
            f"{override.description} (noted; it rules out no emergency here)",
            span,
        )


def _emergency_reasons(finding: MatterFinding) -> Iterator[Reason]:
    rule = finding.rule
    escalation = rule.emergency
    if escalation is None:
        return
    time = finding.time
    if finding.escalated:
        if time is not None:
            yield Reason(
                ReasonKind.TIME,
                escalation.paragraph,
                time.cue,
                f"{time.span.text!r} {_TENSE_WORDS[time.tense]}",
                time.span,
            )
        yield Reason(
            ReasonKind.ESCALATION,
            escalation.paragraph,
            rule.id,
            f"{rule.description} is an emergency {_WHEN_WORDS[escalation.when]}"
            f" ({escalation.paragraph})",
            finding.span,
        )
        return
    if finding.cancelled_by is not None:
        override, span = finding.cancelled_by
        yield Reason(
            ReasonKind.OVERRIDE,
            override.paragraph,
            override.id,
            f"{override.description}: that rules out an emergency for {rule.description.lower()}",
            span,
        )
        return
    if time is not None:
        yield Reason(
            ReasonKind.TIME,
            escalation.paragraph,
            time.cue,
            f"{time.span.text!r} {_TENSE_WORDS[time.tense]}: not an emergency under"
            f" {escalation.paragraph}",
            time.span,
        )
        return
    said = "as having happened" if finding.aspect is Aspect.COMPLETED else "as happening"
    yield Reason(
        ReasonKind.TIME,
        escalation.paragraph,
        rule.id,
        f"reported {said}, not as happening right now: it would be an emergency"
        f" {_WHEN_WORDS[escalation.when]}",
        finding.span,
    )


def vulnerability_reasons(reading: Reading) -> Iterator[Reason]:
    """One reason per vulnerability marker found."""
    for rule, span in reading.vulnerabilities:
        yield Reason(
            ReasonKind.VULNERABILITY,
            rule.paragraph,
            rule.id,
            f"{rule.description} ({rule.flag.value.replace('_', ' ')}): weigh before closing",
            span,
        )


def signal_reasons(policy: Policy, reading: Reading) -> Iterator[Reason]:
    """One reason per sign of possible harm found where no police matter was recognised."""
    paragraph = policy.citations.get("emergency.definition", "")
    for word_class, span in reading.signals:
        yield Reason(
            ReasonKind.SIGNAL,
            paragraph,
            word_class.id,
            f"{word_class.description}: a sign of possible harm — assess before closing",
            span,
        )


_ASK = (
    "ask: is anyone in danger or injured now? is it happening now or about to? is the person"
    " responsible there or nearby? is there a weapon, or anything used as one?"
)


def assessment_reason(policy: Policy, confidence: Confidence) -> Reason:
    """Why the handler must assess the contact, and what to ask."""
    why = (
        "nothing in the text was recognised"
        if confidence is Confidence.UNRECOGNISED
        else "triage is not sure: there are signs of possible harm"
    )
    return Reason(
        ReasonKind.ASSESSMENT,
        policy.citations.get("emergency.definition", ""),
        f"needs-assessment-{confidence.value}",
        f"{why}; it is not treated as 'not a police matter' — {_ASK}",
    )


def assessment_summary(
    policy: Policy,
    confidence: Confidence,
    reading: Reading,
    deciding: MatterFinding | None,
    decided: str,
) -> str:
    """The one line for a contact the handler must assess."""
    paragraph = policy.citations.get("emergency.definition", "")
    if confidence is Confidence.UNRECOGNISED:
        return f"Needs assessment ({paragraph}): nothing recognised in the text; {_ASK}"
    signs = ", ".join(dict.fromkeys(w.description.lower() for w, _ in reading.signals))
    besides = decided if deciding is not None else "Nothing else recognised."
    return (
        f"Needs assessment ({paragraph}): signs of possible harm ({signs}). {besides}"
        f" {_ASK[0].upper()}{_ASK[1:]}"
    )


def channel_reasons(
    policy: Policy,
    channel: Channel,
    route: Route,
    deciding: MatterFinding | None,
    *,
    assessing: bool = False,
) -> Iterator[Reason]:
    """What the route means for the channel the contact came by (nothing about an
    inappropriate 999 call while the handler still has to assess it)."""
    cite = policy.citations.get
    if channel.is_emergency_line and route is not Route.EMERGENCY and not assessing:
        paragraph = cite("inappropriate.definition")
        if paragraph:
            yield Reason(
                ReasonKind.CHANNEL,
                paragraph,
                "inappropriate-999",
                "a 999 call outside the emergency definition is an inappropriate 999 call:"
                f" advise the caller per {cite('inappropriate.advise', paragraph)}"
                " (101, the local police station or online) and do not transfer the call",
            )
        logging = cite("inappropriate.logging")
        if logging and route is Route.POLICE_NON_EMERGENCY and deciding and deciding.rule.crime:
            yield Reason(
                ReasonKind.CHANNEL,
                logging,
                "discretionary-logging",
                "the call reports a crime: it may still be logged at the handler's discretion"
                " if it is serious enough",
                deciding.span,
            )
    if not channel.is_emergency_line and route is Route.EMERGENCY:
        paragraph = cite("guidance.call-999")
        if paragraph:
            yield Reason(
                ReasonKind.CHANNEL,
                paragraph,
                "emergency-on-non-emergency-channel",
                f"an emergency reported by {channel.value}: alert the control room now and tell"
                " the person to ring 999",
            )


def summary(
    policy: Policy,
    route: Route,
    agency: str | None,
    grade: str,
    escalated: list[MatterFinding],
    deciding: MatterFinding | None,
) -> str:
    """One line: the route, what it rests on, and who acts."""
    grade_name = policy.grades[grade].name if grade in policy.grades else grade
    who = _agency_name(policy, agency)
    if route is Route.EMERGENCY and escalated:
        matters = ", ".join(dict.fromkeys(f.rule.description.lower() for f in escalated))
        paragraph = escalated[0].rule.emergency.paragraph if escalated[0].rule.emergency else ""
        return f"Emergency ({paragraph}): {matters}. {grade_name}; {who}."
    if deciding is None:
        return "Not a police matter: no emergency and no police matter recognised in the text."
    what = deciding.rule.description
    if route is Route.POLICE_NON_EMERGENCY:
        return f"Police, not an emergency: {what.lower()}. {grade_name}; {who}."
    if route is Route.OTHER_AGENCY:
        return f"Another agency: {what.lower()} — {who}."
    return f"Not a police matter: {what.lower()}."
