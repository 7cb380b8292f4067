"""Live chat delivery across two app instances sharing Redis.

Starts two uvicorn processes of the real application on loopback, both on one database and one
Redis (a fresh key prefix per run), then opens ``--chats`` visitor chats and ``--operators``
operator sockets. Visitor *i* talks to instance *i* mod 2 and its operator to the other one, so
every message crosses between instances through Redis. After every chat is taken, each side
sends ``--rounds`` messages, one every ``--interval`` seconds (5 by default: people type); the
delivery time of each message is the time from the sender's ``send`` to the other side
receiving it (one clock: both sides run in this process). Every chat's messages are then
checked on both sides: each exactly once, in ``seq`` order, none missing.

    .venv/bin/python bench/chat_bench.py --chats 1000 --operators 50 --rounds 6 --interval 5

Each visitor has its own address (``X-Forwarded-For``, which the instances trust from
loopback), as behind a proxy; the instances raise the public pages' global limits, since this
measures delivery, not flood control. Progress goes to stderr, results (markdown) to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import redis
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
ADMIN_NAME = "cli:chat-bench"


def app_factory() -> Any:
    """The application as the benchmark runs it (``uvicorn --factory``): Redis under the run's
    prefix, forms accepted at once, the public pages' global limits raised."""
    from controlroom.adapters.chat_store import RedisChatStore
    from controlroom.adapters.pubsub import RedisBroker
    from controlroom.config import load_settings
    from controlroom.web.app import create_app
    from controlroom.web.open311.limits import Rate
    from controlroom.web.public.guard import Limits

    settings = load_settings()
    prefix = os.environ["CHAT_BENCH_PREFIX"]
    if os.environ.get("CHAT_BENCH_PROFILE"):  # a profile of the instance, written on exit
        import atexit
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        out = f"{os.environ['CHAT_BENCH_PROFILE']}-{os.getpid()}.prof"
        atexit.register(lambda: profiler.dump_stats(out))

        def dump() -> None:
            while True:
                time.sleep(5)
                profiler.dump_stats(out)

        import threading

        threading.Thread(target=dump, daemon=True).start()
    assert settings.redis_url
    app = create_app(settings, broker=RedisBroker(settings.redis_url, prefix=prefix))
    app.state.chats = replace(
        app.state.chats, store=RedisChatStore(settings.redis_url, prefix=prefix)
    )
    guard = app.state.public.guard
    guard.min_age = 0
    high = Rate(1_000_000, 100_000)
    guard.limits = Limits(posts_overall=high, chats_per_client=high, chat_messages_overall=high)
    return app


def progress(text: str) -> None:
    print(
        f"\r{text}".ljust(78), end="" if sys.stderr.isatty() else "\n", file=sys.stderr, flush=True
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(database_url: str) -> str:
    """Migrate the database and make an operator's token."""
    from controlroom import bootstrap
    from controlroom.config import Settings
    from controlroom.domain.contacts import Actor, Role
    from controlroom.services import accounts

    settings = Settings(database_url=database_url, demo=False)
    factory = bootstrap.uow_factory(settings)
    admin = Actor(ADMIN_NAME, Role.ADMIN)
    name = f"bench-{secrets.token_hex(3)}"
    accounts.add_user(factory(), admin, name, Role.CALL_HANDLER.value)
    return accounts.create_token(factory(), admin, name, Role.CALL_HANDLER.value)[1]


def _start_instance(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.chat_bench:app_factory",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--proxy-headers",
        "--forwarded-allow-ips",
        "127.0.0.1",
        "--ws",
        "websockets-sansio",
        "--ws-per-message-deflate",
        "false",
        "--timeout-graceful-shutdown",
        "2",
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


@dataclass
class Side:
    """One end of one chat: what it received, by seq, and when."""

    received: dict[int, dict[str, Any]] = field(default_factory=dict)
    repeats: int = 0
    out_of_order: int = 0
    last: int = 0

    def take(self, frame: dict[str, Any]) -> None:
        seq = frame["seq"]
        if seq in self.received:
            self.repeats += 1
            return
        if seq != self.last + 1:
            self.out_of_order += 1
        self.last = max(self.last, seq)
        self.received[seq] = frame


@dataclass
class Run:
    sent_at: dict[str, float] = field(default_factory=dict)  # client_id -> perf_counter
    latencies: list[float] = field(default_factory=list)
    visitor: dict[str, Side] = field(default_factory=dict)  # chat -> side
    operator: dict[str, Side] = field(default_factory=dict)
    expected: dict[str, set[str]] = field(default_factory=dict)  # chat -> client ids sent
    errors: list[str] = field(default_factory=list)
    senders_done: int = 0
    interval: float = 1.0
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def arrived(self, side: Side, frame: dict[str, Any], mine: str) -> None:
        side.take(frame)
        sent = self.sent_at.get(frame.get("client_id", ""))
        if sent is not None and frame.get("from") != mine:
            self.latencies.append(time.perf_counter() - sent)


async def _reader(
    ws: ClientConnection,
    run: Run,
    chat_of: dict[str, str],
    mine: str,
    joined: dict[str, asyncio.Event] | None = None,
) -> None:
    sides = run.visitor if mine == "visitor" else run.operator
    async for raw in ws:
        frame = json.loads(raw)
        kind = frame.get("type")
        if kind == "message":
            chat = frame.get("chat") or chat_of.get("chat", "")
            run.arrived(sides.setdefault(chat, Side()), frame, mine)
        elif kind == "joined" and joined is not None and frame["chat"] in joined:
            joined[frame["chat"]].set()
        elif kind == "error":
            run.errors.append(f"{mine}: {frame.get('message')}")
            if joined is not None and frame.get("chat") in joined:
                joined[frame["chat"]].set()


async def _visitor(
    i: int,
    base: str,
    token: str,
    run: Run,
    rounds: int,
    start_gate: asyncio.Event,
    chat_ids: list[str],
    ready: asyncio.Event,
    done: asyncio.Semaphore,
    gate: asyncio.Semaphore,
) -> None:
    ip = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
    async with connect(
        base.replace("http", "ws") + "/public/chat/ws",
        additional_headers={"X-Forwarded-For": ip},
        max_queue=1024,
        compression=None,
    ) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "start",
                    "form_token": token,
                    "client_id": f"v{i:05d}-0000",
                    "text": f"Bench chat {i}: I lost my umbrella on the bus",
                }
            )
        )
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == "joined":
                break
            if frame.get("type") == "error":
                raise RuntimeError(frame.get("message"))
        chat = frame["chat"]
        chat_ids.append(chat)
        run.expected[chat] = set()
        holder = {"chat": chat}
        reader = asyncio.create_task(_reader(ws, run, holder, "visitor"))
        gate.release()
        done.release()
        await start_gate.wait()
        await ready.wait()
        await asyncio.sleep(random.random() * run.interval)
        for n in range(rounds):
            client_id = f"v{i:05d}-{n + 1:04d}"
            run.expected[chat].add(client_id)
            run.sent_at[client_id] = time.perf_counter()
            await ws.send(
                json.dumps(
                    {
                        "type": "message",
                        "client_id": client_id,
                        "text": f"visitor message {n} in chat {i}",
                    }
                )
            )
            await asyncio.sleep(run.interval)
        run.senders_done += 1
        await run.finished.wait()  # until the last replies have arrived
        reader.cancel()


