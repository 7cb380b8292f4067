"""A seeded, realistic stream of telephony events for N calls, shaped as docs/telephony.md says.

For demonstrations (``controlroom replay``) and load (``bench/telephony_bench.py``). The same
seed, start and speed always give the same stream. Each call becomes one contact and a few
events:

- **Channels.** Mostly 999 voice, then 101; the rarer routes (Silent Solution 55, landline open
  lines, 999 BSL, Relay UK 18000, emergencySMS) are boosted so that a few hundred calls have
  some of each: nationally about 50 of some 33,000 daily 999 calls are put through by 55 and
  999 BSL takes about 20,000 calls a year.
- **Callers.** Random numbers in the UK mobile range and Devon and Cornwall's geographic codes,
  in E.164; a quarter of 999 voice calls from landlines (with the registered address, usually
  with coordinates); some repeat callers; some 101 callers withheld.
- **What callers say.** ``CallPlan.narrative``: about 20% of 999 accounts are emergencies (the
  force says just 20% of its 999 calls need an emergency response). Only emergencySMS sends
  it (the first message); call events carry no text.
- **Timing.** Calls arrive at random, ``BASE_CALLS_PER_HOUR`` times ``speed``; each is offered,
  answered a few seconds later (some abandoned first), keyed (``55`` on Silent Solution calls)
  and ended. Mobile 999 calls usually get an AML SMS about 18 s in. Some landlines hang up
  and come back within 45 s, on the same call or a new one (999 and open lines only:
  a 101 landline does not stay open).
- **Delivery.** A fraction of a second after each event, except that a few calls' offers are
  held back (the answer or the AML arrives first) and a few events are delivered twice (same
  id, same body). Events of one call are meant to be sent in order, one after another
  (``StreamEvent.call``); ``call.dtmf`` and ``call.reconnected`` always follow the event that
  creates the contact, so the stream is valid whatever the order between calls.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from controlroom.domain.location.aml_format import format_aml_v1, format_aml_v2
from controlroom.domain.location.fix import LocationFix, LocationSource, PositioningMethod
from controlroom.domain.triage import Channel

#: Calls an hour at ``speed=1``: a large force's control room at a busy time.
BASE_CALLS_PER_HOUR = 360.0
#: Weights of the channels (per 100 calls).
MIX: tuple[tuple[Channel, float], ...] = (
    (Channel.NINE_NINE_NINE, 55),
    (Channel.ONE_ZERO_ONE, 30),
    (Channel.LANDLINE_OPEN_LINE, 4),
    (Channel.SILENT_SOLUTION_55, 3),
    (Channel.RELAY_UK_18000, 3),
    (Channel.EMERGENCY_SMS, 3),
    (Channel.BSL_999, 2),
)
EMERGENCY_SHARE = {Channel.NINE_NINE_NINE: 0.20, Channel.ONE_ZERO_ONE: 0.02}
_ANSWER_DELAY = {Channel.ONE_ZERO_ONE: (15.0, 240.0)}  # seconds; others (2, 9), 10% slower
_DURATION = {
    Channel.NINE_NINE_NINE: (60.0, 420.0),
    Channel.ONE_ZERO_ONE: (120.0, 900.0),
    Channel.LANDLINE_OPEN_LINE: (30.0, 240.0),
    Channel.SILENT_SOLUTION_55: (60.0, 300.0),
    Channel.BSL_999: (300.0, 1200.0),
    Channel.RELAY_UK_18000: (300.0, 1500.0),
}
# town, lat, lon, postcode area, dialling code
TOWNS = (
    ("Plymouth", 50.3755, -4.1427, "PL", "1752"),
    ("Exeter", 50.7184, -3.5339, "EX", "1392"),
    ("Torquay", 50.4619, -3.5253, "TQ", "1803"),
    ("Truro", 50.2632, -5.0510, "TR", "1872"),
    ("Newton Abbot", 50.5285, -3.6089, "TQ", "1626"),
    ("Barnstaple", 51.0809, -4.0583, "EX", "1271"),
    ("Penzance", 50.1186, -5.5371, "TR", "1736"),
    ("Bodmin", 50.4706, -4.7183, "PL", "1208"),
)
# fmt: off
WORDS: dict[str, tuple[str, ...]] = {
    "street": ("Fore Street", "Station Road", "Mill Lane", "Union Street", "Queen Street",
               "Church Road", "Harbour Street", "Chapel Hill", "Victoria Parade", "Market Square"),
    "pub": ("Royal Oak", "Red Lion", "Ship Inn", "Kings Arms", "White Hart"),
    "road": ("A38", "A30 westbound", "A380", "M5 southbound", "Exeter bypass", "A39"),
    "partner": ("husband", "boyfriend", "partner", "ex"), "item": ("bike", "phone", "car", "tools"),
    "amount": ("40", "250", "1,200", "85"), "num": ("2", "7", "14", "23", "31", "58", "102"),
}
EMERGENCY = (
    "Someone is breaking into my house right now, I'm hiding upstairs",
    "There's a fight outside the {pub}, one of them has got a knife",
    "My {partner} is hitting me, he's still in the house",
    "There's been a crash on the {road}, a car has overturned and someone is trapped",
    "A man has just snatched a woman's bag on {street} and he's running towards the station",
    "My neighbour's house on {street} is on fire and I think she's still inside",
    "A man is standing on the edge of the bridge threatening to jump",
    "My little boy has gone missing on {street}, he was next to me a minute ago",
    "There's a car driving the wrong way down the {road}",
    "I've just disturbed a burglar in my kitchen, he's still in the garden",
)
NOT_EMERGENCY = (
    "My neighbour's music is too loud, I can't sleep",
    "I want to report my {item} was stolen last week",
    "I've lost my wallet somewhere in town",
    "What time does the police station open tomorrow",
    "There's a big pothole on {street}",
    "Someone has parked across my drive again",
    "My parcel was stolen from my doorstep yesterday",
    "I need a crime reference number for my insurance",
    "The street lights on {street} have been out all week",
    "The dog next door has been barking all day",
    "Kids keep knocking on my door and running off",
    "I think I've been scammed online, they took {amount} pounds",
    "Can you give me a lift home, I've missed the last bus",
    "I want an update on my case, I've got the reference number here",
    "Someone keyed my car on {street} over the weekend",
    "There's a group of lads drinking in the park on {street} most nights",
)
SILENT = (
    "silent line; shouting and a woman crying in the background",
    "silent line; the caller tapped twice when asked",
    "open line; a television and muffled voices, nobody answers",
    "open line; a man's voice threatening someone, then the line goes quiet",
)
FOLLOW_UPS = (
    "I am at {num} {street}", "He is still outside", "Yes I am safe for now", "Please hurry",
    "Nobody is hurt", "He has a black coat and a grey hood", "He has gone towards {street}",
    "I can not talk, he will hear me", "Thank you",
)
_REASONS = ("caller cleared", "caller cleared", "handler cleared", "line dropped")
_NAMES = ("", "", "", "J Pascoe", "M Trelawny", "S Hill", "R Nancarrow", "P Shah")
# fmt: on


@dataclass(frozen=True)
class StreamEvent:
    """One delivery of an event: ``at`` seconds after the stream's start, for call ``call``."""

    at: float
    call: int
    body: dict[str, Any]
    duplicate: bool = False

    @property
    def id(self) -> str:
        """The event's id."""
        return str(self.body["id"])

    @property
    def type(self) -> str:
        """The event's type."""
        return str(self.body["type"])


