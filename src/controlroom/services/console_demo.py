"""Demo data for the supervisor's view: a morning's 999 calls before the demo's own stories,
and a nuisance caller whose warning letter waits for a supervisor.

The calls follow the seeds' mix (about one 999 call in five a genuine emergency, most of the
rest inappropriate) and a spread of answer times around the 10-second standard. Like the rest of
the demo, everything goes through the real use cases: telephony events, procedure actions and
the nuisance service.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from controlroom.domain.access import Principal
from controlroom.domain.contacts import (
    Action,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Close,
    LogIncident,
    RecordConsiderations,
    Terminate,
    UpdateNarrative,
    Warn,
)
from controlroom.domain.errors import DomainError
from controlroom.domain.nuisance import NuisanceConfig, Propose, Record
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services.contacts import UowFactory, do_action, suggest
from controlroom.services.nuisance import do_case_action, do_open_case
from controlroom.services.telephony import CallerInfo, EventType, TelephonyEvent
from controlroom.services.telephony import ingest_event as ingest

#: What the morning's callers say: genuine emergencies first, then the rest.
EMERGENCIES = (
    "Someone is breaking into the house next door right now",
    "There has been a crash on the A30, a woman is trapped and bleeding",
    "A man is attacking someone with a knife outside the shop",
)
NOT_EMERGENCIES = (
    "My neighbour's music is too loud",
    "I want to report my bike was stolen last week",
    "The street lights on my road are not working",
    "There is a dead badger in the road outside my house",
    "Someone parked across my drive this morning",
    "I lost my wallet in town yesterday",
    "What time does the police station open",
    "My neighbour's dog keeps barking",
)
CONSIDERED = RecordConsiderations(
    seriousness="nothing in progress; nobody at risk",
    condition="caller calm and clear",
    age_vulnerability="adult; no vulnerability apparent",
    serious=False,
    condition_concern=False,
    vulnerable=False,
)
NUISANCE_NUMBER = "+447700900199"


@dataclass
class Morning:
    """The morning before ``until``: ``calls`` 999 calls, one every few minutes."""

    factory: UowFactory
    policy: Policy
    handler: Principal
    telephony: Principal
    until: datetime
    calls: int = 30
    seed: int = 42

    def tell(self, nuisance: NuisanceConfig | None) -> list[str]:
        """Make the calls (and, with ``nuisance``, the case); the contact ids made."""
        rng = random.Random(self.seed)
        at = self.until - timedelta(minutes=8 * self.calls)
        made: list[str] = []
        for n in range(self.calls):
            at += timedelta(minutes=rng.uniform(4, 10))
            if n % 7 == 3:
                made.append(self._nuisance_call(n, at))
                continue
            genuine = rng.random() < 0.22
            words = rng.choice(EMERGENCIES if genuine else NOT_EMERGENCIES)
            wait = rng.choice((2, 3, 4, 5, 6, 7, 8, 9, 12, 18, 35)) + rng.random()
            made.append(self._call(n, at, words, wait, genuine))
        if nuisance is not None:
            self._case(at, nuisance)
        return made

    def _offer(self, n: int, at: datetime, number: str) -> str:
        event = TelephonyEvent(
            id=f"demo-morning-{n:03d}",
            type=EventType.CALL_OFFERED,
            occurred_at=at,
            call_id=f"demo-morning-call-{n:03d}",
            channel=Channel.NINE_NINE_NINE,
            caller=CallerInfo(number=number),
        )
        _, body = ingest(self.factory, self.telephony, event, at, self.policy)
        return str(body["contact_id"])

    def _act(self, contact: str, at: datetime, *actions: Action) -> datetime:
        for action in actions:
            at += timedelta(seconds=20)
            do_action(self.factory, self.handler, contact, action, at, self.policy)
        return at

    def _call(self, n: int, at: datetime, words: str, wait: float, genuine: bool) -> str:
        contact = self._offer(n, at, f"+4477009005{n:02d}")
        answered = at + timedelta(seconds=wait)
        self._act(contact, answered - timedelta(seconds=20), Answer())
        decision = suggest(words, Channel.NINE_NINE_NINE, self.policy)
        grade = decision.grade if decision is not None else "resolution_without_deployment"
        later = self._act(contact, answered, UpdateNarrative(words), Assess(grade=grade))
        if genuine:
            self._act(contact, later, LogIncident(grade=grade), Close())
        else:
            self._act(contact, later, CONSIDERED, Advise(AdviceKind.CALL_101), Close("advised"))
        return contact

    def _nuisance_call(self, n: int, at: datetime) -> str:
        contact = self._offer(n, at, NUISANCE_NUMBER)
        self._act(contact, at - timedelta(seconds=16), Answer())
        words = "I'm bored, send a police car to my house for a laugh"
        later = self._act(contact, at + timedelta(seconds=4), UpdateNarrative(words))
        later = self._act(contact, later, Assess(grade="resolution_without_deployment"))
        self._act(contact, later, CONSIDERED, Advise(AdviceKind.CALL_101), Warn(), Terminate())
        return contact

    def _case(self, at: datetime, config: NuisanceConfig) -> None:
        reason = "repeated hoax 999 calls, warned and terminated each time"
        try:
            view = do_open_case(
                self.factory,
                self.handler,
                number=NUISANCE_NUMBER,
                imei=None,
                reason=reason,
                now=at,
                policy=self.policy,
                config=config,
            )
            case_id = view.case.id
            for command in (
                Record(step="advice", note="advised at each call"),
                Propose(step="warning_letter", reason=reason),
            ):
                at += timedelta(minutes=1)
                do_case_action(
                    self.factory, self.handler, case_id, command, at, self.policy, config
                )
        except DomainError:  # a force whose ladder differs: the calls are enough
            return
