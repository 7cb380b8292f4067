"""Caller-history look-up on call arrival, on SQLite and PostgreSQL, with millions of contacts.

Loads ``--contacts`` rows of ``contact_calls`` (10 million) for ``--numbers`` distinct numbers
(1 million) into a fresh, migrated database: calls per number follow a Zipf law (a few numbers
with thousands of calls, most with one or two), capped at ``--max-calls``, spread over
``--days`` days; numbers with ``--hot-calls`` calls or more call like faulty devices and
nuisance callers, the rest like the public, and the busiest number made all its calls in the
last 25 days. SQLite is loaded with executemany in transactions of 500,000 rows
(``synchronous=OFF`` during the load only), PostgreSQL with COPY; the indexes are dropped for
the load and built again afterwards, and the schema is then checked against the code's. Then
``caller_history`` is timed exactly as the API runs it when a call arrives (a read-only unit of
work, the repository's index range scan over the detection window, ``summarise`` and
``detect`` with the force's rules) for numbers drawn like real arrivals: a random stored
call's number, so a repeat caller comes up as often as it calls. With ``--quiet-wait`` the
timing waits for the machine's load average to fall under ``--quiet-load`` first. Progress
goes to stderr, the tables to stdout; the database is dropped at the end.

    .venv/bin/python bench/history_bench.py --db both --plot docs/img/history-lookup.png
    .venv/bin/python bench/history_bench.py --db sqlite --contacts 1000000 --numbers 100000

Exit status: 0 when every database looked up in under 5 ms at p99, 1 when not, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from controlroom.adapters.db import migrate
from controlroom.adapters.db.call_history import _BY_NUMBER, EPOCH, SqlCallHistory
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.adapters.nuisance_config import load_nuisance_config
from controlroom.adapters.policy_file import load_policy
from controlroom.domain.access import Principal
from controlroom.domain.contacts import Role
from controlroom.domain.nuisance import detect, summarise
from controlroom.services import nuisance_history
from controlroom.services.nuisance_history import caller_history, history_window

try:
    from bench.history_data import (
        NOW,
        Dataset,
        load_postgresql,
        load_sqlite,
        sample_lookups,
    )
    from bench.triage_bench import Progress, cpu_model, max_rss_mb, pin_to_one_core, quantile
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from history_data import (  # type: ignore[no-redef,import-not-found]
        NOW,
        Dataset,
        load_postgresql,
        load_sqlite,
        sample_lookups,
    )
    from triage_bench import (  # type: ignore[no-redef,import-not-found]
        Progress,
        cpu_model,
        max_rss_mb,
        pin_to_one_core,
        quantile,
    )

TARGET_P99_MS = 5.0
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DATABASE = "controlroom_bench_history"
BANDS = ((0, 0), (1, 9), (10, 99), (100, 299), (300, 10**9))


def wait_for_quiet(limit: float, seconds: int) -> None:
    """Wait (up to ``seconds``) until the 1-minute load average is under ``limit``."""
    deadline = time.monotonic() + seconds
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        print(f"  waiting for a quieter machine: load {os.getloadavg()[0]:.1f}", file=sys.stderr)
        time.sleep(15)


def time_lookups(
    url: str, lookups: list[str], warmup: int, label: str, busiest: str, cpu: bool = False
) -> dict[str, Any]:
    """Each look-up timed as the API runs it; the warm-up ones are not counted. Then the
    busiest number alone, 50 times."""
    engine = create_engine_for(url)
    policy = load_policy("dcp-p-042")
    config = load_nuisance_config("dcp-p-042", policy)
    principal = Principal("bench-handler", Role.CALL_HANDLER)

    def factory(*, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, read_only=read_only, snapshot=snapshot)

    for identifier in lookups[:warmup]:
        caller_history(factory, principal, identifier, NOW, config)
    load_before = os.getloadavg()[0]
    timed = lookups[warmup:]
    latencies, sizes, flagged = [], [], 0
    progress = Progress(label, len(timed))
    clock = time.thread_time_ns if cpu else time.perf_counter_ns
    for done, identifier in enumerate(timed, 1):
        before = clock()
        found = caller_history(factory, principal, identifier, NOW, config)
        latencies.append(clock() - before)
        sizes.append(len(found.history.calls))
        flagged += bool(found.flags)
        if done % 500 == 0 or done == len(timed):
            progress.update(done)
    parts = split_time(engine, timed[:2000], config)
    alone = []
    for _ in range(50):
        before = clock()
        found = caller_history(factory, principal, busiest, NOW, config)
        alone.append(clock() - before)
    engine.dispose()
    busy = {"calls": len(found.history.calls), "p50_ms": quantile(sorted(alone), 0.5) / 1e6}
    busy["flags"] = ", ".join(flag.kind.value for flag in found.flags)
    return {
        "load": (load_before, os.getloadavg()[0]),
        "latencies_ns": latencies,
        "calls": sizes,
        "flagged": flagged,
        "parts": parts,
        "busiest": busy,
    }


def split_time(engine: Engine, lookups: list[str], config: Any) -> dict[str, float]:
    """Mean ms of the repository query and of summarise + detect, on a sample."""
    query = domain = 0.0
    window = history_window(config.rules)
    with engine.connect() as connection:
        calls = SqlCallHistory(connection)
        for identifier in lookups:
            key = "number" if identifier.startswith("+") else "imei"
            start = time.perf_counter()
            found = calls.summaries(**{key: identifier}, since=NOW - window, until=NOW)
            middle = time.perf_counter()
            detect(summarise(found, NOW, config.tz), config.rules)
            query, domain = query + middle - start, domain + time.perf_counter() - middle
        connection.rollback()
    return {"query_ms": 1000 * query / len(lookups), "domain_ms": 1000 * domain / len(lookups)}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Percentiles overall and by calls in the window."""
    ordered = sorted(result["latencies_ns"])
    ms = {name: quantile(ordered, q) / 1e6 for name, q in (("p50", 0.5), ("p90", 0.9))}
    ms |= {"p99": quantile(ordered, 0.99) / 1e6, "max": ordered[-1] / 1e6}
    bands = []
    for low, high in BANDS:
        picked = sorted(
            ns
            for ns, n in zip(result["latencies_ns"], result["calls"], strict=True)
            if low <= n <= high
        )
        if picked:
            label = f"{low}" if low == high else f"{low}+" if high > 10**6 else f"{low}-{high}"
            bands.append(
                {
                    "calls": label,
                    "lookups": len(picked),
                    "p50": quantile(picked, 0.5) / 1e6,
                    "p99": quantile(picked, 0.99) / 1e6,
                }
            )
    return {"ms": ms, "bands": bands}


