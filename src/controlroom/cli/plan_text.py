"""What ``controlroom plan`` prints: a model, a run beside its scenario, the handlers needed."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from controlroom.domain.planning.from_records import RecordsModel
from controlroom.domain.planning.model import INTERVALS_PER_WEEK, RoomModel
from controlroom.domain.planning.staffing import StaffingNeed
from controlroom.domain.planning.summary import hourly_handlers, summary_rows
from controlroom.domain.planning.week import DAYS, clock
from controlroom.services.planning import Plan


def records_lines(found: RecordsModel) -> list[str]:
    """What the records held, channel by channel."""
    lines = []
    for item in found.channels:
        lines.append(
            f"{item.channel.value}: {item.offered} offered, {item.answered} answered, "
            f"{item.abandoned} abandoned, {item.genuine_emergencies} genuine emergencies, "
            f"{item.inappropriate} inappropriate"
        )
        for kind in item.kinds:
            lines.append(
                f"  {kind.name:<26} {kind.share:6.1%}  {kind.contacts:>6} contacts  "
                f"handling mean {kind.handling.mean:7.1f} s  ({kind.fitted})"
            )
        lines.append(f"  patience: {item.patience_from}")
    return lines


def model_lines(model: RoomModel) -> list[str]:
    """The model in brief: its source, each channel's week, each group's hours."""
    lines = [f"model: {model.source}"]
    for channel in model.channels:
        week = sum(channel.arrivals)
        lines.append(
            f"  {channel.channel.value:<8} {week:9.1f} contacts a week; standard "
            f"{channel.target_share:.0%} within {channel.answer_within_seconds:g} s"
        )
    for group in model.groups:
        skills = ", ".join(skill.value for skill in group.skills)
        hours = sum(group.roster) / 2
        lines.append(f"  group {group.name!r} ({skills}): {hours:.0f} handler-hours a week")
    lines += [f"  note: {note}" for note in model.notes]
    return lines


def comparison_lines(plan: Plan) -> list[str]:
    """The baseline's figures, and the scenario's beside them."""
    base = plan.baseline
    lines = [
        f"model: {base.model.source}",
        f"simulated {base.summary.weeks} week{'s' if base.summary.weeks != 1 else ''}, "
        f"seed {base.summary.seed}",
    ]
    rows = summary_rows(base.summary)
    width = max(len(label) for label, _ in rows)
    if plan.scenario is None:
        lines += [f"{label:<{width}}  {value:>10}" for label, value in rows]
        return lines
    lines.append(plan.scenario.model.notes[-1])
    lines.append(f"{'':<{width}}  {'baseline':>10}  {'scenario':>10}")
    other = summary_rows(plan.scenario.summary)
    for (label, before), (_, after) in zip(rows, other, strict=True):
        lines.append(f"{label:<{width}}  {before:>10}  {after:>10}")
    return lines


def staffing_lines(model: RoomModel, needs: Sequence[StaffingNeed]) -> list[str]:
    """Handlers needed by hour of the day and day of the week, every channel together, and
    each channel's handler-hours needed against the roster's."""
    hourly = hourly_handlers((need.interval, need.handlers) for need in needs)
    lines = [f"model: {model.source}", "handlers needed (every channel together)"]
    lines.append("hour   " + " ".join(f"{day:>4}" for day in DAYS))
    for hour in range(24):
        values = " ".join(f"{hourly[day * 24 + hour]:>4}" for day in range(7))
        lines.append(f"{clock(hour * 60)}  {values}")
    rostered = sum(sum(group.roster) for group in model.groups) / 2
    for channel in model.channels:
        hours = sum(n.handlers for n in needs if n.channel is channel.channel) / 2
        lines.append(f"{channel.channel.value}: {hours:.0f} handler-hours a week needed")
    lines.append(f"rostered: {rostered:.0f} handler-hours a week")
    return lines


def staffing_csv(needs: Sequence[StaffingNeed]) -> str:
    """channel, interval, day, time, handlers: one row per channel and half hour."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["channel", "interval", "day", "time", "handlers"])
    for need in sorted(needs, key=lambda n: (n.channel.priority, n.interval)):
        day, half = divmod(need.interval, INTERVALS_PER_WEEK // 7)
        writer.writerow(
            [need.channel.value, need.interval, DAYS[day], clock(half * 30), need.handlers]
        )
    return out.getvalue()