async def _operator(
    k: int,
    base: str,
    api_token: str,
    chats: list[str],
    run: Run,
    rounds: int,
    ready: asyncio.Event,
    taken: list[int],
) -> None:
    async with connect(
        base.replace("http", "ws") + "/api/chat/ws", max_queue=4096, compression=None
    ) as ws:
        await ws.send(json.dumps({"type": "auth", "token": api_token}))
        joined = {chat: asyncio.Event() for chat in chats}
        reader = asyncio.create_task(_reader(ws, run, {}, "operator", joined))
        for chat in chats:
            await ws.send(json.dumps({"type": "take", "chat": chat}))
            await joined[chat].wait()
            taken[0] += 1
        await ready.wait()
        await asyncio.sleep(random.random() * run.interval)

        async def talk(chat: str, j: int) -> None:
            await asyncio.sleep(random.random() * run.interval)
            for n in range(rounds):
                client_id = f"o{k:03d}-{j:03d}-{n + 1:04d}"
                run.expected[chat].add(client_id)
                run.sent_at[client_id] = time.perf_counter()
                await ws.send(
                    json.dumps(
                        {
                            "type": "message",
                            "chat": chat,
                            "client_id": client_id,
                            "text": f"operator reply {n}",
                        }
                    )
                )
                await asyncio.sleep(run.interval)

        await asyncio.gather(*(talk(chat, j) for j, chat in enumerate(chats)))
        run.senders_done += 1
        await run.finished.wait()
        reader.cancel()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _check(run: Run) -> tuple[int, int, int]:
    """Messages missing, repeated, and out of order over both sides of every chat."""
    missing = repeats = disorder = 0
    for chat, client_ids in run.expected.items():
        for side in (run.visitor.get(chat, Side()), run.operator.get(chat, Side())):
            got = {frame["client_id"] for frame in side.received.values()}
            missing += len(client_ids - got)
            repeats += side.repeats
            disorder += side.out_of_order
            seqs = sorted(side.received)
            if seqs and seqs != list(range(seqs[0], seqs[-1] + 1)):
                missing += 1
    return missing, repeats, disorder


