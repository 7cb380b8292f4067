"""Triage speed on one core: throughput, per-contact latency, memory and text-length scaling.

Generates N varied contacts (bench/corpus.py), then times validation and triage together
(``make_contact_text`` + ``triage``, what a request costs) for each contact, after a warm-up that
compiles the rulebook. Reports throughput, latency percentiles, the route mix, peak memory and
how time grows with text length (1 KB, 10 KB and 100 KB accounts). Progress goes to stderr, the
results (markdown tables) to stdout.

    .venv/bin/python bench/triage_bench.py
    .venv/bin/python bench/triage_bench.py --n 100000 --seed 1 \\
        --plot docs/img/triage-latency.png --json results.json

Exit status: 0 when the targets are met (>= 5,000 contacts/s and p99 < 2 ms), 1 when not,
2 for bad usage.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import make_contact_text, triage

try:
    from bench.corpus import generate, long_text
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from corpus import generate, long_text  # type: ignore[no-redef,import-not-found]

TARGET_RATE = 5_000  # contacts per second, whole run
TARGET_P99_US = 2_000  # microseconds per contact
SIZES = (1024, 10 * 1024, 100 * 1024)  # bytes
PATHS = ("lower-cased", "case-folding")  # the engine's two matching paths
QUANTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999))


class Progress:
    """A progress line on stderr: updated in place on a terminal, else every 10%."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self.tty = sys.stderr.isatty()
        self.start = time.perf_counter()
        self.next_tenth = 1
        self.last_draw = 0.0

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if self.tty:
            if now - self.last_draw < 0.2 and done < self.total:
                return
            self.last_draw = now
            end = "\n" if done >= self.total else ""
            line = self._line(done, now).ljust(72)  # cover a longer line drawn before
            print(f"\r{line}", end=end, file=sys.stderr, flush=True)
        elif done * 10 >= self.next_tenth * self.total:
            self.next_tenth = done * 10 // self.total + 1
            print(self._line(done, now), file=sys.stderr, flush=True)

    def _line(self, done: int, now: float) -> str:
        rate = done / max(now - self.start, 1e-9)
        eta = (self.total - done) / rate if rate else 0.0
        share = f"{100 * done / self.total:3.0f}%"
        return f"  {self.label}: {done:,}/{self.total:,} ({share})  {rate:,.0f}/s  eta {eta:4.0f} s"


