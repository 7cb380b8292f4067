"""Demo data for trying the service locally: users, tokens and a dozen contacts.

:func:`seed_demo` does nothing unless the database is empty (no users, no tokens' owners, no
contacts, no audit rows), so it is safe to call on every start. Everything is created through
the same use cases as real work — accounts, telephony events, procedure actions — so every
contact has its history and its audit rows. The passwords are fixed and documented
(docs/configuration.md); the API tokens are new each time and shown once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from controlroom.domain.access import Principal
from controlroom.domain.contacts import (
    Action,
    AddNote,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Caller,
    Close,
    InferEmergency,
    LogIncident,
    Prompt,
    RecordConsiderations,
    RecordResponse,
    Refer,
    Role,
    SilentResponse,
    Terminate,
    UpdateNarrative,
    Warn,
)
from controlroom.domain.contacts.values import Actor
from controlroom.domain.errors import Conflict
from controlroom.domain.location import LocationFix, LocationSource, PositioningMethod
from controlroom.domain.location.aml_format import format_aml_v1
from controlroom.domain.nuisance import NuisanceConfig
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import accounts
from controlroom.services.console_demo import Morning
from controlroom.services.contacts import UowFactory, do_action, offer_contact
from controlroom.services.ports import SecretHasher
from controlroom.services.telephony import Address, CallerInfo, EventType, TelephonyEvent
from controlroom.services.telephony import ingest_event as ingest

#: The demo users: name, role and password (for local use only).
DEMO_USERS: tuple[tuple[str, Role, str], ...] = (
    ("handler", Role.CALL_HANDLER, "demo-handler-password"),
    ("supervisor", Role.SUPERVISOR, "demo-supervisor-password"),
    ("auditor", Role.AUDITOR, "demo-auditor-password"),
    ("admin", Role.ADMIN, "demo-admin-password"),
)
#: The integration (telephony system) that sends the demo's events.
DEMO_INTEGRATION = "telephony"
SETUP = Actor("demo-setup", Role.ADMIN)


@dataclass
class DemoSeed:
    """What was created: the users with their passwords, a token for each, the contacts."""

    users: list[tuple[str, str, str]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    contacts: list[str] = field(default_factory=list)

    def banner(self) -> str:
        """The credentials, to show once at start-up."""
        lines = ["Demo data created (CONTROLROOM_DEMO=true; local use only)."]
        for name, role, password in self.users:
            lines.append(f"  user {name:<10} role {role:<12} password {password}")
        lines += [f"  token {name:<10} {token}" for name, token in self.tokens.items()]
        lines.append(f"  {len(self.contacts)} demo contacts; see docs/api.md to use the tokens.")
        lines.append("  The console is at /console: sign in with a user and password above.")
        return "\n".join(lines)


def database_is_empty(uow_factory: UowFactory) -> bool:
    """True when there are no users, tokens, contacts or audit rows yet."""
    with uow_factory(read_only=True) as uow:
        return (
            not uow.users.list()
            and not uow.tokens.list()
            and uow.contacts.count() == 0
            and uow.audit.head().seq == 0
        )


def seed_demo(
    uow_factory: UowFactory,
    policy: Policy,
    hasher: SecretHasher,
    now: datetime | None = None,
    nuisance: NuisanceConfig | None = None,
) -> DemoSeed | None:
    """Create the demo data in an empty database; None (and nothing done) otherwise. With
    ``nuisance``, the morning's calls include a nuisance caller with a case (console_demo)."""
    start = (now or datetime.now(UTC)) - timedelta(hours=2)
    if not database_is_empty(uow_factory):
        return None
    seed = DemoSeed()
    principals: dict[str, Principal] = {}
    try:
        for name, role, password in DEMO_USERS:
            user = accounts.add_user(
                uow_factory(), SETUP, name, role, password, hasher=hasher, now=start
            )
            principals[name] = Principal(name, role, user_id=user.id)
            seed.users.append((name, role.value, password))
    except Conflict:  # another process is seeding the same database
        return None
    for name in [*principals, DEMO_INTEGRATION]:
        kind = Role.INTEGRATION if name == DEMO_INTEGRATION else None
        _, token = accounts.create_token(uow_factory(), SETUP, name, kind, now=start)
        seed.tokens[name] = token
    principals[DEMO_INTEGRATION] = Principal(DEMO_INTEGRATION, Role.INTEGRATION)
    morning = Morning(
        uow_factory,
        policy,
        principals["handler"],
        principals[DEMO_INTEGRATION],
        until=start - timedelta(minutes=10),
    )
    seed.contacts.extend(morning.tell(nuisance))
    _Story(uow_factory, policy, principals, start, seed).tell()
    return seed


