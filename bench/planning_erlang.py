"""How closely the simulation agrees with Erlang C and Erlang A on one queue with constant rates.

For each case (handlers, load, mean handling, mean patience or none, answer standard) simulates
``weeks`` weeks with ``--seed`` and prints, as a markdown table, Erlang's service level, mean
answer time of answered contacts and share abandoned next to the simulation's. The cases are
those of ``tests/domain/planning/test_erlang_agreement.py`` and two heavier Erlang C loads;
``--scale`` multiplies every case's weeks (the tests use scale 1).

    .venv/bin/python bench/planning_erlang.py --scale 5
"""

from __future__ import annotations

import argparse
import sys
import time

from controlroom.domain.planning.erlang import QueueFigures, erlang_a, erlang_c
from controlroom.domain.planning.model import (
    INTERVAL_SECONDS,
    Channel,
    ChannelModel,
    ContactKind,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)
from controlroom.domain.planning.simulation import simulate

#: handlers, load in erlangs, mean handling s, mean patience s (None: Erlang C), within s, weeks
CASES = [
    (5, 3.5, 240.0, None, 20.0, 100),
    (5, 4.0, 240.0, None, 20.0, 100),
    (30, 25.5, 300.0, None, 10.0, 20),
    (30, 27.0, 300.0, None, 10.0, 20),
    (100, 90.0, 300.0, None, 10.0, 8),
    (5, 5.0, 240.0, 60.0, 20.0, 20),
    (30, 29.0, 300.0, 120.0, 10.0, 10),
    (100, 102.0, 300.0, 180.0, 10.0, 4),
]


def exponential(mean: float) -> Duration:
    return Duration(DistributionKind.EXPONENTIAL, mean)


def model(rate: float, handling: float, handlers: int, patience: float | None, within: float):  # type: ignore[no-untyped-def]
    channel = ChannelModel(
        channel=Channel.EMERGENCY,
        arrivals=(rate * INTERVAL_SECONDS,) * 336,
        kinds=(ContactKind("all", 1.0, exponential(handling)),),
        patience=exponential(patience) if patience else None,
        answer_within_seconds=within,
        target_share=0.9,
    )
    return RoomModel((channel,), (HandlerGroup("all", (Channel.EMERGENCY,), (handlers,) * 336),))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv)
    print(
        "| formula | n | load | patience | within | weeks | contacts | service level "
        "Erlang / sim. | mean answer Erlang / sim. | abandoned Erlang / sim. | time |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for handlers, load, handling, patience, within, weeks in CASES:
        rate = load / handling
        expected: QueueFigures = (
            erlang_c(rate, handling, handlers, within)
            if patience is None
            else erlang_a(rate, handling, patience, handlers, within)
        )
        weeks *= args.scale
        started = time.process_time()
        result = simulate(
            model(rate, handling, handlers, patience, within), weeks=weeks, seed=args.seed
        )
        spent = time.process_time() - started
        rows = result.channels
        offered = sum(r.offered for r in rows)
        level = sum(r.answered_in_target for r in rows) / offered
        wait = sum(r.wait_seconds_total for r in rows) / sum(r.answered for r in rows)
        abandoned = sum(r.abandoned for r in rows) / offered
        print(
            f"| {'C' if patience is None else 'A'} | {handlers} | {load / handlers:.2f} | "
            f"{f'{patience:.0f} s' if patience else '—'} | {within:.0f} s | {weeks} | "
            f"{offered:,} | {expected.service_level:.2%} / {level:.2%} | "
            f"{expected.mean_wait:.1f} / {wait:.1f} s ({wait / expected.mean_wait - 1:+.1%}) | "
            f"{expected.abandon_share:.2%} / {abandoned:.2%} | {spent:.1f} s |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