async def _bench(args: argparse.Namespace, bases: list[str], api_token: str) -> Run:
    run = Run(interval=args.interval)
    async with httpx.AsyncClient() as http:
        tokens = []
        for base in bases:
            page = (await http.get(base + "/public/chat")).text
            found = re.search(r'data-form-token="([^"]+)"', page)
            assert found, page[:500]
            tokens.append(found.group(1))
    start_gate, ready = asyncio.Event(), asyncio.Event()
    started = asyncio.Semaphore(0)
    chat_ids: list[list[str]] = [[] for _ in range(args.chats)]
    visitors = []
    t0 = time.perf_counter()
    gate = asyncio.Semaphore(args.connect_at_once)

    async def one(i: int) -> None:
        await gate.acquire()
        await _visitor(
            i,
            bases[i % 2],
            tokens[i % 2],
            run,
            args.rounds,
            start_gate,
            chat_ids[i],
            ready,
            started,
            gate,
        )

    for i in range(args.chats):
        visitors.append(asyncio.create_task(one(i)))
    for n in range(args.chats):
        await started.acquire()
        if n % max(1, args.chats // 10) == 0:
            progress(f"chats started: {n + 1}/{args.chats}")
    progress(f"chats started: {args.chats} in {time.perf_counter() - t0:.1f} s")
    start_gate.set()
    taken = [0]
    operators = []
    half = max(1, args.operators // 2)
    for parity, group in ((0, range(half)), (1, range(half, args.operators))):
        # visitors of instance ``parity``; their operators on the other instance
        mine_all = [chat_ids[i][0] for i in range(parity, args.chats, 2)]
        for place, k in enumerate(group):
            mine = mine_all[place :: len(group)]
            operators.append(
                asyncio.create_task(
                    _operator(k, bases[1 - parity], api_token, mine, run, args.rounds, ready, taken)
                )
            )
    t1 = time.perf_counter()
    while taken[0] < args.chats:
        await asyncio.sleep(0.5)
        progress(f"chats taken: {taken[0]}/{args.chats}")
        if any(task.done() and task.exception() for task in operators):
            raise next(t.exception() for t in operators if t.done() and t.exception())  # type: ignore[misc]
    progress(f"chats taken: {args.chats} in {time.perf_counter() - t1:.1f} s; talking")
    ready.set()
    t2 = time.perf_counter()
    everyone = asyncio.gather(*visitors, *operators)
    senders = len(visitors) + len(operators)
    while run.senders_done < senders and not everyone.done():
        await asyncio.sleep(1)
        progress(
            f"talking: {time.perf_counter() - t2:.0f} s, {len(run.latencies):,} messages delivered"
        )
    expected = sum(len(ids) for ids in run.expected.values())
    deadline = time.perf_counter() + 30
    while len(run.latencies) < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.5)  # the last replies on their way
    progress(f"done: {len(run.latencies):,} of {expected:,} messages delivered")
    run.finished.set()
    await everyone
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6, help="messages each side sends")
    parser.add_argument(
        "--interval", type=float, default=5.0, help="seconds between one side's messages"
    )
    parser.add_argument("--connect-at-once", type=int, default=100)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--database-url", default=None, help="default: a new SQLite file in a temporary folder"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the instances on the way out
    folder = Path(tempfile.mkdtemp(prefix="chat-bench-"))
    database_url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    api_token = _prepare(database_url)
    env = dict(
        os.environ,
        CONTROLROOM_DATABASE_URL=database_url,
        CONTROLROOM_REDIS_URL=args.redis_url,
        CONTROLROOM_DEMO="false",
        CONTROLROOM_PUBLIC_SECRET=secrets.token_hex(32),
        CHAT_BENCH_PREFIX=prefix,
        PYTHONPATH=str(ROOT),
    )
    ports = [_free_port(), _free_port()]
    instances = [
        _start_instance(port, env, folder / f"instance-{n}.log") for n, port in enumerate(ports)
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{base} did not start; see {folder}")
                time.sleep(0.2)
        progress("two instances up")
        try:
            import uvloop
        except ImportError:  # pragma: no cover - Windows
            run = asyncio.run(_bench(args, bases, api_token))
        else:
            run = uvloop.run(_bench(args, bases, api_token))
    finally:
        for process in instances:
            process.terminate()
        for process in instances:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        client = redis.Redis.from_url(args.redis_url)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    print(file=sys.stderr)
    _report(args, run, database_url)
    return 0


def _report(args: argparse.Namespace, run: Run, database_url: str) -> None:
    missing, repeats, disorder = _check(run)
    ms = [value * 1000 for value in run.latencies]
    expected = sum(len(ids) for ids in run.expected.values())
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    server = redis.Redis.from_url(args.redis_url).info("server").get("redis_version", "?")
    print(
        f"Machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"Redis {server}; database {database_url.split(':', 1)[0]}.\n"
    )
    rate = 2 * args.chats / args.interval
    print(
        f"{args.chats:,} chats across two instances, {args.operators} operators, "
        f"{args.rounds} messages each way per chat, one every {args.interval:g} s from each "
        f"side (about {rate:,.0f} messages a second in all).\n"
    )
    print("| messages sent | delivered | p50 ms | p90 ms | p99 ms | max ms | mean ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {expected:,} | {len(ms):,} | {_percentile(ms, 50):.1f} | "
        f"{_percentile(ms, 90):.1f} | {_percentile(ms, 99):.1f} | {max(ms):.1f} | "
        f"{statistics.fmean(ms):.1f} |\n"
    )
    print("| lost | duplicated | out of order | errors |")
    print("|---:|---:|---:|---:|")
    print(f"| {missing} | {repeats} | {disorder} | {len(run.errors)} |")
    for error in run.errors[:5]:
        print(f"\nerror: {error}")


if __name__ == "__main__":
    sys.exit(main())