def query_plan(connection: Connection, number: str) -> str:
    """How the database runs the look-up's query for ``number`` and the last 30 days."""
    since = (NOW - timedelta(days=30) - EPOCH) // timedelta(microseconds=1)
    until = (NOW - EPOCH) // timedelta(microseconds=1)
    query = _BY_NUMBER.params(value=number, since=since, until=until)
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        return str(connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()[-1][-1])
    lines = [str(row[0]).strip() for row in connection.exec_driver_sql("EXPLAIN " + sql)]
    return " / ".join(line.split("  (cost")[0] for line in lines if "Cond" not in line)


def run(db: str, args: argparse.Namespace, data: Dataset, lookups: list[str]) -> dict[str, Any]:
    """Create, migrate, load, index, time and drop one database."""
    workdir = Path(args.workdir)
    if db == "sqlite":
        path = workdir / f"{PG_DATABASE}.db"
        for leftover in workdir.glob(f"{PG_DATABASE}.db*"):
            leftover.unlink()
        url = f"sqlite:///{path}"
    else:
        admin = create_engine_for(args.postgresql_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        url = make_url(args.postgresql_url).set(database=PG_DATABASE).render_as_string(False)
    try:
        migrate.upgrade(url)
        engine = create_engine_for(url)
        started = time.perf_counter()
        (load_sqlite if db == "sqlite" else load_postgresql)(engine, data, args.contacts)
        load_seconds = time.perf_counter() - started
        drift = migrate.check_drift(url, engine=engine)
        with engine.connect() as connection:
            if db == "sqlite":
                size = sum(p.stat().st_size for p in workdir.glob(f"{PG_DATABASE}.db*"))
            else:
                query = text("SELECT pg_database_size(current_database())")
                size = connection.execute(query).scalar_one()
            plan = query_plan(connection, data.numbers[int(np.argmax(data.counts))])
        engine.dispose()
        print(
            f"  loaded in {load_seconds:,.0f} s; {size / 2**30:.2f} GiB; plan: {plan}",
            file=sys.stderr,
        )
        wait_for_quiet(args.quiet_load, args.quiet_wait)
        label = f"look-ups on {db}"
        timing = time_lookups(
            url, lookups, args.warmup, label, data.numbers[0], cpu=args.clock == "cpu"
        )
        return {
            "db": db,
            "load_s": load_seconds,
            "size_bytes": size,
            "plan": str(plan),
            "drift": [str(d) for d in drift],
            **timing,
            **summary(timing),
        }
    finally:
        if db == "sqlite":
            for leftover in workdir.glob(f"{PG_DATABASE}.db*"):
                leftover.unlink()
        else:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            admin.dispose()


def report(results: list[dict[str, Any]], args: argparse.Namespace, data: Dataset) -> str:
    """The results as markdown tables."""
    counts = data.counts
    out = [
        f"Caller-history benchmark: {args.contacts:,} contacts, {args.numbers:,} numbers over "
        f"{args.days} days (Zipf {args.zipf}, at most {args.max_calls:,} calls a number; the "
        f"busiest {int(data.hot.sum()):,} numbers, with {args.hot_calls:,} calls or more, call "
        f"like faulty devices and nuisance callers), seed {args.seed}",
        f"calls per number: median {int(np.median(counts))}, 99th percentile "
        f"{int(np.percentile(counts, 99))}, max {int(counts.max()):,}; "
        f"{args.lookups:,} look-ups after {args.warmup:,} warm-up ones, "
        f"at {NOW:%Y-%m-%d %H:%M} UTC; a look-up lists at most {args.listed} calls of a "
        f"number before reading it in part; {args.clock}-clock times",
        f"{results[0]['pinning']}; {cpu_model()}; Python {platform.python_version()}",
        "",
        "| database | load | size | p50 | p90 | p99 | max | p99 < 5 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ms = r["ms"]
        verdict = "pass" if ms["p99"] < TARGET_P99_MS else "FAIL"
        out.append(
            f"| {r['db']} | {r['load_s'] / 60:.1f} min | {r['size_bytes'] / 2**30:.2f} GiB "
            f"| {ms['p50']:.2f} ms | {ms['p90']:.2f} ms | {ms['p99']:.2f} ms "
            f"| {ms['max']:.1f} ms | {verdict} |"
        )
    out += ["", "| database | calls in the window | look-ups | share | p50 | p99 |"]
    out.append("|---|---:|---:|---:|---:|---:|")
    for r in results:
        total = sum(band["lookups"] for band in r["bands"])
        for band in r["bands"]:
            out.append(
                f"| {r['db']} | {band['calls']} | {band['lookups']:,} "
                f"| {100 * band['lookups'] / total:.1f}% | {band['p50']:.2f} ms "
                f"| {band['p99']:.2f} ms |"
            )
    out += ["", "| database | query (mean) | summarise + detect (mean) | flagged | plan |"]
    out.append("|---|---:|---:|---:|---|")
    for r in results:
        parts = r["parts"]
        share = 100 * r["flagged"] / len(r["latencies_ns"])
        out.append(
            f"| {r['db']} | {parts['query_ms']:.2f} ms | {parts['domain_ms']:.2f} ms "
            f"| {share:.1f}% | {r['plan']} |"
        )
    for r in results:
        busy = r["busiest"]
        out.append(
            f"\n{r['db']}: the busiest number ({busy['calls']:,} calls in the window; flagged "
            f"{busy['flags'] or 'nothing'}) takes {busy['p50_ms']:.1f} ms (median of 50)."
        )
    loads = "; ".join(f"{r['db']} {r['load'][0]:.1f} to {r['load'][1]:.1f}" for r in results)
    out.append(f"\nLoad average (1 min) at the start and end of the timed look-ups: {loads}.")
    drift = [r["db"] for r in results if r["drift"]]
    out += ["", f"Schema after the load: {'DRIFT on ' + ', '.join(drift) if drift else 'as code'}"]
    out.append(f"Peak RSS: {max_rss_mb():,.0f} MB")
    return "\n".join(out)


def plot(results: list[dict[str, Any]], path: Path) -> str:
    """CDF of latency per database, and latency against calls in the window; returns a note."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed"
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    colours = {"sqlite": "#4C72B0", "postgresql": "#DD8452"}
    for r in results:
        ms = sorted(ns / 1e6 for ns in r["latencies_ns"])
        shares = [(i + 1) / len(ms) for i in range(len(ms))]
        p99 = r["ms"]["p99"]
        left.plot(ms, shares, color=colours[r["db"]], label=f"{r['db']}: p99 {p99:.2f} ms")
        xs = [max(n, 0.8) for n in r["calls"]]
        right.scatter(
            xs, [ns / 1e6 for ns in r["latencies_ns"]], s=4, alpha=0.3, color=colours[r["db"]]
        )
    left.axvline(TARGET_P99_MS, color="#C44E52", linestyle="--", label="5 ms (p99 target)")
    left.axhline(0.99, color="#999999", linestyle=":")
    left.set(xscale="log", xlabel="look-up time (ms, log scale)", ylabel="share of look-ups")
    left.set_title("caller-history look-up on call arrival")
    left.legend(fontsize=8, loc="lower right")
    right.axhline(TARGET_P99_MS, color="#C44E52", linestyle="--")
    right.set(xscale="log", yscale="log", xlabel="calls from the number in the window (log)")
    right.set(ylabel="look-up time (ms, log)", title="time against the caller's history")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot written to {path}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--contacts", type=int, default=10_000_000, help="rows (10,000,000)")
    parser.add_argument("--numbers", type=int, default=1_000_000, help="numbers (1,000,000)")
    parser.add_argument("--lookups", type=int, default=20_000, help="timed look-ups (20,000)")
    parser.add_argument("--warmup", type=int, default=2_000, help="warm-up look-ups (2,000)")
    parser.add_argument("--days", type=int, default=730, help="days the calls span (730)")
    parser.add_argument("--zipf", type=float, default=1.0, help="Zipf exponent (1.0)")
    parser.add_argument("--max-calls", type=int, default=5_000, help="cap per number")
    parser.add_argument("--hot-calls", type=int, default=1_000, help="a repeat caller from")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cpu", type=int, default=-1, help="a core to pin to (-1: none)")
    parser.add_argument("--workdir", default=tempfile.gettempdir(), help="for the SQLite file")
    parser.add_argument("--postgresql-url", default=PG_ADMIN_URL, help="an existing database")
    parser.add_argument("--quiet-load", type=float, default=1.5, help="wait for load below")
    parser.add_argument("--quiet-wait", type=int, default=0, help="for at most N seconds (0)")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time elapsed (wall), or the benchmark thread's CPU (cpu: leaves out time other "
        "processes held the core, and PostgreSQL's own work)",
    )
    parser.add_argument(
        "--listed",
        type=int,
        default=nuisance_history.MAX_LISTED,
        help=f"calls a look-up lists before it reads a busy number in part "
        f"({nuisance_history.MAX_LISTED}, the service's)",
    )
    parser.add_argument("--plot", type=Path, help="write the figure to this PNG")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if not 1 <= args.numbers <= args.contacts or min(args.lookups, args.days) < 1:
        parser.error("need 1 <= --numbers <= --contacts, and --lookups, --days at least 1")
    if args.max_calls * args.numbers < args.contacts or args.warmup < 0:
        parser.error("--max-calls times --numbers must reach --contacts; --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    nuisance_history.MAX_LISTED = args.listed
    pinning = pin_to_one_core(args.cpu) if args.cpu >= 0 else "not pinned"
    print(f"history benchmark: {pinning}", file=sys.stderr)
    print(f"  generating {args.contacts:,} calls for {args.numbers:,} numbers", file=sys.stderr)
    data = Dataset(args)
    lookups = sample_lookups(data, args.warmup + args.lookups, args.seed)
    gc.collect()
    gc.freeze()  # the generated data is the benchmark's, not the service's: keep it out of gc
    results = []
    for db in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        results.append(run(db, args, data, lookups) | {"pinning": pinning})
    print(report(results, args, data))
    if args.plot:
        print(plot(results, args.plot), file=sys.stderr)
    if args.json:
        slim = [{k: v for k, v in r.items() if k not in ("latencies_ns", "calls")} for r in results]
        args.json.write_text(json.dumps(slim, indent=2, default=str) + "\n")
    return 0 if all(r["ms"]["p99"] < TARGET_P99_MS for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
