"""Full triage (rules and the semantic layer) on one core: latency, batches, cold start, JSON lines.

    .venv/bin/python bench/semantic_bench.py [--n 2000] [--cpu 0] [--json results.json]

Needs the embedding model (``controlroom models install``). BLAS runs on one thread and the
process is pinned to one core, so the figures are per core. Measures:

- **per contact**: ``triage_text`` one contact at a time (validation, rules, and the semantic
  layer for every contact the rules do not call an emergency), latency percentiles;
- **batch**: ``triage_contacts`` on batches of 64, contacts per second;
- **cold start**: a new process, from the interpreter's start to its first decision (policy,
  rulebook, model checked by hash and loaded, bank vectors read from their cache);
- **JSON lines**: ``controlroom triage --jsonl`` end to end on N lines through a pipe, lines/s.

Targets (issue #15): p99 < 30 ms per contact, batch >= 300 contacts/s, cold start < 3 s, JSON
lines >= 300 lines/s. Exit 0 when all are met, 1 when not.
"""

from __future__ import annotations

import os

# One BLAS thread, set before NumPy is first imported: the figures are per core.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from controlroom import bootstrap  # noqa: E402
from controlroom.config import load_settings  # noqa: E402
from controlroom.domain.policy import Route  # noqa: E402
from controlroom.domain.triage import Channel, make_contact_text  # noqa: E402
from controlroom.services.triage import semantic_layer, triage_contacts, triage_text  # noqa: E402

try:
    from bench.corpus import generate
    from bench.triage_bench import cpu_model, pin_to_one_core
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from corpus import generate  # type: ignore[no-redef,import-not-found]
    from triage_bench import cpu_model, pin_to_one_core  # type: ignore[no-redef,import-not-found]

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"p99_ms": 30.0, "batch_per_s": 300.0, "cold_start_s": 3.0, "jsonl_per_s": 300.0}
COLD = (
    "import time, sys; start = time.perf_counter()\n"
    "from controlroom import triage_setup\n"
    "from controlroom.config import load_settings\n"
    "from controlroom.services.triage import triage_text\n"
    "policy = triage_setup.policy_for(load_settings())\n"
    "decision = triage_text('a man is following me home and he has a bottle', '999', policy)\n"
    "print(time.perf_counter() - start)\n"
)


def quantile(ordered: Sequence[float], q: float) -> float:
    rank = math.ceil(round(q * len(ordered), 6))
    return ordered[min(len(ordered), max(rank, 1)) - 1]


def per_contact(texts: list[str], policy: Any) -> dict[str, float]:
    times = []
    for i, text in enumerate(texts):
        started = time.perf_counter()
        triage_text(text, Channel.NINE_NINE_NINE, policy)
        times.append((time.perf_counter() - started) * 1000)
        if (i + 1) % 500 == 0:
            print(f"  per contact: {i + 1:,} of {len(texts):,}", file=sys.stderr, flush=True)
    times.sort()
    return {
        name: quantile(times, q) for name, q in (("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99))
    }


def batches(texts: list[str], policy: Any) -> float:
    contacts = [make_contact_text(t, Channel.NINE_NINE_NINE, max_chars=100_000) for t in texts]
    started = time.perf_counter()
    for start in range(0, len(contacts), 64):
        triage_contacts(contacts[start : start + 64], policy)
    return len(contacts) / (time.perf_counter() - started)


def cold_start(cpu: int) -> float:
    """Seconds from starting a new interpreter to its first decision (best of three)."""
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(
            ["taskset", "-c", str(cpu), sys.executable, "-c", COLD],
            check=True,
            capture_output=True,
            env=os.environ,
        )
        runs.append(time.perf_counter() - started)
    return min(runs)


def jsonl(texts: list[str], cpu: int) -> float:
    lines = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts))
    cli = Path(sys.executable).parent / "controlroom"
    started = time.perf_counter()
    done = subprocess.run(
        ["taskset", "-c", str(cpu), str(cli), "triage", "--jsonl"],
        input=lines.encode(),
        capture_output=True,
        env=os.environ,
        check=False,
    )
    elapsed = time.perf_counter() - started
    answered = done.stdout.count(b"\n")
    if answered != len(texts):
        raise SystemExit(f"triage --jsonl answered {answered} of {len(texts)} lines")
    return len(texts) / elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2_000, help="contacts to time (2,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    args = parser.parse_args(argv)
    pinned = pin_to_one_core(args.cpu)
    policy = bootstrap.policy_for(load_settings())
    if semantic_layer(policy) is None:
        print("the semantic layer is off: run controlroom models install", file=sys.stderr)
        return 2
    texts = [text for text, _ in generate(args.n, seed=args.seed)]
    triage_contacts(
        [make_contact_text(t, Channel.NINE_NINE_NINE, max_chars=100_000) for t in texts[:64]],
        policy,
    )  # warm-up
    print(f"timing {len(texts):,} contacts one at a time ...", file=sys.stderr, flush=True)
    results: dict[str, Any] = per_contact(texts, policy)
    decided = triage_contacts(
        [make_contact_text(t, Channel.NINE_NINE_NINE, max_chars=100_000) for t in texts], policy
    )
    results["emergency_share"] = sum(d.route is Route.EMERGENCY for d in decided) / len(texts)
    print("timing batches of 64 ...", file=sys.stderr, flush=True)
    results["batch_per_s"] = batches(texts, policy)
    print("timing cold starts ...", file=sys.stderr, flush=True)
    results["cold_start_s"] = cold_start(args.cpu)
    print("timing triage --jsonl ...", file=sys.stderr, flush=True)
    results["jsonl_per_s"] = jsonl(texts, args.cpu)
    results["machine"] = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "pinned": pinned,
        "load_average": os.getloadavg(),
    }
    met = {
        "p99_ms": results["p99_ms"] < TARGETS["p99_ms"],
        "batch_per_s": results["batch_per_s"] >= TARGETS["batch_per_s"],
        "cold_start_s": results["cold_start_s"] < TARGETS["cold_start_s"],
        "jsonl_per_s": results["jsonl_per_s"] >= TARGETS["jsonl_per_s"],
    }
    results["met"] = met
    print(f"machine: {results['machine']}")
    r = results
    rows = [
        (
            "per contact p50 / p90 / p99",
            f"{r['p50_ms']:.1f} / {r['p90_ms']:.1f} / {r['p99_ms']:.1f} ms",
            "p99 < 30 ms",
            met["p99_ms"],
        ),
        ("batches of 64", f"{r['batch_per_s']:,.0f} contacts/s", ">= 300/s", met["batch_per_s"]),
        (
            "cold start to first decision",
            f"{r['cold_start_s']:.2f} s",
            "< 3 s",
            met["cold_start_s"],
        ),
        (
            "triage --jsonl end to end",
            f"{r['jsonl_per_s']:,.0f} lines/s",
            ">= 300/s",
            met["jsonl_per_s"],
        ),
    ]
    print("| measure | result | target | met |\n|---|---:|---:|---|")
    for name, value, target, ok in rows:
        print(f"| {name} | {value} | {target} | {'yes' if ok else 'no'} |")
    share = r["emergency_share"]
    print(f"(emergencies by the rules, which the layer does not compare: {share:.0%})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