def pin_to_one_core(cpu: int) -> str:
    """Pin this process to ``cpu`` where the platform allows; say what was done."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (os.sched_setaffinity is not available here)"
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as error:
        return f"not pinned ({error})"
    return f"pinned to CPU {cpu} (os.sched_setaffinity)"


def cpu_model() -> str:
    """The CPU model named in /proc/cpuinfo, else what the platform module says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def max_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (ru_maxrss is KB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def quantile(ordered: Sequence[int], q: float) -> int:
    """Nearest-rank quantile of already sorted values."""
    rank = math.ceil(round(q * len(ordered), 6))
    return ordered[min(len(ordered), max(rank, 1)) - 1]


CLOCKS = {
    "wall": (time.perf_counter_ns, time.perf_counter),
    "cpu": (time.thread_time_ns, time.thread_time),
}


def time_contacts(
    contacts: Sequence[tuple[str, str]],
    policy: Policy,
    limit: int,
    label: str,
    clock_name: str = "wall",
) -> tuple[list[int], float, Counter[Route]]:
    """Per-contact nanoseconds, the whole run's seconds and the routes decided.

    ``clock_name`` "wall" times elapsed time; "cpu" times the CPU this thread used, which
    leaves out the time other processes on a shared machine held the core.
    """
    progress = Progress(label, len(contacts))
    latencies: list[int] = []
    routes: Counter[Route] = Counter()
    clock, seconds_clock = CLOCKS[clock_name]
    start = seconds_clock()
    for done, (text, channel) in enumerate(contacts, 1):
        before = clock()
        decision = triage(make_contact_text(text, channel, max_chars=limit), policy)
        latencies.append(clock() - before)
        routes[decision.route] += 1
        if done % 500 == 0 or done == len(contacts):
            progress.update(done)
    return latencies, seconds_clock() - start, routes


def traced_peak(texts: Iterable[tuple[str, str]], policy: Policy, limit: int) -> tuple[int, int]:
    """Peak bytes traced over all of ``texts`` and the largest peak for one of them."""
    tracemalloc.start()
    try:
        overall = single = 0
        for text, channel in texts:
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            triage(make_contact_text(text, channel, max_chars=limit), policy)
            peak = tracemalloc.get_traced_memory()[1]
            single = max(single, peak - base)
            overall = max(overall, peak)
    finally:
        tracemalloc.stop()
    return overall, single


def scaling(
    policy: Policy, limit: int, texts_per_size: int, reps: int, seed: int
) -> list[dict[str, Any]]:
    """Time several different long accounts per size, several times each, on both paths.

    The usual path matches lower-cased text; a text with a letter whose lower-case form is
    longer (one "İ" anywhere) is matched case-insensitively instead. Each repetition goes once
    through every text of every size, so a burst of load elsewhere falls on all sizes alike.
    """
    cases = [(path, size) for path in PATHS for size in SIZES]
    texts = {
        (path, size): [
            long_text(size, seed * 1000 + i, folding=path == PATHS[1])
            for i in range(texts_per_size)
        ]
        for path, size in cases
    }
    samples: dict[tuple[str, int], list[int]] = {case: [] for case in cases}
    progress = Progress("1, 10 and 100 KB texts", reps * len(cases) * texts_per_size)
    done = 0
    for _ in range(reps):
        for case in cases:
            for text in texts[case]:
                before = time.perf_counter_ns()
                triage(make_contact_text(text, "999", max_chars=limit), policy)
                samples[case].append(time.perf_counter_ns() - before)
                done += 1
                progress.update(done)
    rows = []
    for case in cases:
        ordered = sorted(samples[case])
        mean_ms = sum(ordered) / len(ordered) / 1e6
        kb = sum(len(t.encode()) for t in texts[case]) / texts_per_size / 1024
        _, single = traced_peak(((texts[case][0], "999"),), policy, limit)
        rows.append(
            {
                "path": case[0],
                "size_bytes": case[1],
                "mean_kb": kb,
                "samples": len(ordered),
                "mean_ms": mean_ms,
                "p99_ms": quantile(ordered, 0.99) / 1e6,
                "us_per_kb": mean_ms * 1000 / kb,
                "traced_peak_kb": single / 1024,
                "all_ms": [ns / 1e6 for ns in samples[case]],
            }
        )
    return rows


def report(results: dict[str, Any]) -> str:
    """The results as markdown tables."""
    verdict = {True: "pass", False: "FAIL"}.get
    lat, mem = results["latency_us"], results["memory"]
    rate_ok = results["throughput"] >= TARGET_RATE
    p99_ok = lat["p99"] < TARGET_P99_US
    out = [
        f"Triage benchmark: {results['n']:,} contacts, seed {results['seed']}, "
        f"{results['pinning']}",
        f"{results['cpu']}; Python {results['python']}; gc enabled; {results['policy']}; "
        f"{results['clock']} clock",
        "",
        "| measure | result | target | |",
        "|---|---:|---|---|",
        f"| throughput (whole run) | {results['throughput']:,.0f} contacts/s "
        f"| ≥ {TARGET_RATE:,}/s | {verdict(rate_ok)} |",
    ]
    for name, _ in QUANTILES:
        target, mark = ("< 2,000 µs", verdict(p99_ok)) if name == "p99" else ("", "")
        out.append(f"| latency {name} | {lat[name]:,.0f} µs | {target} | {mark} |")
    out += [
        f"| latency max | {lat['max']:,.0f} µs | | |",
        f"| latency mean | {lat['mean']:,.0f} µs | | |",
        f"| peak RSS, whole process (ru_maxrss) | {mem['rss_peak_mb']:.0f} MB "
        f"(before the run: {mem['rss_before_run_mb']:.0f} MB) | | |",
        f"| tracemalloc peak, {mem['traced_contacts']:,} contacts | "
        f"{mem['traced_peak_kb']:,.0f} KB (one contact at most: "
        f"{mem['traced_single_kb']:,.0f} KB) | | |",
        "",
        "| route decided | contacts | share |",
        "|---|---:|---:|",
    ]
    for route, count in results["routes"].items():
        out.append(f"| {route} | {count:,} | {100 * count / results['n']:.1f}% |")
    out += ["", "| corpus text length | contacts | p50 µs | p99 µs |", "|---|---:|---:|---:|"]
    for bucket in results["by_length"]:
        out.append(
            f"| {bucket['label']} | {bucket['count']:,} | {bucket['p50']:,.0f} "
            f"| {bucket['p99']:,.0f} |"
        )
    out += [
        "",
        "| text | matching path | samples | mean ms | p99 ms | µs per KB | growth per 10× "
        "| tracemalloc peak |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    previous: dict[str, float] = {}
    for row in results["scaling"]:
        before = previous.get(row["path"])
        growth = f"×{row['mean_ms'] / before:.1f}" if before else ""
        previous[row["path"]] = row["mean_ms"]
        out.append(
            f"| {row['size_bytes'] // 1024} KB | {row['path']} | {row['samples']} "
            f"| {row['mean_ms']:,.2f} "
            f"| {row['p99_ms']:,.2f} | {row['us_per_kb']:,.0f} | {growth} "
            f"| {row['traced_peak_kb']:,.0f} KB |"
        )
    out += ["", f"Targets: {'met' if rate_ok and p99_ok else 'NOT met'}"]
    return "\n".join(out)


def by_length(
    contacts: Sequence[tuple[str, str]], latencies: Sequence[int]
) -> list[dict[str, Any]]:
    """Latency percentiles for short, medium and long texts of the corpus."""
    buckets: tuple[tuple[str, Callable[[str], bool]], ...] = (
        ("< 100 chars", lambda t: len(t) < 100),
        ("100–299 chars", lambda t: 100 <= len(t) < 300),
        ("≥ 300 chars", lambda t: len(t) >= 300),
        ("any length, case-folding path", lambda t: len(t.lower()) != len(t)),
    )
    pairs = list(zip(contacts, latencies, strict=True))
    chosen = {label: sorted(ns for (text, _), ns in pairs if test(text)) for label, test in buckets}
    return [
        {
            "label": label,
            "count": len(ns),
            "p50": quantile(ns, 0.5) / 1e3,
            "p99": quantile(ns, 0.99) / 1e3,
        }
        for label, ns in chosen.items()
        if ns
    ]


def plot(results: dict[str, Any], latencies: Sequence[int], path: Path) -> str:
    """Latency histogram and CDF, and time against text length; returns a note."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install matplotlib)"
    micro = sorted(ns / 1000 for ns in latencies)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    low, high = max(micro[0], 1.0), max(micro[-1], TARGET_P99_US * 1.5)
    bins = [low * (high / low) ** (i / 80) for i in range(81)]
    left.hist(micro, bins=bins, color="#4C72B0", alpha=0.8)
    left.set(xscale="log", xlabel="latency per contact (µs, log scale)", ylabel="contacts")
    cdf = left.twinx()
    cdf.plot(micro, [(i + 1) / len(micro) for i in range(len(micro))], color="#222222")
    cdf.set(ylim=(0, 1.0), ylabel="share of contacts at or below")
    left.axvline(TARGET_P99_US, color="#C44E52", linestyle="--", label="2 ms (p99 target)")
    lat = results["latency_us"]
    left.axvline(lat["p50"], color="#55A868", linestyle=":", label=f"p50 {lat['p50']:,.0f} µs")
    left.axvline(lat["p99"], color="#8172B2", linestyle=":", label=f"p99 {lat['p99']:,.0f} µs")
    left.legend(loc="center right", fontsize=8)
    left.set_title(f"{results['n']:,} contacts: {results['throughput']:,.0f} contacts/s")
    for matching, colour in zip(PATHS, ("#4C72B0", "#DD8452"), strict=True):
        rows = [row for row in results["scaling"] if row["path"] == matching]
        for row in rows:
            xs = [row["mean_kb"]] * len(row["all_ms"])
            right.scatter(xs, row["all_ms"], s=10, alpha=0.4, color=colour)
        sizes = [row["mean_kb"] for row in rows]
        means = [row["mean_ms"] for row in rows]
        right.plot(sizes, means, marker="o", color=colour, label=f"mean, {matching} path")
    ends, first = [SIZES[0] / 1024, SIZES[-1] / 1024], results["scaling"][0]["mean_ms"]
    linear = [first, first * SIZES[-1] / SIZES[0]]
    right.plot(ends, linear, linestyle="--", color="#999999", label="linear growth from 1 KB")
    right.set(xscale="log", yscale="log", title="time against text length")
    right.set(xlabel="text length (KB, log scale)", ylabel="ms per contact (log scale)")
    right.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot written to {path}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="contacts to time (100,000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--cpu", type=int, default=0, help="the core to pin to (0)")
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: elapsed time (default); cpu: this thread's CPU time, for a shared machine",
    )
    parser.add_argument("--warmup", type=int, default=2_000, help="warm-up contacts (2,000)")
    parser.add_argument("--traced", type=int, default=2_000, help="contacts under tracemalloc")
    parser.add_argument("--texts", type=int, default=5, help="different texts per size (5)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each text (5)")
    parser.add_argument("--plot", type=Path, help="write the figure to this PNG")
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    args = parser.parse_args(argv)
    if min(args.n, args.texts, args.reps) < 1 or min(args.warmup, args.traced) < 0:
        parser.error("--n, --texts and --reps must be at least 1; others at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pinning = pin_to_one_core(args.cpu)
    print(f"triage benchmark: {pinning}", file=sys.stderr)
    policy = load_policy("dcp-p-042")
    limit = policy.limits.max_text_chars
    book = policy.rulebook
    rules = sum(map(len, (book.matters, book.overrides, book.time_cues, book.vulnerabilities)))
    print(f"  generating {args.n:,} contacts (seed {args.seed})", file=sys.stderr)
    contacts = generate(args.n, args.seed)
    warmup = [*generate(args.warmup, args.seed + 7919), (long_text(1024, 1), "999")]
    time_contacts(warmup, policy, limit, "warm-up")  # compiles the rulebook, fills caches
    rss_before = max_rss_mb()
    latencies, seconds, routes = time_contacts(contacts, policy, limit, "timed run", args.clock)
    rss_peak = max_rss_mb()
    traced = contacts[: args.traced]
    gc.collect()
    peak, single = traced_peak(traced, policy, limit) if traced else (0, 0)
    ordered = sorted(latencies)
    results: dict[str, Any] = {
        "n": args.n,
        "seed": args.seed,
        "pinning": pinning,
        "clock": args.clock,
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "policy": f"{policy.force.policy_reference} with {rules} rules",
        "throughput": args.n / seconds,
        "seconds": seconds,
        "latency_us": {name: quantile(ordered, q) / 1000 for name, q in QUANTILES}
        | {"max": ordered[-1] / 1000, "mean": sum(ordered) / len(ordered) / 1000},
        "routes": {route.value: routes[route] for route in Route if routes[route]},
        "memory": {
            "rss_before_run_mb": rss_before,
            "rss_peak_mb": rss_peak,
            "traced_contacts": len(traced),
            "traced_peak_kb": peak / 1024,
            "traced_single_kb": single / 1024,
        },
        "by_length": by_length(contacts, latencies),
        "scaling": scaling(policy, limit, args.texts, args.reps, args.seed),
    }
    met = results["throughput"] >= TARGET_RATE and results["latency_us"]["p99"] < TARGET_P99_US
    results["targets_met"] = met
    print(report(results))
    if args.plot:
        print(plot(results, latencies, args.plot), file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
