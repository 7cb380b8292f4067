"""Telephony events over loopback HTTP: throughput, acknowledgement latency and durability.

For each database: a fresh one is migrated and given handlers and an integration token; the
real app runs under uvicorn in a separate process (one worker); about ``--events`` events of
a realistic stream (controlroom.services.call_stream) are sent from here, ``--concurrency``
at a time, the events of one call in order. Then the server is killed (SIGKILL) and the
database checked: every acknowledged event stored, the contacts the stream makes, the audit
chain intact. Last, the database's own rate of durable one-row commits is measured, to put
ours in proportion. Progress goes to stderr, results (markdown) to stdout.

    .venv/bin/python bench/telephony_bench.py --db both --plot docs/img/telephony-ack.png

``--client raw`` uses a minimal HTTP client instead of httpx (less CPU on a small machine);
``--max-seconds`` (480) stops sending after that long; ``--profile DIR`` runs the server under
cProfile, every thread, and writes ``DIR/server-<db>.prof`` (the server then gets SIGINT,
not SIGKILL).

Exit status: 0 when every database meets the targets (>= 500 events/s, p99 < 50 ms) and
passes every check, 1 when not, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from controlroom.adapters.db import migrate
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.tables import metadata
from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.contacts import Actor, Role
from controlroom.services import accounts
from controlroom.services.call_stream import CallStream, StreamEvent, calls_for_events, generate

try:
    from bench.triage_bench import Progress, cpu_model, quantile
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from triage_bench import (  # type: ignore[import-not-found,no-redef]
        Progress,
        cpu_model,
        quantile,
    )

TARGET_RATE = 500  # events per second, sustained
TARGET_P99_MS = 50.0
WINDOW_S = 10.0
AGENTS = tuple(f"bench-handler-{n}" for n in range(1, 5))
ADMIN = Actor("bench", Role.ADMIN)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_NAME = "controlroom_bench"
QUANTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999))
CREATES = ("call.offered", "call.answered", "call.ended")  # call events that make a contact
NOT_WRITTEN = ("users", "api_tokens", "audit_head")  # tables the events do not add rows to
Row = tuple[StreamEvent, float, float, int, Any]  # event, sent, answered, status, body


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_admin(url: str, statement: str) -> None:
    engine = create_engine_for(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(statement)
    engine.dispose()


def reference_loop_ms() -> float:
    """How long this machine takes, now, for a fixed pure-Python loop (the best of three, in
    ms): shared machines run at different speeds from one minute to the next, and this puts a
    run's figures beside the speed it ran at."""
    best = float("inf")
    for _ in range(3):
        began, total = time.perf_counter(), 0
        for i in range(2_000_000):
            total += i
        best = min(best, time.perf_counter() - began)
    return 1000 * best


def pg_setting(url: str, name: str) -> str:
    """A PostgreSQL server setting, as ``SHOW`` gives it."""
    engine = create_engine_for(url)
    with engine.connect() as connection:
        value = str(connection.exec_driver_sql(f"SHOW {name}").scalar_one())
    engine.dispose()
    return value


