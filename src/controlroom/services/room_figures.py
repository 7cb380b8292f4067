"""The supervisor's view of the room: the period's figures, the queue now, nuisance cases
waiting for a supervisor, as one read (``reports:read``); the period's figures alone for the
API. Both are computed from the stored contacts, so every instance gives the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import ContactRecord
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance import CaseRecord, NuisanceConfig
from controlroom.domain.policy import ServiceLevel
from controlroom.domain.room_figures import RoomFigures, room_figures
from controlroom.domain.triage import Channel
from controlroom.services.console import RoomQueue, room_queue
from controlroom.services.contacts import UowFactory
from controlroom.services.nuisance_views import (
    CaseGroup,
    FlaggedCaller,
    cases_by_kind_and_step,
    flagged_numbers,
)

#: The most contacts one period's figures read; a longer period is refused.
MAX_CONTACTS = 50_000
#: Contacts read at a time (the repository's largest page).
PAGE = 500
#: The callers the flagged-numbers list looks at: those of the last day.
FLAGGED_WINDOW = timedelta(days=1)
#: The longest period, in days.
MAX_DAYS = 31


@dataclass(frozen=True)
class PeriodFigures:
    """A period's figures, whether the contacts were too many to count, and the damaged ones."""

    figures: RoomFigures
    truncated: bool
    damaged: tuple[str, ...]


@dataclass(frozen=True)
class RoomView:
    """What the supervisor sees."""

    figures: RoomFigures
    queue: RoomQueue
    cases: list[CaseGroup]
    awaiting_approval: list[CaseRecord]
    truncated: bool
    flagged: list[FlaggedCaller]
    #: ids of the period's contacts whose stored record cannot be read (left out of figures)
    damaged: tuple[str, ...] = ()

    @property
    def damaged_ids(self) -> list[str]:
        """Every damaged contact the view met: in the period or in the queue now."""
        return sorted({*self.damaged, *(item.id for item in self.queue.damaged)})


def period_figures(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    start: datetime,
    end: datetime,
    channel: Channel | None,
    zone: ZoneInfo,
    level_101: ServiceLevel,
) -> PeriodFigures:
    """The figures of the contacts offered in ``[start, end)`` (on ``channel``, if set): the
    999 and 101 service levels, each handler's figures, hour by hour."""
    access_check(principal, Permission.REPORTS_READ)
    start, end = require_utc(start, "start"), require_utc(end, "end")
    if end <= start:
        raise InvalidInput("the period ends before it starts", field="to")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days", field="to")
    records: list[ContactRecord] = []
    damaged: list[str] = []
    with uow_factory(read_only=True) as uow:
        while len(records) + len(damaged) < MAX_CONTACTS:
            offset = len(records) + len(damaged)
            page = uow.contacts.list(
                offered_from=start, offered_to=end, channel=channel, limit=PAGE, offset=offset
            )
            for contact in page:
                if isinstance(contact, DamagedContact):
                    damaged.append(contact.id)
                else:
                    records.append(contact.record)
            if len(page) < PAGE:
                break
    figures = room_figures(
        records, start=start, end=end, zone=zone, channel=channel, level_101=level_101
    )
    truncated = len(records) + len(damaged) >= MAX_CONTACTS
    return PeriodFigures(figures, truncated, tuple(damaged))


def room_view(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    start: datetime,
    end: datetime,
    channel: Channel | None,
    zone: ZoneInfo,
    nuisance: NuisanceConfig,
    now: datetime,
    level_101: ServiceLevel | None = None,
) -> RoomView:
    """The figures of the contacts offered in ``[start, end)``, the queue now, the nuisance
    cases by kind and step with those whose next step waits for approval, and the numbers
    detection flags among the last day's callers."""
    period = period_figures(
        uow_factory,
        principal,
        start=start,
        end=end,
        channel=channel,
        zone=zone,
        level_101=level_101 or ServiceLevel(),
    )
    cases = cases_by_kind_and_step(uow_factory, principal, nuisance)
    waiting = [
        record
        for group in cases
        for record in group.cases
        if record.pending is not None and record.pending.approved_by is None
    ]
    return RoomView(
        figures=period.figures,
        queue=room_queue(uow_factory, principal),
        cases=cases,
        awaiting_approval=waiting,
        truncated=period.truncated,
        flagged=flagged_numbers(
            uow_factory, principal, window=FLAGGED_WINDOW, now=now, config=nuisance, limit=10
        ),
        damaged=period.damaged,
    )
