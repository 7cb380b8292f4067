"""Contacts that need another emergency service or National Highways, built the way the console
builds them (offer, answer, triage's assessment, location, incident), for the MAIT tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from controlroom.domain.contacts import (
    Actor,
    AddLocation,
    AgeBand,
    Answer,
    Assess,
    Caller,
    Contact,
    FlagVulnerability,
    LogIncident,
    Role,
)
from controlroom.domain.location.fix import LocationFix, LocationSource
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.domain.triage.contact_text import ContactText
from controlroom.domain.triage.decision import Channel
from controlroom.domain.triage.engine import triage
from controlroom.services.location_matching import evidence_for_fix

START = datetime(2026, 12, 7, 14, 2, 0, tzinfo=UTC)
HANDLER = Actor("handler-7", Role.CALL_HANDLER)
TELEPHONY = Actor("telephony", Role.INTEGRATION)


@dataclass(frozen=True)
class Scenario:
    """One contact for one partner agency."""

    agency: str
    channel: Channel
    text: str
    caller: Caller
    fix: LocationFix | None
    flags: tuple[VulnerabilityFlag, ...] = ()
    reference: str | None = None  # None: no incident logged (triage's referral only)


SCENARIOS = {
    "ambulance-999": Scenario(
        agency="ambulance-999",
        channel=Channel.NINE_NINE_NINE,
        text="My husband has collapsed in the kitchen and he isn't breathing properly",
        caller=Caller("+447700900123", "Ann Smith", AgeBand.OLDER_PERSON),
        fix=LocationFix(
            source=LocationSource.AML_SMS_V2,
            lat=50.3712345,
            lon=-4.1423456,
            accuracy_m=12.0,
            confidence_pct=68,
            positioned_at=START + timedelta(seconds=20),
        ),
        flags=(VulnerabilityFlag.DISTRESS_OR_TRAUMA,),
        reference="DC-20261207-0042",
    ),
    "fire-999": Scenario(
        agency="fire-999",
        channel=Channel.NINE_NINE_NINE,
        text="The house next door is on fire and there's smoke coming out of the windows",
        caller=Caller("+447700900456", "Raj Patel"),
        fix=LocationFix(
            source=LocationSource.LANDLINE_ADDRESS,
            lat=50.7236,
            lon=-3.5275,
            extra={"address": "12 Fore Street, Exeter EX4 3AN", "uprn": "100040212345"},
        ),
        reference="DC-20261207-0043",
    ),
    "coastguard-999": Scenario(
        agency="coastguard-999",
        channel=Channel.NINE_NINE_NINE,
        text="There's a swimmer in trouble in the sea off Fistral beach, he's being swept out",
        caller=Caller("+447700900789"),
        fix=LocationFix(
            source=LocationSource.WHAT3WORDS,
            lat=50.4172,
            lon=-5.1003,
            accuracy_m=3.0,
            extra={"words": "filled.count.soap"},
        ),
    ),
    "highways": Scenario(
        agency="highways",
        channel=Channel.ONE_ZERO_ONE,
        text="There's a large tyre lying in the middle lane of the M5 near junction 30",
        caller=Caller(None, "Jo"),
        fix=None,
    ),
}


def build_contact(policy: Policy, scenario: Scenario, contact_id: str = "C-1001") -> Contact:
    """The scenario's contact: offered, answered, assessed with triage's decision, located,
    flagged and, when it has a reference, with its incident logged."""
    now = START
    contact, _ = Contact.offer(
        contact_id=contact_id,
        channel=scenario.channel,
        caller=scenario.caller,
        actor=TELEPHONY,
        now=now,
        policy=policy,
        narrative=scenario.text,
    )
    steps = [Answer()]
    decision = triage(ContactText(scenario.text, scenario.channel), policy)
    steps.append(Assess(grade=decision.grade, suggestion=decision))
    steps.extend(FlagVulnerability(flag) for flag in scenario.flags)
    for step in steps:
        now += timedelta(seconds=15)
        contact.apply(step, actor=HANDLER, now=now, policy=policy)
    if scenario.fix is not None:
        now += timedelta(seconds=15)
        evidence = evidence_for_fix(scenario.fix, now)
        contact.apply(AddLocation(evidence), actor=TELEPHONY, now=now, policy=policy)
    if scenario.reference is not None:
        now += timedelta(seconds=15)
        logged = LogIncident(grade=decision.grade, reason="", reference=scenario.reference)
        contact.apply(logged, actor=HANDLER, now=now, policy=policy)
    return contact