def fresh_database(kind: str, workdir: Path, admin: str) -> str:
    """A new, empty database: a SQLite file, or the PostgreSQL database ``controlroom_bench``."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    pg_admin(admin, f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    pg_admin(admin, f"CREATE DATABASE {PG_NAME}")
    return admin.rsplit("/", 1)[0] + f"/{PG_NAME}"


def prepare(url: str) -> str:
    """Migrate, add the handlers who answer, and make an integration token (via the services)."""
    migrate.upgrade(url)
    factory = uow_factory(Settings(database_url=url, demo=False), migrate_first=False)
    for name in AGENTS:
        accounts.add_user(factory(), ADMIN, name, Role.CALL_HANDLER)
    _, token = accounts.create_token(factory(), ADMIN, "telephony-bench", Role.INTEGRATION)
    return str(token)


def serve(port: int, profile: str | None) -> None:
    """The server process: the real app under uvicorn, one worker, optionally profiled (every
    thread: the endpoint runs in the thread pool)."""
    import cProfile
    import pstats
    import threading

    import uvicorn

    from controlroom.web.app import create_app
    from controlroom.web.serving import settle

    app, quiet = create_app(), "warning"
    settle(app)  # as `controlroom serve` does
    # "auto": uvloop and httptools, as `controlroom serve` picks them when installed
    config = uvicorn.Config(app, "127.0.0.1", port, loop="auto", http="auto", log_level=quiet)
    config.access_log = False
    profilers = [cProfile.Profile()]

    def start_thread_profiler(*_: Any) -> None:
        profilers.append(cProfile.Profile())
        profilers[-1].enable()

    if profile:
        threading.setprofile(start_thread_profiler)
        profilers[0].enable()
    # every worker process listens on the same port; the kernel spreads connections over them
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises the signal again once it has shut down
        pass
    finally:
        if profile:
            profilers[0].disable()
            pstats.Stats(*profilers).dump_stats(profile)


def start_servers(
    url: str, port: int, profile: str | None, workers: int
) -> list[subprocess.Popen[bytes]]:
    """``workers`` server processes listening on ``port``, once each answers."""
    env = os.environ | {"CONTROLROOM_DATABASE_URL": url, "CONTROLROOM_DEMO": "false"}
    processes = []
    for n in range(workers):
        command = [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)]
        out = f"{profile}.{n}" if profile and workers > 1 else profile
        processes.append(
            subprocess.Popen(command + (["--profile-out", out] if out else []), env=env)
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the new one answers when the others are busy
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            for process in processes:
                process.kill()
            raise SystemExit("the server did not start within 60 s")
    time.sleep(1.0 if workers > 1 else 0.0)  # the last one up is listening too
    return processes


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """User + system CPU time of every PostgreSQL server process so far (Linux; 0 elsewhere):
    the database shares the machine's cores with the service and the client."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams (``--client raw``): it uses a
    tenth of httpx's CPU, leaving more of a small machine to the server."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.idle = port, deque[tuple[asyncio.StreamReader, asyncio.StreamWriter]]()
        self.head = (
            f"POST /api/telephony/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        ).encode()

    async def post(self, payload: bytes) -> tuple[int, Any]:
        if self.idle:
            reader, writer = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
            status, length = int((await reader.readline()).split()[1]), 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                length = int(value) if name.strip().lower() == b"content-length" else length
            body = await reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            writer.close()
            raise ConnectionError(str(exc)) from exc
        self.idle.append((reader, writer))
        return status, json.loads(body)

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


class HttpxClient:
    """An async httpx client (``--client httpx``, the default)."""

    def __init__(self, port: int, token: str, concurrency: int) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        base = f"http://127.0.0.1:{port}"
        self.client = httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60)

    async def post(self, payload: bytes) -> tuple[int, Any]:
        try:
            response = await self.client.post("/api/telephony/events", content=payload)
        except httpx.TransportError as exc:
            raise ConnectionError(str(exc)) from exc
        return response.status_code, response.json()

    async def close(self) -> None:
        await self.client.aclose()


class Replay:
    """Sends events ``concurrency`` at a time, those of one call in order, and times each."""

    def __init__(
        self, client: RawClient | HttpxClient, args: argparse.Namespace, label: str, total: int
    ) -> None:
        self.client, self.slots = client, asyncio.Semaphore(args.concurrency)
        self.waiting: dict[int, deque[StreamEvent]] = {}  # calls with an event in flight
        self.rows: list[Row] = []
        self.progress, self.retries = Progress(label, total), 0
        self.deadline = time.perf_counter() + args.max_seconds

    async def send(self, event: StreamEvent) -> None:
        payload = json.dumps(event.body, separators=(",", ":")).encode()
        for attempt in range(6):  # the same event again: safe, the API is idempotent
            began = time.perf_counter()
            try:
                status, body = await self.client.post(payload)
            except ConnectionError:
                status, body = 0, None
            if 0 < status < 500:
                break
            self.retries += 1
            await asyncio.sleep(0.1 * 2**attempt)
        self.rows.append((event, began, time.perf_counter(), status, body))
        if len(self.rows) % 500 == 0:
            self.progress.update(len(self.rows))

    async def chain(self, event: StreamEvent) -> None:
        try:
            current: StreamEvent | None = event
            while current is not None:
                await self.send(current)
                queue = self.waiting[event.call]
                current = queue.popleft() if queue else None
            del self.waiting[event.call]
        finally:
            self.slots.release()

    async def run(self, events: tuple[StreamEvent, ...]) -> float:
        tasks: set[asyncio.Task[None]] = set()
        began = time.perf_counter()
        for event in events:
            await self.slots.acquire()
            if time.perf_counter() > self.deadline:
                self.slots.release()
                say(f"  the {self.deadline - began:,.0f}-second budget is spent: stopping")
                break
            queue = self.waiting.get(event.call)
            if queue is not None:  # the call is busy: go after its events
                queue.append(event)
                self.slots.release()
                continue
            self.waiting[event.call] = deque()
            task = asyncio.create_task(self.chain(event))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*tasks)
        self.progress.total = len(self.rows)
        self.progress.update(len(self.rows))
        return began