def _aml(lat: float, lon: float, accuracy: float, at: datetime) -> str:
    fix = LocationFix(
        source=LocationSource.AML_SMS_V1,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        confidence_pct=68,
        positioned_at=at,
        method=PositioningMethod.GNSS,
        network_mcc="234",
        network_mnc="30",
    )
    return format_aml_v1(fix)


class _Story:
    """The demo contacts, told as the events and actions that make them."""

    def __init__(
        self,
        uow_factory: UowFactory,
        policy: Policy,
        principals: dict[str, Principal],
        start: datetime,
        seed: DemoSeed,
    ) -> None:
        self.factory, self.policy, self.who, self.seed = uow_factory, policy, principals, seed
        self.clock = start
        self.count = 0

    def tick(self, seconds: float) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def event(self, kind: EventType, **fields: Any) -> str:
        self.count += 1
        event = TelephonyEvent(
            id=f"demo-{self.count:03d}", type=kind, occurred_at=self.tick(5), **fields
        )
        _, body = ingest(self.factory, self.who[DEMO_INTEGRATION], event, self.clock, self.policy)
        contact_id = str(body["contact_id"])
        if contact_id not in self.seed.contacts:
            self.seed.contacts.append(contact_id)
        return contact_id

    def call(self, call_id: str, channel: Channel, number: str, **caller: Any) -> str:
        info = CallerInfo(number=number, **caller)
        return self.event(EventType.CALL_OFFERED, call_id=call_id, channel=channel, caller=info)

    def act(self, contact_id: str, *actions: Action, who: str = "handler") -> None:
        for action in actions:
            do_action(self.factory, self.who[who], contact_id, action, self.tick(20), self.policy)

    def tell(self) -> None:
        for scene in self.scenes():
            scene()
            self.tick(300)

    def scenes(self) -> list[Callable[[], None]]:
        return [
            self.inappropriate_terminated,
            self.inappropriate_advised,
            self.burglary_with_aml,
            self.closed_emergency,
            self.silent_solution,
            self.landline_reconnect,
            self.bsl_crash,
            self.emergency_sms,
            self.non_emergency_logged,
            self.non_emergency_referred,
            self.abandoned,
            self.online_report,
            self.waiting,
        ]

    def _considered(self, contact_id: str) -> None:
        self.act(
            contact_id,
            RecordConsiderations(
                seriousness="a noise complaint, nothing in progress, nobody at risk",
                condition="caller calm and clear; no injury or distress",
                age_vulnerability="adult; no vulnerability apparent",
                serious=False,
                condition_concern=False,
                vulnerable=False,
            ),
        )

    def inappropriate_terminated(self) -> None:
        c = self.call("demo-call-01", Channel.NINE_NINE_NINE, "+447700900101")
        self.act(c, Answer(), UpdateNarrative("My neighbour's music is too loud, I can't sleep"))
        self.act(c, Assess(grade="resolution_without_deployment", reason="noise, not urgent"))
        self._considered(c)
        self.act(c, Advise(AdviceKind.CALL_101), Warn(), Terminate())

    def inappropriate_advised(self) -> None:
        c = self.call("demo-call-02", Channel.NINE_NINE_NINE, "+447700900102")
        self.act(c, Answer(), UpdateNarrative("I want to report my bike was stolen last week"))
        self.act(c, Assess(grade="scheduled", reason="a past theft, no suspect present"))
        self._considered(c)
        self.act(c, Advise(AdviceKind.REPORT_ONLINE), Close("caller will report online"))

    def burglary_with_aml(self) -> None:
        c = self.call("demo-call-03", Channel.NINE_NINE_NINE, "+447700900103", name="Sam Hill")
        aml = _aml(50.72154, -3.53329, 8, self.clock)
        self.event(EventType.SMS_RECEIVED, sender="+447700900103", text=aml)
        self.act(c, Answer(), UpdateNarrative("Someone is breaking into my house right now"))
        self.act(c, Assess(grade="immediate", reason="burglary in progress"))
        self.act(c, LogIncident(grade="immediate"))

    def closed_emergency(self) -> None:
        c = self.call("demo-call-04", Channel.NINE_NINE_NINE, "+447700900104")
        self.act(c, Answer(), UpdateNarrative("There's a fight outside the pub, one has a knife"))
        self.act(c, Assess(grade="immediate", reason="weapon, violence now"))
        self.act(c, LogIncident(grade="immediate"), Close())

    def silent_solution(self) -> None:
        c = self.call("demo-call-05", Channel.SILENT_SOLUTION_55, "+447700900105")
        self.event(EventType.CALL_DTMF, call_id="demo-call-05", digits="55")
        self.act(c, Answer(), Prompt(), RecordResponse(SilentResponse.TAP, "two taps"))
        self.act(c, InferEmergency("a man shouting and a woman crying in the background"))
        self.act(c, LogIncident(grade="immediate"))

    def landline_reconnect(self) -> None:
        address = Address("12 Harbour Street, Plymouth PL1 2AB", 50.36801, -4.13741)
        number = "+441632960106"
        c = self.call(
            "demo-call-06", Channel.NINE_NINE_NINE, number, landline=True, address=address
        )
        self.act(c, Answer())
        self.event(EventType.CALL_ENDED, call_id="demo-call-06", reason="caller cleared")
        self.call("demo-call-06b", Channel.NINE_NINE_NINE, number, landline=True)
        self.act(c, AddNote("line picked up again; caller says her husband took the phone"))

    def bsl_crash(self) -> None:
        c = self.call("demo-call-07", Channel.BSL_999, "+447700900107")
        narrative = "There has been a car crash on the A38 and a man is trapped in his car"
        self.act(c, Answer(), UpdateNarrative(narrative))
        self.act(c, Assess(grade="immediate", reason="road collision, person trapped"))

    def emergency_sms(self) -> None:
        text = "Help my ex is outside my house shouting he says he will hurt me"
        c = self.event(EventType.SMS_RECEIVED, sender="+447700900108", text=text)
        self.act(c, Answer())

    def non_emergency_logged(self) -> None:
        c = self.call("demo-call-09", Channel.ONE_ZERO_ONE, "+447700900109")
        self.act(c, Answer(), UpdateNarrative("My car was broken into overnight, radio taken"))
        self.act(c, Assess(grade="scheduled", reason="past crime, no suspect"))
        self.act(c, LogIncident(grade="scheduled"), Close())

    def non_emergency_referred(self) -> None:
        c = self.call("demo-call-10", Channel.ONE_ZERO_ONE, "+447700900110")
        self.act(c, Answer(), UpdateNarrative("The street lights on my road have been out a week"))
        self.act(c, Assess(grade="resolution_without_deployment", reason="not a police matter"))
        self.act(c, Refer("council"), Close())

    def abandoned(self) -> None:
        self.call("demo-call-11", Channel.NINE_NINE_NINE, "+447700900111")
        self.event(EventType.CALL_ENDED, call_id="demo-call-11", reason="caller cleared")

    def online_report(self) -> None:
        details = offer_contact(
            self.factory,
            self.who["handler"],
            channel=Channel.ONLINE_REPORT,
            caller=Caller(name="Priya Shah"),
            narrative="Someone scratched my car in the supermarket car park yesterday",
            now=self.tick(30),
            policy=self.policy,
        )
        self.seed.contacts.append(details.contact.id)

    def waiting(self) -> None:
        self.call("demo-call-13", Channel.NINE_NINE_NINE, "+447700900113")