@dataclass(frozen=True)
class CallPlan:
    """One call (one contact): who calls, how, what they say and how it goes."""

    index: int
    call_id: str
    channel: Channel
    number: str | None
    landline: bool
    narrative: str
    emergency: bool
    outcome: str  # answered, abandoned, reconnected, rejoined (a new call) or sms
    repeat: bool = False
    aml: int = 0  # AML messages sent


@dataclass(frozen=True)
class CallStream:
    """The calls and every delivery, in the order they are delivered."""

    seed: int
    start: datetime
    calls: tuple[CallPlan, ...]
    events: tuple[StreamEvent, ...] = field(repr=False)

    @property
    def span(self) -> float:
        """Seconds from the start to the last delivery."""
        return self.events[-1].at if self.events else 0.0


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Builder:
    """Makes the calls one by one with one random generator."""

    def __init__(self, seed: int, start: datetime, speed: float, agents: Sequence[str], run: str):
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be a time with a time zone")
        if speed <= 0 or not agents:
            raise ValueError("speed must be positive and agents not empty")
        self.rng, self.start, self.speed = random.Random(seed), start, speed
        self.agents, self.run = tuple(agents), run
        self.events: list[StreamEvent] = []
        self.numbers: set[str] = set()
        self.free_at: dict[str, tuple[float, bool]] = {}  # number -> (last end, landline)
        self.callers: list[str] = []  # the numbers in free_at, to choose a repeat caller from
        self.repeats: set[str] = set()
        self.serial = 0

    def fill(self, template: str) -> str:
        for name, choices in WORDS.items():
            while "{" + name + "}" in template:
                template = template.replace("{" + name + "}", self.rng.choice(choices), 1)
        return template

    def number(self, landline: bool, t0: float, code: str, *, repeat: bool = True) -> str:
        """A new number, or (with ``repeat``, now and then) an earlier caller's."""
        rng = self.rng
        if repeat and self.free_at and rng.random() < 0.05:
            for _ in range(4):
                old = rng.choice(self.callers)
                ended, was_landline = self.free_at[old]
                if was_landline == landline and ended < t0 - 120:
                    self.repeats.add(old)
                    return old
        while True:
            if landline:
                candidate = f"+44{code}{rng.randrange(200000, 999999)}"
            else:
                candidate = f"+447{rng.choice('45789')}{rng.randrange(10**7, 10**8)}"
            if candidate not in self.numbers:
                self.numbers.add(candidate)
                return candidate

    def caller(self, channel: Channel, t0: float, town: tuple[Any, ...]) -> dict[str, Any]:
        """The ``caller`` object: a mobile, a landline with its address, or withheld."""
        rng = self.rng
        landline = channel is Channel.LANDLINE_OPEN_LINE or (
            channel in (Channel.NINE_NINE_NINE, Channel.ONE_ZERO_ONE) and rng.random() < 0.25
        )
        if channel is Channel.ONE_ZERO_ONE and not landline and rng.random() < 0.05:
            return {"number": None, "landline": False}
        caller = {"number": self.number(landline, t0, town[4]), "landline": landline}
        if landline:
            letters = "ABDEFGHJLNPQRSTUWXY"
            street = f"{rng.randrange(1, 120)} {rng.choice(WORDS['street'])}"
            inward = f"{rng.randrange(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
            text = f"{street}, {town[0]} {town[3]}{rng.randrange(1, 20)} {inward}"
            caller["name"] = rng.choice(_NAMES)
            caller["address"] = text
            if rng.random() < 0.7:
                lat, lon = town[1] + rng.uniform(-0.02, 0.02), town[2] + rng.uniform(-0.03, 0.03)
                caller["address"] = {"text": text, "lat": round(lat, 5), "lon": round(lon, 5)}
        return caller

    def emit(self, call: int, occurs: float, body: dict[str, Any], delay: float = 0.0) -> None:
        self.serial += 1
        body = {
            "id": f"{self.run}-{self.serial:07d}",
            "type": body.pop("type"),
            "occurred_at": _stamp(self.start + timedelta(seconds=occurs)),
            **body,
        }
        at = occurs + delay + self.rng.uniform(0.02, 0.4)
        self.events.append(StreamEvent(at, call, body))
        if self.rng.random() < 0.01:
            self.events.append(StreamEvent(at + self.rng.uniform(0.5, 30), call, body, True))

    def aml(self, call: int, number: str, t0: float, town: tuple[Any, ...]) -> int:
        """One AML SMS about 18 s into the call (sometimes a second, better fix)."""
        rng, sent = self.rng, 0
        at = t0 + min(max(rng.gauss(18, 5), 6), 45)
        for _ in range(2 if rng.random() < 0.1 else 1):
            method = rng.choices(
                (PositioningMethod.GNSS, PositioningMethod.WIFI, PositioningMethod.CELL),
                (7, 2, 1),
            )[0]
            accuracy = {PositioningMethod.GNSS: 5, PositioningMethod.WIFI: 15}.get(method, 200)
            v2 = rng.random() < 0.2
            moment = self.start + timedelta(seconds=at)
            fix = LocationFix(
                source=LocationSource.AML_SMS_V2 if v2 else LocationSource.AML_SMS_V1,
                lat=round(town[1] + rng.uniform(-0.02, 0.02), 5),
                lon=round(town[2] + rng.uniform(-0.03, 0.03), 5),
                accuracy_m=round(accuracy * rng.uniform(1, 6)),
                confidence_pct=68,
                positioned_at=moment - timedelta(seconds=rng.uniform(1, 4)),
                method=method,
                emergency_number="999",
                call_started_at=self.start + timedelta(seconds=t0),
                network_mcc="234",
                network_mnc=rng.choice(("10", "15", "20", "30")),
            )
            text = format_aml_v2(fix) if v2 else format_aml_v1(fix)
            self.emit(call, at, {"type": "sms.received", "from": number, "text": text})
            sent, at = sent + 1, at + rng.uniform(15, 40)
        return sent

    def sms(self, index: int, t0: float) -> CallPlan:
        """An emergencySMS conversation: the account, then a few more messages."""
        rng = self.rng
        number = self.number(False, t0, "", repeat=False)
        emergency = rng.random() < 0.3
        narrative = self.fill(rng.choice(EMERGENCY if emergency else NOT_EMERGENCY))
        at = t0
        for text in [narrative, *(rng.choice(FOLLOW_UPS) for _ in range(rng.randrange(4)))]:
            body = {"type": "sms.received", "from": number, "text": self.fill(text)}
            self.emit(index, at, body | {"channel": Channel.EMERGENCY_SMS.value})
            at += rng.uniform(60, 180)
        call_id = f"{self.run}-sms-{index:06d}"  # the conversation stays open: never reused
        return CallPlan(
            index, call_id, Channel.EMERGENCY_SMS, number, False, narrative, emergency, "sms"
        )

    def call(self, index: int, t0: float) -> CallPlan:
        """One call from offer to end, with its AML messages, keys and reconnection."""
        rng = self.rng
        channel = rng.choices([c for c, _ in MIX], [w for _, w in MIX])[0]
        if channel is Channel.EMERGENCY_SMS:
            return self.sms(index, t0)
        town = rng.choice(TOWNS)
        caller = self.caller(channel, t0, town)
        number, landline = caller["number"], caller["landline"]
        silent = channel in (Channel.SILENT_SOLUTION_55, Channel.LANDLINE_OPEN_LINE)
        emergency = rng.random() < EMERGENCY_SHARE.get(channel, 0.25)
        pool = SILENT if silent else (EMERGENCY if emergency else NOT_EMERGENCY)
        narrative = self.fill(rng.choice(pool))
        call_id = f"{self.run}-call-{index:06d}"
        base = {"call_id": call_id, "channel": channel.value, "caller": caller}
        low, high = _ANSWER_DELAY.get(channel, (2.0, 9.0))
        answer = t0 + (rng.uniform(10, 60) if rng.random() < 0.1 else rng.uniform(low, high))
        voice = channel in (Channel.NINE_NINE_NINE, Channel.ONE_ZERO_ONE)
        abandoned = voice and rng.random() < 0.08
        end = answer + rng.uniform(*_DURATION[channel])
        if abandoned:
            end = t0 + rng.uniform(3, answer - t0 + 1)
        keyed = channel is Channel.SILENT_SOLUTION_55
        repeat = number in self.repeats
        held = not keyed and not repeat and rng.random() < 0.03  # the offer delivered late
        self.emit(index, t0, {"type": "call.offered", **base}, rng.uniform(20, 30) if held else 0)
        if keyed:
            pressed = t0 + rng.uniform(1, answer - t0)
            self.emit(index, pressed, base | {"type": "call.dtmf", "digits": "55"})
        if not abandoned:
            agent = rng.choice(self.agents)
            self.emit(index, answer, base | {"type": "call.answered", "agent": agent})
        sent = 0
        if number is not None and not landline and (keyed or channel is Channel.NINE_NINE_NINE):
            sent = self.aml(index, number, t0, town) if rng.random() < 0.85 else 0
        if keyed and rng.random() < 0.5:
            digits = rng.choice(("5", "55", "1"))
            self.emit(
                index, answer + rng.uniform(3, 20), base | {"type": "call.dtmf", "digits": digits}
            )
        reason = "caller cleared before answer" if abandoned else rng.choice(_REASONS)
        self.emit(index, end, base | {"type": "call.ended", "reason": reason})
        outcome = "abandoned" if abandoned else "answered"
        if (
            landline
            and channel is not Channel.ONE_ZERO_ONE
            and not abandoned
            and rng.random() < 0.3
        ):
            back = end + rng.uniform(3, 40)  # picked up again within the 45 s
            if rng.random() < 0.5:
                outcome = "reconnected"
                self.emit(index, back, base | {"type": "call.reconnected"})
            else:
                outcome, base = "rejoined", base | {"call_id": call_id + "b"}
                self.emit(index, back, {"type": "call.offered", **base})
            end = back + rng.uniform(20, 180)
            self.emit(index, end, base | {"type": "call.ended", "reason": "caller cleared"})
        if number is not None:
            if number not in self.free_at:
                self.callers.append(number)
            self.free_at[number] = (end, landline)
        return CallPlan(
            index, call_id, channel, number, landline, narrative, emergency, outcome, repeat, sent
        )