async def replay(
    port: int, token: str, events: tuple[StreamEvent, ...], args: argparse.Namespace, label: str
) -> tuple[float, list[Row], int]:
    """Send ``events``: when the replay began, a row per event sent, and the retries."""
    if args.client == "raw":
        client: RawClient | HttpxClient = RawClient(port, token)
    else:
        client = HttpxClient(port, token, args.concurrency)
    try:
        runner = Replay(client, args, label, len(events))
        began = await runner.run(events)
    finally:
        await client.close()
    return began, runner.rows, runner.retries


def stream_for(events: int, seed: int, run: str) -> CallStream:
    """About ``events`` events, placed so that the last one happened a minute ago."""
    calls, now = calls_for_events(events, seed=seed), datetime.now(UTC)
    span = generate(calls, seed=seed, start=now, agents=AGENTS, run=run).span
    start = now - timedelta(seconds=span + 60)
    return generate(calls, seed=seed, start=start, agents=AGENTS, run=run)


def contacts_made(rows: list[Row]) -> int:
    """Calls with an acknowledged event that makes a contact (all of them, unless stopped)."""
    made = {
        (event.id.rsplit("-", 1)[0], event.call)  # the stream's run, and the call in it
        for event, _, _, status, _ in rows
        if 200 <= status < 300
        and (event.type in CREATES or event.body.get("channel") == "emergency_sms")
    }
    return len(made)


