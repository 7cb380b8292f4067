"""A plan's runs as CSV and JSON (the CLI's ``--csv`` and ``--json``, the page's downloads).

CSV: one row per run, channel and half hour of the week, with the handlers that channel needs
then. JSON: each run's figures, per channel and half hour, per group and half hour, and the
model it ran (in the room-model file's terms, see docs/planning.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from controlroom.domain.planning.model import (
    INTERVALS_PER_DAY,
    DistributionKind,
    Duration,
    RoomModel,
)
from controlroom.domain.planning.results import SimulationResult
from controlroom.domain.planning.staffing import StaffingNeed
from controlroom.domain.planning.summary import RunSummary
from controlroom.domain.planning.week import DAYS, clock

MODEL_FORMAT = "controlroom.room-model/1"
CSV_COLUMNS = (
    "run",
    "channel",
    "interval",
    "day",
    "time",
    "offered",
    "answered",
    "abandoned",
    "answered_in_target",
    "service_level",
    "mean_answer_seconds",
    "p90_answer_seconds",
    "handlers_needed",
)


@dataclass(frozen=True)
class Labelled:
    """One run of a plan under its label (``baseline`` or ``scenario``)."""

    label: str
    model: RoomModel
    result: SimulationResult
    summary: RunSummary
    needs: Sequence[StaffingNeed]


def _when(interval: int) -> tuple[str, str]:
    day, half = divmod(interval, INTERVALS_PER_DAY)
    return DAYS[day], clock(half * 30)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def plan_csv(runs: Sequence[Labelled]) -> str:
    """The runs as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for run in runs:
        needed = {(need.channel, need.interval): need.handlers for need in run.needs}
        for row in run.result.channels:
            day, time = _when(row.interval)
            writer.writerow(
                [
                    run.label,
                    row.channel.value,
                    row.interval,
                    day,
                    time,
                    row.offered,
                    row.answered,
                    row.abandoned,
                    row.answered_in_target,
                    _blank(_round(row.service_level)),
                    _blank(_round(row.mean_wait_seconds, 2)),
                    round(row.wait_p90_seconds, 2),
                    needed.get((row.channel, row.interval), ""),
                ]
            )
    return out.getvalue()


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


def summary_data(summary: RunSummary) -> dict[str, Any]:
    """A run's figures as a JSON object."""
    return {
        "weeks": summary.weeks,
        "seed": summary.seed,
        "occupancy": _round(summary.occupancy),
        "handler_hours_per_week": round(summary.handler_hours_per_week, 1),
        "inappropriate_handler_hours_per_week": round(summary.inappropriate_hours_per_week, 1),
        "channels": [
            {
                "channel": item.channel.value,
                "offered": item.offered,
                "answered": item.answered,
                "abandoned": item.abandoned,
                "answer_within_seconds": item.answer_within_seconds,
                "target_share": item.target_share,
                "service_level": _round(item.service_level),
                "meets_standard": item.meets_standard,
                "mean_answer_seconds": _round(item.mean_answer_seconds, 2),
                "p90_answer_seconds": _round(item.p90_answer_seconds, 2),
                "abandoned_share": _round(item.abandoned_share),
            }
            for item in summary.channels
        ],
    }


def run_data(run: Labelled, model_data: dict[str, Any] | None = None) -> dict[str, Any]:
    """One run as a JSON object: its figures, its half hours, and (if given) its model."""
    data: dict[str, Any] = {
        "run": run.label,
        "source": run.model.source,
        "notes": list(run.model.notes),
        "summary": summary_data(run.summary),
        "intervals": [
            {
                "channel": row.channel.value,
                "interval": row.interval,
                "offered": row.offered,
                "answered": row.answered,
                "abandoned": row.abandoned,
                "answered_in_target": row.answered_in_target,
                "wait_seconds_total": round(row.wait_seconds_total, 2),
                "p90_answer_seconds": round(row.wait_p90_seconds, 2),
            }
            for row in run.result.channels
        ],
        "groups": [
            {
                "group": row.group,
                "interval": row.interval,
                "on_duty_seconds": round(row.on_duty_seconds, 1),
                "busy_seconds": round(row.busy_seconds, 1),
                "inappropriate_seconds": round(row.inappropriate_seconds, 1),
            }
            for row in run.result.groups
        ],
        "handlers_needed": [
            {"channel": need.channel.value, "interval": need.interval, "handlers": need.handlers}
            for need in run.needs
        ],
    }
    if model_data is not None:
        data["model"] = model_data
    return data


def _duration_out(duration: Duration) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": duration.kind.value, "mean": duration.mean}
    if duration.kind is DistributionKind.LOGNORMAL:
        out["sd"] = duration.sd
    if duration.kind is DistributionKind.EMPIRICAL:
        out["quantiles"] = list(duration.quantiles)
    return out


def model_to_data(model: RoomModel) -> dict[str, Any]:
    """``model`` as the file format's JSON object."""
    return {
        "format": MODEL_FORMAT,
        "source": model.source,
        "notes": list(model.notes),
        "channels": [
            {
                "channel": c.channel.value,
                "answer_within_seconds": c.answer_within_seconds,
                "target_share": c.target_share,
                "patience": None if c.patience is None else _duration_out(c.patience),
                "kinds": [
                    {
                        "name": k.name,
                        "share": k.share,
                        "inappropriate": k.inappropriate,
                        "genuine_emergency": k.genuine_emergency,
                        "handling": _duration_out(k.handling),
                    }
                    for k in c.kinds
                ],
                "arrivals": list(c.arrivals),
            }
            for c in model.channels
        ],
        "groups": [
            {"name": g.name, "skills": [s.value for s in g.skills], "roster": list(g.roster)}
            for g in model.groups
        ],
    }
