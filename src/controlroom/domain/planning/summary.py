"""The figures people read from a simulation: per channel over the whole run, and by hour of
the week for the plots.

``p90_answer_seconds`` of a channel is the engine's own, from every answer of the run (binned
as in :mod:`.tally`). A result that holds only half hours' percentiles (one made elsewhere) gets
an estimate: each half hour's waits are taken to have an exponential tail through its own 90th
percentile, and the answer is the time that 10% of all answered contacts waited longer than.
Figures per week divide the run's totals by the weeks simulated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from controlroom.domain.planning.model import INTERVALS_PER_WEEK, Channel, RoomModel
from controlroom.domain.planning.results import ChannelInterval, SimulationResult

HOURS_PER_WEEK = INTERVALS_PER_WEEK // 2


@dataclass(frozen=True)
class ChannelSummary:
    """One channel over the run."""

    channel: Channel
    offered: int
    answered: int
    abandoned: int
    in_target: int
    wait_seconds_total: float
    p90_answer_seconds: float | None
    answer_within_seconds: float
    target_share: float

    @property
    def service_level(self) -> float | None:
        """Share of offered contacts answered within the standard."""
        return self.in_target / self.offered if self.offered else None

    @property
    def mean_answer_seconds(self) -> float | None:
        return self.wait_seconds_total / self.answered if self.answered else None

    @property
    def abandoned_share(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    @property
    def meets_standard(self) -> bool | None:
        level = self.service_level
        return None if level is None else level >= self.target_share


@dataclass(frozen=True)
class RunSummary:
    """A simulation run in a few figures."""

    weeks: int
    seed: int
    channels: tuple[ChannelSummary, ...]
    occupancy: float | None
    handler_hours_per_week: float
    inappropriate_hours_per_week: float

    def channel(self, channel: Channel) -> ChannelSummary | None:
        return next((item for item in self.channels if item.channel is channel), None)


def summarise(model: RoomModel, result: SimulationResult) -> RunSummary:
    """The run's figures per channel and for the room."""
    channels = []
    for item in model.channels:
        rows = result.for_channel(item.channel)
        answered = sum(row.answered for row in rows)
        channels.append(
            ChannelSummary(
                channel=item.channel,
                offered=sum(row.offered for row in rows),
                answered=answered,
                abandoned=sum(row.abandoned for row in rows),
                in_target=sum(row.answered_in_target for row in rows),
                wait_seconds_total=sum(row.wait_seconds_total for row in rows),
                p90_answer_seconds=_run_p90(result, item.channel, rows, answered),
                answer_within_seconds=item.answer_within_seconds,
                target_share=item.target_share,
            )
        )
    on_duty = sum(row.on_duty_seconds for row in result.groups)
    busy = sum(row.busy_seconds for row in result.groups)
    weeks = max(result.weeks, 1)
    return RunSummary(
        weeks=result.weeks,
        seed=result.seed,
        channels=tuple(channels),
        occupancy=busy / on_duty if on_duty else None,
        handler_hours_per_week=on_duty / 3600 / weeks,
        inappropriate_hours_per_week=result.inappropriate_handler_hours / weeks,
    )


def _run_p90(
    result: SimulationResult, channel: Channel, rows: Sequence[ChannelInterval], answered: int
) -> float | None:
    """The run's 90th percentile as the engine counted it, else pooled from the half hours'."""
    exact = result.run_p90(channel)
    if exact is not None:
        return exact if answered else None
    return pooled_p90([(row.answered, row.wait_p90_seconds) for row in rows])


def pooled_p90(parts: Sequence[tuple[int, float]]) -> float | None:
    """The 90th percentile of waits pooled from parts given as (answered, their own 90th
    percentile), as the module doc says; None when nothing was answered."""
    total = sum(count for count, _ in parts)
    if not total:
        return None
    tails = [(count, p90) for count, p90 in parts if count and p90 > 0]

    def above(t: float) -> float:
        return float(sum(count * 0.1 ** (t / p90) for count, p90 in tails)) / total

    if above(0.0) <= 0.1:
        return 0.0
    low, high = 0.0, max(p90 for _, p90 in tails)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if above(middle) > 0.1 else (low, middle)
    return high


def hourly_service_level(result: SimulationResult, channel: Channel) -> list[float | None]:
    """Service level in each hour of the week (None for an hour with nothing offered)."""
    offered = [0] * HOURS_PER_WEEK
    within = [0] * HOURS_PER_WEEK
    for row in result.for_channel(channel):
        offered[row.interval // 2] += row.offered
        within[row.interval // 2] += row.answered_in_target
    return [w / o if o else None for w, o in zip(within, offered, strict=True)]


def hourly_inappropriate_hours(result: SimulationResult) -> list[float]:
    """Handler-hours spent on inappropriate 999 contacts in each hour of the week, per week."""
    hours = [0.0] * HOURS_PER_WEEK
    for row in result.groups:
        hours[row.interval // 2] += row.inappropriate_seconds / 3600
    weeks = max(result.weeks, 1)
    return [value / weeks for value in hours]


def hourly_handlers(needs: Iterable[tuple[int, int]]) -> list[int]:
    """Handlers needed in each hour of the week, every channel together: ``needs`` gives
    (half hour, handlers) pairs; an hour needs the larger of its two half hours."""
    halves = [0] * INTERVALS_PER_WEEK
    for interval, handlers in needs:
        halves[interval] += handlers
    return [max(halves[2 * hour], halves[2 * hour + 1]) for hour in range(HOURS_PER_WEEK)]


def by_hour_of_day(values: Sequence[float | None]) -> list[float | None]:
    """The mean over the seven days of each hour of the day (hours without a value left out)."""
    out: list[float | None] = []
    for hour in range(24):
        found = [v for v in values[hour::24] if v is not None]
        out.append(sum(found) / len(found) if found else None)
    return out


def percent(value: float | None) -> str:
    """``91.3%``, or ``-`` for no value."""
    return "-" if value is None else f"{value:.1%}"


def seconds(value: float | None) -> str:
    """``2.6 s``, or ``-`` for no value."""
    return "-" if value is None else f"{value:.1f} s"


def summary_rows(summary: RunSummary) -> list[tuple[str, str]]:
    """The run's figures as (label, value) lines, as the CLI and the page show them."""
    rows = []
    for item in summary.channels:
        name = item.channel.value
        within = f"{item.answer_within_seconds:g} s (standard {item.target_share:.0%})"
        rows += [
            (f"{name} answered within {within}", percent(item.service_level)),
            (f"{name} mean answer", seconds(item.mean_answer_seconds)),
            (f"{name} p90 answer", seconds(item.p90_answer_seconds)),
            (f"{name} abandoned", percent(item.abandoned_share)),
        ]
    rows += [
        ("occupancy", percent(summary.occupancy)),
        ("handler-hours on duty a week", f"{summary.handler_hours_per_week:.0f}"),
        (
            "handler-hours on inappropriate calls a week",
            f"{summary.inappropriate_hours_per_week:.1f}",
        ),
    ]
    return rows
