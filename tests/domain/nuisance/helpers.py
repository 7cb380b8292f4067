"""Builders of call histories for nuisance tests: one call of each kind, and series of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from controlroom.domain.contacts import Actor, Role
from controlroom.domain.nuisance import CallerHistory, CallSummary, OutcomeKind, summarise
from controlroom.domain.policy import Route, VulnerabilityFlag

NUMBER = "+447700900123"
NEW_NUMBER = "+447700900456"
FOREIGN = "+33612345678"
IMEI = "356708041746734"
TZ = "Europe/London"
NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)

HANDLER = Actor("handler-1", Role.CALL_HANDLER)
OTHER_HANDLER = Actor("handler-2", Role.CALL_HANDLER)
SUPERVISOR = Actor("sup-1", Role.SUPERVISOR)
OTHER_SUPERVISOR = Actor("sup-2", Role.SUPERVISOR)
AUDITOR = Actor("auditor-1", Role.AUDITOR)
ADMIN = Actor("admin-1", Role.ADMIN)
SYSTEM = Actor("detector", Role.INTEGRATION)


def silent(
    cid: str, at: datetime, *, seconds: float = 6, number: str | None = NUMBER
) -> CallSummary:
    """A silent call: answered, nothing heard, closed with no response after ``seconds``."""
    return CallSummary(
        cid,
        at,
        OutcomeKind.SILENT,
        number=number,
        answered_at=at + timedelta(seconds=2),
        ended_at=at + timedelta(seconds=2 + seconds),
        silent=True,
    )


def abandoned(cid: str, at: datetime, number: str | None = NUMBER) -> CallSummary:
    """A call the caller left before it was answered."""
    return CallSummary(
        cid, at, OutcomeKind.ABANDONED, number=number, ended_at=at + timedelta(seconds=4)
    )


def genuine(
    cid: str, at: datetime, *flags: VulnerabilityFlag, incident: bool = True
) -> CallSummary:
    """A genuine emergency call with speech, triaged as an emergency."""
    return CallSummary(
        cid,
        at,
        OutcomeKind.EMERGENCY,
        number=NUMBER,
        answered_at=at + timedelta(seconds=3),
        ended_at=at + timedelta(minutes=4),
        speech=True,
        route=Route.EMERGENCY,
        incident=incident,
        vulnerability=frozenset(flags),
    )


def inappropriate(
    cid: str,
    at: datetime,
    *flags: VulnerabilityFlag,
    warned: bool = False,
    terminated: bool = False,
    hoax: bool = False,
    abusive: bool = False,
) -> CallSummary:
    """A §4.12 inappropriate 999 call with speech."""
    outcome = (
        OutcomeKind.INAPPROPRIATE_TERMINATED
        if terminated
        else OutcomeKind.INAPPROPRIATE_WARNED
        if warned
        else OutcomeKind.INAPPROPRIATE_ADVISED
    )
    return CallSummary(
        cid,
        at,
        outcome,
        number=NUMBER,
        answered_at=at + timedelta(seconds=3),
        ended_at=at + timedelta(minutes=2),
        speech=True,
        warned=warned,
        terminated=terminated,
        hoax=hoax,
        abusive=abusive,
        route=Route.NOT_POLICE,
        vulnerability=frozenset(flags),
    )


def every(minutes: float, count: int, end: datetime = NOW) -> list[datetime]:
    """``count`` times ``minutes`` apart, the last one ``minutes`` before ``end``."""
    return [end - timedelta(minutes=minutes * (count - i)) for i in range(count)]


def history(calls: Iterable[CallSummary], now: datetime = NOW, tz: str = TZ) -> CallerHistory:
    """The history of ``calls`` at ``now``."""
    return summarise(list(calls), now, tz)
