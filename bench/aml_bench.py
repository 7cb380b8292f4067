"""AML parsing speed on one core.

Generates N varied, valid AML v1 and v2 SMS messages from a seeded random source, then times
``parse_aml`` on them: throughput (a tight loop over every message, repeated; the best and the
median pass are shown) and per-message latency (each call timed on its own, p50 and p99).
Progress goes to stderr, the table to stdout.

    .venv/bin/python bench/aml_bench.py            # 200,000 messages, half v1, half v2
    .venv/bin/python bench/aml_bench.py --n 50000 --v2-share 0 --seed 7 --cpu 1
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from controlroom.domain.location import (
    LocationFix,
    LocationSource,
    PositioningMethod,
    format_aml_v1,
    format_aml_v2,
    parse_aml,
)

V1_METHODS = [
    PositioningMethod.GNSS,
    PositioningMethod.WIFI,
    PositioningMethod.CELL,
    PositioningMethod.UNKNOWN,
]
EPOCH = datetime(2015, 1, 1, tzinfo=UTC)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _digits(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(low, high)))


def _imei(rng: random.Random) -> str | None:
    return None if rng.random() < 0.1 else _digits(rng, 15, 15)


def v1_message(rng: random.Random) -> str:
    """One valid v1 SMS with random position, time, method and device fields."""
    fix = LocationFix(
        source=LocationSource.AML_SMS_V1,
        lat=rng.randint(-9_000_000, 9_000_000) / 100_000,
        lon=rng.randint(-18_000_000, 18_000_000) / 100_000,
        accuracy_m=float(rng.choice([3, 5, 10, 18, 30, 65, 150, 1_200, 25_000])),
        confidence_pct=rng.choice([68, 90, 95, rng.randint(0, 100)]),
        positioned_at=EPOCH + timedelta(seconds=rng.randint(0, 400_000_000)),
        method=rng.choice(V1_METHODS),
        imsi=None if rng.random() < 0.1 else _digits(rng, 14, 15),
        imei=_imei(rng),
        network_mcc=rng.choice(["234", "235", "272"]),
        network_mnc=rng.choice(["10", "15", "20", "30", "33"]),
    )
    return format_aml_v1(fix)


def v2_message(rng: random.Random) -> str:
    """One valid v2 SMS with random position, offsets, altitude, networks and languages."""
    start = EPOCH + timedelta(seconds=rng.randint(0, 400_000_000))
    altitude = rng.random() < 0.6
    fix = LocationFix(
        source=LocationSource.AML_SMS_V2,
        lat=rng.randint(-90_000_000, 90_000_000) / 1_000_000,
        lon=rng.randint(-180_000_000, 180_000_000) / 1_000_000,
        accuracy_m=rng.choice([3.5, 8, 12.25, 30, 150, 1_500]),
        confidence_pct=rng.choice([None, 68, 95]),
        positioned_at=start + timedelta(seconds=rng.randint(-30, 40)),
        method=rng.choice(list(PositioningMethod)),
        altitude_m=rng.randint(-500, 250_000) / 100 if altitude else None,
        vertical_accuracy_m=rng.randint(100, 5_000) / 100 if altitude else None,
        imei=_imei(rng),
        emergency_number=rng.choice(["999", "112"]),
        call_started_at=start,
        network_mcc="234",
        network_mnc=rng.choice(["10", "15", "20", "30"]),
        home_mcc=rng.choice(["234", "208", "262"]),
        home_mnc=rng.choice(["10", "01", "02"]),
        languages=tuple(rng.sample(["en-GB", "cy", "gd", "pl", "ro", "pa"], rng.randint(0, 3))),
    )
    return format_aml_v2(fix)


def generate(n: int, v2_share: float, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    messages: list[tuple[str, str]] = []
    step = max(1, n // 10)
    for index in range(n):
        if rng.random() < v2_share:
            messages.append(("v2", v2_message(rng)))
        else:
            messages.append(("v1", v1_message(rng)))
        if (index + 1) % step == 0:
            progress(f"generated {index + 1:,}/{n:,}")
    return messages


def throughput(texts: list[str], parse: Callable[[str], object]) -> float:
    """Messages per second over one tight loop."""
    start = time.perf_counter()
    for text in texts:
        parse(text)
    elapsed = time.perf_counter() - start
    return len(texts) / elapsed if elapsed else float("inf")


def latencies(texts: list[str], parse: Callable[[str], object]) -> list[float]:
    """Each message's parse time in microseconds, sorted."""
    clock = time.perf_counter_ns
    out = []
    for text in texts:
        start = clock()
        parse(text)
        out.append((clock() - start) / 1000)
    out.sort()
    return out


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def pin_to_one_core(cpu: int | None) -> str:
    """Run on a single CPU (``cpu``, or the first allowed) where the platform allows it."""
    if hasattr(os, "sched_setaffinity"):
        chosen = min(os.sched_getaffinity(0)) if cpu is None else cpu
        os.sched_setaffinity(0, {chosen})
        return f"pinned to CPU {chosen}"
    return "not pinned (no sched_setaffinity)"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="messages to generate")
    parser.add_argument("--v2-share", type=float, default=0.5, help="fraction that are v2")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--repeat", type=int, default=3, help="throughput passes per kind")
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to [first allowed]")
    args = parser.parse_args(argv)
    pinned = pin_to_one_core(args.cpu)
    messages = generate(args.n, args.v2_share, args.seed)
    groups = {
        "v1": [text for kind, text in messages if kind == "v1"],
        "v2": [text for kind, text in messages if kind == "v2"],
        "all": [text for _, text in messages],
    }
    failures = 0
    for text in groups["all"]:  # every generated message must parse; this also warms up
        try:
            parse_aml(text)
        except Exception:
            failures += 1
    if failures:
        progress(f"{failures} generated messages failed to parse")
        return 1
    rows = []
    for name, texts in groups.items():
        if not texts:
            continue
        progress(f"timing {name} ({len(texts):,} messages)")
        rates = sorted(throughput(texts, parse_aml) for _ in range(max(1, args.repeat)))
        timed = latencies(texts, parse_aml)
        p50, p99 = percentile(timed, 0.5), percentile(timed, 0.99)
        rows.append((name, len(texts), rates[-1], rates[len(rates) // 2], p50, p99))
    print(
        f"AML parse benchmark: {args.n:,} messages, seed {args.seed}, v2 share {args.v2_share}; "
        f"{pinned}; {cpu_model()}; Python {platform.python_version()}"
    )
    header = f"{'kind':<5} {'messages':>10} {'best msgs/s':>12} {'median msgs/s':>14}"
    print(f"{header} {'p50 µs':>8} {'p99 µs':>8}")
    for name, count, best, median, p50, p99 in rows:
        print(f"{name:<5} {count:>10,} {best:>12,.0f} {median:>14,.0f} {p50:>8.1f} {p99:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