def generate(
    calls: int,
    *,
    seed: int,
    start: datetime,
    speed: float = 1.0,
    agents: Sequence[str] = ("handler",),
    run: str | None = None,
) -> CallStream:
    """The events of ``calls`` calls from ``start`` (a time with a zone), in delivery order.

    ``speed`` multiplies the rate calls arrive at (``BASE_CALLS_PER_HOUR``); the calls
    themselves keep their real timings. ``agents`` are the user names that answer (active call
    handlers on the server). ``run`` prefixes every event and call id (``s<seed>`` by default):
    give each replay into one database its own, since an id is never to be reused.
    """
    if calls < 0:
        raise ValueError("calls must be 0 or more")
    builder = _Builder(seed, start, speed, agents, run or f"s{seed}")
    mean_gap = 3600.0 / (BASE_CALLS_PER_HOUR * speed)
    plans, t0 = [], 0.0
    for index in range(calls):
        plans.append(builder.call(index, t0))
        t0 += builder.rng.expovariate(1 / mean_gap)
    ordered = sorted(builder.events, key=lambda event: event.at)
    return CallStream(seed, start, tuple(plans), tuple(ordered))


def calls_for_events(events: int, *, seed: int = 1) -> int:
    """About how many calls give ``events`` events (measured on a sample of 2,000 calls)."""
    sample = generate(2000, seed=seed, start=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    return max(1, round(events * 2000 / len(sample.events)))
