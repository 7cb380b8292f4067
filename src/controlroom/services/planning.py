"""Capacity planning: a room model from the stored contacts (``reports:read``), and runs of
the simulation for a baseline and a scenario, with the handlers each needs.

Reading is one read-only transaction, a day at a time, so memory grows with the samples kept
(a handling time per answered contact), not with the records. Damaged contacts are left out
and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.export import Labelled
from controlroom.domain.planning.from_records import RecordsBuilder, RecordsModel, RecordsOptions
from controlroom.domain.planning.model import HandlerGroup, RoomModel
from controlroom.domain.planning.results import SimulationResult
from controlroom.domain.planning.roster import default_roster, with_groups
from controlroom.domain.planning.scenario import Scenario, apply_scenario
from controlroom.domain.planning.simulation import simulate
from controlroom.domain.planning.staffing import StaffingNeed, handlers_needed
from controlroom.domain.planning.summary import RunSummary, summarise
from controlroom.services.contacts import UowFactory

#: The longest period of records a model is built from, in days.
MAX_DAYS = 366
#: Contacts read at a time.
PAGE = 500


@dataclass(frozen=True)
class Records:
    """A model from the records, and the ids of damaged contacts left out."""

    found: RecordsModel
    damaged: tuple[str, ...]

    @property
    def model(self) -> RoomModel:
        return self.found.model


def records_model(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    options: RecordsOptions | None = None,
    groups: tuple[HandlerGroup, ...] | None = None,
) -> Records:
    """The model of the contacts offered in ``[start, end)``, rostered with ``groups`` or, by
    default, with what the staffing calculator says each channel needs."""
    access_check(principal, Permission.REPORTS_READ)
    start, end = require_utc(start, "start"), require_utc(end, "end")
    if end <= start:
        raise InvalidInput("the period ends before it starts", field="to")
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"a period is at most {MAX_DAYS} days", field="to")
    builder = RecordsBuilder(start, end, zone)
    damaged: list[str] = []
    with uow_factory(read_only=True) as uow:
        day = start
        while day < end:
            until = min(day + timedelta(days=1), end)
            offset = 0
            while True:
                page = uow.contacts.list(
                    offered_from=day, offered_to=until, limit=PAGE, offset=offset
                )
                for contact in page:
                    if isinstance(contact, DamagedContact):
                        damaged.append(contact.id)
                    else:
                        builder.add(contact.record)
                offset += len(page)
                if len(page) < PAGE:
                    break
            day = until
    found = builder.build(options)
    rostered = (
        with_groups(found.model, groups, "from the roster file")
        if groups is not None
        else default_roster(found.model)
    )
    return Records(replace(found, model=rostered), tuple(damaged))


@dataclass(frozen=True)
class Run:
    """One model simulated: the model, the result, its figures and the handlers it needs."""

    model: RoomModel
    result: SimulationResult
    summary: RunSummary
    needs: tuple[StaffingNeed, ...]


@dataclass(frozen=True)
class Plan:
    """A baseline and, when a scenario was given, the scenario beside it."""

    baseline: Run
    scenario: Run | None
    scenario_name: str | None = None


def run_one(
    model: RoomModel, *, weeks: int, seed: int, progress: Callable[[int], None] | None = None
) -> Run:
    """Simulate ``model`` for ``weeks`` with ``seed`` and work out the handlers it needs."""
    result = simulate(model, weeks=weeks, seed=seed, progress=progress)
    return Run(model, result, summarise(model, result), tuple(handlers_needed(model)))


def run_plan(
    model: RoomModel,
    scenario: Scenario | None,
    *,
    weeks: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """The baseline and the scenario (if any), each simulated for ``weeks`` with the same
    seed; ``progress`` hears the weeks done across both runs."""
    changed = None if scenario is None else apply_scenario(model, scenario)
    baseline = run_one(model, weeks=weeks, seed=seed, progress=progress)
    if changed is None or scenario is None:
        return Plan(baseline, None)
    after = None if progress is None else (lambda done: progress(weeks + done))
    other = run_one(changed, weeks=weeks, seed=seed, progress=after)
    return Plan(baseline, other, scenario.name)


def labelled(plan: Plan) -> list[Labelled]:
    """The plan's runs under their labels, for the exports."""
    runs = [("baseline", plan.baseline)]
    if plan.scenario is not None:
        runs.append(("scenario", plan.scenario))
    return [Labelled(name, r.model, r.result, r.summary, r.needs) for name, r in runs]