def verify(url: str, acked: set[str], contacts: int, events: int) -> dict[str, Any]:
    """After the server was killed: acknowledged events stored, contacts, the audit chain."""
    engine = create_engine_for(url)
    size = "length(response::text)" if engine.dialect.name == "postgresql" else "length(response)"
    with engine.connect() as connection:
        stored = {
            row[0] for row in connection.execute(text("SELECT event_id FROM telephony_events"))
        }
        rows = {
            table.name: connection.execute(text(f"SELECT count(*) FROM {table.name}")).scalar_one()
            for table in metadata.sorted_tables
            if table.name not in NOT_WRITTEN
        }
        answer_bytes = connection.execute(
            text(f"SELECT avg({size}) FROM telephony_events WHERE event_id NOT LIKE '%#%'")
        ).scalar_one()
    engine.dispose()
    env = os.environ | {"CONTROLROOM_DATABASE_URL": url}
    audit = subprocess.run(
        [sys.executable, "-m", "controlroom", "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "missing": len(acked - stored),
        "contacts": rows["contacts"],
        "contacts_expected": contacts,
        "rows": rows,
        "rows_per_event": sum(rows.values()) / events,
        "answer_bytes": float(answer_bytes or 0),
        "audit_ok": audit.returncode == 0,
        "audit": (audit.stdout or audit.stderr).strip().split(";")[0],
    }


def commit_rate(kind: str, url: str, workdir: Path, size: int, n: int) -> list[dict[str, Any]]:
    """One-row INSERT + COMMIT transactions on one connection, with the app's durability."""
    payload = json.dumps({"pad": "x" * max(size - 12, 1)})
    results = []
    if kind == "sqlite":
        for synchronous in ("NORMAL", "FULL"):
            db = sqlite3.connect(workdir / f"commits-{synchronous}.db", isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={synchronous}")
            db.execute("CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
            progress, began = Progress(f"SQLite commits ({synchronous})", n), time.perf_counter()
            for i in range(n):
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO rows VALUES (?, ?)", (f"row-{i}", payload))
                db.execute("COMMIT")
                if i % 500 == 0 or i == n - 1:
                    progress.update(i + 1)
            rate = n / (time.perf_counter() - began)
            db.close()
            why = "the app's setting" if synchronous == "NORMAL" else "an fsync per commit"
            results.append({"setting": f"WAL, synchronous={synchronous} ({why})", "rate": rate})
        return results
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as pg:
        setting = pg.execute("SHOW synchronous_commit").fetchone()
        pg.execute("CREATE TABLE bench_commits (id text PRIMARY KEY, body json NOT NULL)")
        pg.commit()
        progress, began = Progress("PostgreSQL commits", n), time.perf_counter()
        for i in range(n):
            pg.execute("INSERT INTO bench_commits VALUES (%s, %s)", (f"row-{i}", payload))
            pg.commit()
            if i % 500 == 0 or i == n - 1:
                progress.update(i + 1)
        rate = n / (time.perf_counter() - began)
        pg.execute("DROP TABLE bench_commits")
        pg.commit()
    shown = setting[0] if setting else "?"
    return [{"setting": f"synchronous_commit={shown} (the default)", "rate": rate}]


def measure(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """One database, start to end."""
    workdir = Path(tempfile.mkdtemp(prefix="telephony-bench-"))
    say(f"{kind}: preparing a fresh database")
    url = fresh_database(kind, workdir, args.pg_admin)
    autovacuum = pg_setting(url, "autovacuum") if kind == "postgresql" else None
    if autovacuum == "off":
        say(
            "postgresql: autovacuum is off on this server: tables are never analysed, and "
            "plans chosen while they were empty are kept (turn it on, as it is by default)"
        )
    try:
        token = prepare(url)
        warm = stream_for(args.warmup, args.seed + 1, f"w{args.seed}")
        stream = stream_for(args.events, args.seed, f"b{args.seed}")
        port, profile = free_port(), args.profile and str(args.profile / f"server-{kind}.prof")
        say(
            f"{kind}: {len(stream.events):,} events of {len(stream.calls):,} calls to a server "
            f"on 127.0.0.1:{port}"
        )
        servers = start_servers(url, port, profile, args.workers)
        speed = [reference_loop_ms()]
        try:
            _, warm_rows, _ = asyncio.run(replay(port, token, warm.events, args, "warm-up"))
            cpu = sum(cpu_seconds(s.pid) for s in servers), time.process_time()
            database_cpu = database_cpu_seconds()
            began, rows, retries = asyncio.run(
                replay(port, token, stream.events, args, f"{kind} replay")
            )
            cpu = sum(cpu_seconds(s.pid) for s in servers) - cpu[0], time.process_time() - cpu[1]
            database_cpu = database_cpu_seconds() - database_cpu
            speed.append(reference_loop_ms())
        finally:
            for server in servers:
                server.send_signal(signal.SIGINT if profile else signal.SIGKILL)
            for server in servers:
                server.wait(timeout=120)
        say(f"{kind}: checking the database after {'SIGINT' if profile else 'SIGKILL'}")
        every = warm_rows + rows
        acked = {event.id for event, _, _, status, _ in every if 200 <= status < 300}
        checks = verify(url, acked, contacts_made(every), len(every))
        commits = commit_rate(kind, url, workdir, round(checks["answer_bytes"]), args.commits)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if kind == "postgresql":
            pg_admin(args.pg_admin, f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    latencies = sorted(round((end - start) * 1e9) for _, start, end, _, _ in rows)  # ns
    ends = [end - began for _, _, end, _, _ in rows]
    seconds, windows = max(ends), Counter(int(end // WINDOW_S) for end in ends)
    full = int(seconds // WINDOW_S)  # the last, partial window is left out
    first: dict[str, Any] = {}
    for event, _, _, status, body in rows:
        if not event.duplicate:
            first[event.id] = (status, body)
    return {
        "db": kind,
        "events": len(rows),
        "planned": len(stream.events),
        "calls": len({event.call for event, *_ in rows}),
        "seconds": seconds,
        "throughput": len(rows) / seconds,
        "windows": [windows[i] / WINDOW_S for i in range(full)] or [len(rows) / seconds],
        "statuses": dict(Counter(status for _, _, _, status, _ in rows)),
        "duplicates": sum(event.duplicate for event, *_ in rows),
        "duplicates_same": sum(
            first.get(event.id) == (status, body)
            for event, _, _, status, body in rows
            if event.duplicate
        ),
        "retries": retries,
        "cpu_ms": {
            "server": 1000 * cpu[0] / len(rows),
            "client": 1000 * cpu[1] / len(rows),
            "database": 1000 * database_cpu / len(rows) if kind == "postgresql" else None,
        },
        "latency_ms": {name: quantile(latencies, q) / 1e6 for name, q in QUANTILES}
        | {"max": latencies[-1] / 1e6, "mean": sum(latencies) / len(latencies) / 1e6},
        "latencies": latencies,
        "checks": checks,
        "commits": commits,
        "autovacuum": autovacuum,
        "reference_loop_ms": speed,
    }


def met(run: dict[str, Any]) -> bool:
    checks = run["checks"]
    return bool(
        run["throughput"] >= TARGET_RATE
        and run["latency_ms"]["p99"] < TARGET_P99_MS
        and checks["missing"] == 0
        and checks["contacts"] == checks["contacts_expected"]
        and checks["audit_ok"]
    )


def cells(run: dict[str, Any]) -> list[tuple[str, str, str]]:
    """One database's results: (measure, result, target) rows."""
    lat, chk, cpu, windows = run["latency_ms"], run["checks"], run["cpu_ms"], sorted(run["windows"])

    def mark(ok: bool) -> str:
        return " pass" if ok else " FAIL"

    rate = f"{run['throughput']:,.0f}/s{mark(run['throughput'] >= TARGET_RATE)}"
    spread = f"{windows[0]:,.0f} / {windows[len(windows) // 2]:,.0f} / {windows[-1]:,.0f}"
    rows = [
        ("events sent", f"{run['events']:,} of {run['planned']:,} ({run['calls']:,} calls)", ""),
        ("run time", f"{run['seconds']:,.0f} s", ""),
        ("throughput, whole run", rate, f"≥ {TARGET_RATE}/s"),
        ("throughput per 10 s: min / median / max", spread, ""),
    ]
    for name in (*(q for q, _ in QUANTILES), "max", "mean"):
        p99 = name == "p99"
        verdict = mark(lat[name] < TARGET_P99_MS) if p99 else ""
        rows.append((f"ack latency {name}", f"{lat[name]:,.1f} ms{verdict}", "< 50 ms" * p99))
    statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(run["statuses"].items()))
    contacts = f"{chk['contacts']:,} ({chk['contacts_expected']:,})"
    rows += [
        ("answers (status: count)", statuses, ""),
        ("duplicates answered identically", f"{run['duplicates_same']} of {run['duplicates']}", ""),
        ("retries (connection errors, 5xx)", f"{run['retries']:,}", ""),
        ("CPU per event: server / client", f"{cpu['server']:.2f} / {cpu['client']:.2f} ms", ""),
        ("CPU per event: PostgreSQL's processes", _ms(cpu.get("database")), ""),
        ("PostgreSQL autovacuum", run.get("autovacuum") or "n/a", "on (the default)"),
        (
            "machine speed: reference loop before / after (lower is faster)",
            " / ".join(f"{ms:.0f} ms" for ms in run["reference_loop_ms"]),
            "",
        ),
        ("acked events missing after SIGKILL", f"{chk['missing']}{mark(not chk['missing'])}", "0"),
        ("contacts (expected)", contacts + mark(chk["contacts"] == chk["contacts_expected"]), ""),
        ("`controlroom audit verify`", f"{chk['audit']}{mark(chk['audit_ok'])}", ""),
        ("rows inserted per event (all tables)", f"{chk['rows_per_event']:.2f}", ""),
    ]
    return rows


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} ms"


def _workers(n: int) -> str:
    return "one uvicorn worker" if n == 1 else f"{n} uvicorn worker processes on one port"


def report(runs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """The results as markdown tables."""
    out = [
        f"Telephony benchmark: {args.client} client, {args.concurrency} requests at a time over "
        f"loopback HTTP; {_workers(args.workers)} (uvloop, httptools); {cpu_model()}, "
        f"{os.cpu_count()} cores; Python {platform.python_version()}",
        "",
        "| measure | " + " | ".join(run["db"] for run in runs) + " | target |",
        "|---|" + "---:|" * len(runs) + "---|",
    ]
    table = [cells(run) for run in runs]
    for i, (name, _, target) in enumerate(table[0]):
        out.append(f"| {name} | " + " | ".join(rows[i][1] for rows in table) + f" | {target} |")
    out += [
        "",
        "| database | one connection: one-row INSERT + COMMIT | commits/s | our events/s "
        "as a share |",
        "|---|---|---:|---:|",
    ]
    for run in runs:
        size = f"{args.commits:,} commits of {run['checks']['answer_bytes']:.0f}-byte JSON"
        for commit in run["commits"]:
            share = 100 * run["throughput"] / commit["rate"]
            out.append(
                f"| {run['db']} | {commit['setting']}, {size} | {commit['rate']:,.0f} "
                f"| {share:.1f}% |"
            )
    return "\n".join(out)


def plot(runs: list[dict[str, Any]], path: Path) -> str:
    """Throughput per 10-s window and the acknowledgement-latency CDF, for each database."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed"
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6))
    for run, colour in zip(runs, ("#4C72B0", "#DD8452"), strict=False):
        xs = [WINDOW_S * (i + 0.5) for i in range(len(run["windows"]))]
        label = f"{run['db']}: {run['throughput']:,.0f}/s overall"
        left.plot(xs, run["windows"], marker=".", color=colour, label=label)
        ms = [ns / 1e6 for ns in run["latencies"]]
        label = f"{run['db']}: p99 {run['latency_ms']['p99']:,.1f} ms"
        right.plot(ms, [(i + 1) / len(ms) for i in range(len(ms))], color=colour, label=label)
    left.axhline(TARGET_RATE, color="#C44E52", linestyle="--", label=f"target {TARGET_RATE}/s")
    left.set(
        xlabel="seconds into the run",
        ylabel="events acknowledged per second",
        ylim=(0, None),
        title=f"throughput per {WINDOW_S:g}-s window",
    )
    right.axvline(TARGET_P99_MS, color="#C44E52", linestyle="--", label="50 ms (p99 target)")
    right.axhline(0.99, color="#999999", linestyle=":", label="99%")
    right.set(
        xscale="log",
        xlabel="acknowledgement latency (ms, log scale)",
        ylim=(0, 1.0),
        ylabel="share of events at or below",
        title="acknowledgement latency (CDF)",
    )
    for axes in (left, right):
        axes.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"plot written to {path}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--db", choices=("sqlite", "postgresql", "both"), default="both")
    add("--events", type=int, default=100_000, help="events to send (100,000)")
    add("--concurrency", type=int, default=16, help="requests at a time (16)")
    add("--client", choices=("httpx", "raw"), default="httpx", help="the HTTP client (httpx)")
    add("--max-seconds", type=float, default=480, help="stop sending after this long (480)")
    add("--seed", type=int, default=1, help="the stream's seed (1)")
    add("--warmup", type=int, default=1_000, help="events sent first, not timed (1,000)")
    add("--commits", type=int, default=5_000, help="one-row commits timed (5,000)")
    add("--pg-admin", default=PG_ADMIN, help="PostgreSQL URL to create the database from")
    add("--plot", type=Path, help="write the figure to this PNG")
    add("--json", type=Path, help="write the results to this JSON file")
    add("--profile", type=Path, help="profile the server (cProfile) into this directory")
    add("--workers", type=int, default=1, help="server processes on the one port (1)")
    add("--serve", type=int, help=argparse.SUPPRESS)
    add("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.events, args.concurrency, args.commits, args.warmup, args.max_seconds) < 1:
        parser.error("--events, --concurrency, --commits, --warmup, --max-seconds: at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve, args.profile_out)
        return 0
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    runs = [measure(kind, args) for kind in kinds]
    print(report(runs, args))
    if args.plot:
        say(plot(runs, args.plot))
    if args.json:
        plain = [{k: v for k, v in run.items() if k != "latencies"} for run in runs]
        args.json.write_text(json.dumps(plain, indent=2) + "\n")
    ok = all(met(run) for run in runs)
    print(f"\nTargets and checks: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
