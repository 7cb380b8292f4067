"""Capacity planning: one simulated year of a Met-sized room, and how time and memory grow.

Builds the room of ``planning_model.py`` (about 10 million contacts a year over 999, 101 and
digital, staffed half hour by half hour by the staffing calculator), then simulates ``--weeks``
weeks (52) at each of ``--volumes`` (1/8, 1/4, 1/2 and all of the contacts). Each volume runs in
a fresh process pinned to one core (``--cpu``), so that its peak resident memory (ru_maxrss) is
its own; each also measures the ``tracemalloc`` peak of a ``--traced-weeks`` run (1 week;
tracing slows everything down). Time is CPU time of the process (what the core spent on it,
leaving out other work on a shared machine) and wall-clock time.

    .venv/bin/python bench/planning_bench.py --plot docs/img/planning-bench.png
    .venv/bin/python bench/planning_bench.py --volumes 1 --weeks 4

Exit status: 0 when the full year at full volume took at most 60 s of CPU, 1 when not, 2 for
bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from controlroom.domain.planning.model import Channel
from controlroom.domain.planning.simulation import simulate

try:
    from bench.planning_model import met_sized
    from bench.triage_bench import Progress, cpu_model, max_rss_mb, pin_to_one_core
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from planning_model import met_sized  # type: ignore[no-redef,import-not-found]
    from triage_bench import (  # type: ignore[no-redef,import-not-found]
        Progress,
        cpu_model,
        max_rss_mb,
        pin_to_one_core,
    )

TARGET_SECONDS = 60.0


def run_one(volume: float, weeks: int, seed: int, traced_weeks: int) -> dict[str, Any]:
    """Simulate one volume in this process and return its figures."""
    model = met_sized(volume)
    rss_before = max_rss_mb()
    progress = Progress(f"volume {volume:g}, weeks", weeks)
    wall, cpu = time.perf_counter(), time.process_time()
    result = simulate(model, weeks=weeks, seed=seed, progress=progress.update)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    rss_after = max_rss_mb()
    channels = {}
    for channel in Channel:
        rows = result.for_channel(channel)
        offered = sum(r.offered for r in rows)
        channels[str(channel)] = {
            "offered": offered,
            "service_level": sum(r.answered_in_target for r in rows) / offered,
            "abandoned": sum(r.abandoned for r in rows) / offered,
            "mean_wait": sum(r.wait_seconds_total for r in rows)
            / max(1, sum(r.answered for r in rows)),
        }
    busy = sum(r.busy_seconds for r in result.groups)
    on_duty = sum(r.on_duty_seconds for r in result.groups)
    tracemalloc.start()
    simulate(model, weeks=traced_weeks, seed=seed)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "volume": volume,
        "weeks": weeks,
        "contacts": sum(c["offered"] for c in channels.values()),
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "rss_before_mb": rss_before,
        "rss_peak_mb": rss_after,
        "traced_peak_kb": traced_peak / 1024,
        "traced_weeks": traced_weeks,
        "channels": channels,
        "occupancy": busy / on_duty,
        "handler_hours": on_duty / 3600,
        "inappropriate_hours": result.inappropriate_handler_hours,
        "peak_handlers": {g.name: max(g.roster) for g in model.groups},
    }


def report(runs: list[dict[str, Any]], pinned: str) -> str:
    lines = [
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()};"
        f" {pinned}.",
        "",
        "| volume | contacts | weeks | CPU s | wall s | µs per contact | peak RSS | "
        "tracemalloc peak |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run['volume']:g} | {run['contacts']:,} | {run['weeks']} | "
            f"{run['cpu_seconds']:.1f} | {run['wall_seconds']:.1f} | "
            f"{1e6 * run['cpu_seconds'] / run['contacts']:.2f} | "
            f"{run['rss_peak_mb']:.0f} MB (before: {run['rss_before_mb']:.0f}) | "
            f"{run['traced_peak_kb']:,.0f} KB ({run['traced_weeks']} wk) |"
        )
    full = runs[-1]
    lines += [
        "",
        f"Volume {full['volume']:g}: {full['handler_hours']:,.0f} handler-hours on duty, "
        f"occupancy {full['occupancy']:.1%}, {full['inappropriate_hours']:,.0f} handler-hours "
        f"on inappropriate 999 calls; peak handlers {full['peak_handlers']}.",
        "",
        "| channel | offered | service level | abandoned | mean answer time |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, figures in full["channels"].items():
        lines.append(
            f"| {name} | {figures['offered']:,} | {figures['service_level']:.1%} | "
            f"{figures['abandoned']:.1%} | {figures['mean_wait']:.1f} s |"
        )
    return "\n".join(lines)


def plot(runs: list[dict[str, Any]], path: Path) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed"
    contacts = [r["contacts"] / 1e6 for r in runs]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(contacts, [r["cpu_seconds"] for r in runs], "o-", label="CPU time")
    left.plot(contacts, [r["wall_seconds"] for r in runs], "s--", label="wall-clock time")
    left.axhline(TARGET_SECONDS, color="red", linestyle=":", label="target: 60 s")
    left.set(xlabel="contacts simulated (millions)", ylabel="seconds", title="Time")
    left.set_xlim(left=0)
    left.set_ylim(bottom=0)
    left.legend()
    right.plot(contacts, [r["rss_peak_mb"] for r in runs], "o-", label="peak RSS (process)")
    right.plot(
        contacts, [r["traced_peak_kb"] / 1024 for r in runs], "s--", label="tracemalloc peak"
    )
    right.set(xlabel="contacts simulated (millions)", ylabel="MB", title="Memory")
    right.set_xlim(left=0)
    right.set_ylim(bottom=0)
    right.legend()
    figure.suptitle("One simulated year of a Met-sized room, by volume (one core)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    return f"plot written to {path}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--volumes", default="0.125,0.25,0.5,1")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--traced-weeks", type=int, default=1)
    parser.add_argument("--plot", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.volume_list = [float(v) for v in args.volumes.split(",")]
    except ValueError:
        parser.error(f"--volumes: give numbers separated by commas, not {args.volumes!r}")
    if not 1 <= args.weeks <= 520 or any(v <= 0 for v in args.volume_list):
        parser.error("--weeks must be 1 to 520 and every volume above 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pinned = pin_to_one_core(args.cpu)
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.weeks, args.seed, args.traced_weeks)))
        return 0
    runs = []
    for volume in sorted(args.volume_list):
        command = [sys.executable, __file__, "--one", str(volume), "--weeks", str(args.weeks)]
        command += ["--seed", str(args.seed), "--cpu", str(args.cpu)]
        command += ["--traced-weeks", str(args.traced_weeks)]
        done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
        runs.append(json.loads(done.stdout))
    print(report(runs, pinned))
    if args.plot:
        print(plot(runs, args.plot), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    full = [r for r in runs if r["volume"] == 1.0 and r["weeks"] >= 52]
    return 0 if all(r["cpu_seconds"] <= TARGET_SECONDS for r in full) else 1


if __name__ == "__main__":
    sys.exit(main())
