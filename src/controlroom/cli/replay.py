"""``controlroom replay``: send a realistic stream of telephony events to a running service.

The stream comes from :mod:`controlroom.services.call_stream`. Events of one call are sent in
order, one after another; different calls go in parallel (``--concurrency``). A connection
error or a 5xx is retried with the same event (safe: the API is idempotent). Progress goes to
stderr, the summary to stdout (``--json``: one JSON object). Only the standard library talks
HTTP.
"""

from __future__ import annotations

import http.client
import json
import secrets
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import click
from click.exceptions import Exit

from controlroom.cli.output import EXIT_BAD_INPUT, EXIT_FOUND_PROBLEMS, EXIT_OK, fail
from controlroom.cli.replay_report import percentile, summary, summary_data
from controlroom.services.call_stream import StreamEvent, generate

PATH = "/api/telephony/events"
_FATAL = (401, 403)


@dataclass
class Tally:
    """What has happened so far; updated by the sending threads under ``lock``."""

    planned: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    acked: int = 0
    errors: int = 0
    retries: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_type: dict[str, Counter[str]] = field(default_factory=dict)
    results: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)
    duplicates: int = 0
    same_answer: int = 0
    contacts: set[str] = field(default_factory=set)
    problems: Counter[str] = field(default_factory=Counter)
    fatal: str | None = None

    def record(self, event: StreamEvent, status: int, body: Any, seconds: float) -> None:
        """One delivery answered (``status`` 0: never answered)."""
        good = 200 <= status < 300
        with self.lock:
            self.sent += 1
            self.statuses[status] += 1
            row = self.by_type.setdefault(event.type, Counter())
            row["sent"] += 1
            row["2xx" if good else "errors"] += 1
            if not good:
                self.errors += 1
                self.problems[_describe(status, body)] += 1
                return
            self.acked += 1
            self.latencies.append(seconds)
            if event.duplicate:
                self.duplicates += 1
                self.same_answer += self.answers.get(event.id) == (status, body)
                return
            self.answers[event.id] = (status, body)
            result = str(body.get("result")) if isinstance(body, dict) else "?"
            self.results[result] += 1
            if result == "created":
                self.contacts.add(str(body.get("contact_id")))


def _describe(status: int, body: Any) -> str:
    if status == 0:
        return f"no answer: {body}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        field_name = f"{error.get('field')}: " if error.get("field") else ""
        return f"{status} {error.get('code')}: {field_name}{error.get('message')}"
    return f"{status}: {str(body)[:200]}"


class Sender:
    """Posts events over one keep-alive connection per thread, retrying what may be retried."""

    def __init__(self, url: str, token: str, retries: int, timeout: float, tally: Tally):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
        self.parts, self.path = parts, parts.path.rstrip("/") + PATH
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.retries, self.timeout, self.tally = retries, timeout, tally
        self.local = threading.local()
        self.stop = threading.Event()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self.local, "connection", None)
        if connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.parts.scheme == "https"
                else http.client.HTTPConnection
            )
            connection = kind(self.parts.hostname or "", self.parts.port, timeout=self.timeout)
            self.local.connection = connection
        return connection

    def _post(self, payload: bytes) -> tuple[int, Any]:
        connection = self._connection()
        try:
            connection.request("POST", self.path, payload, self.headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            self.local.connection = None
            raise
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data.decode("utf-8", "replace")

    def send(self, event: StreamEvent) -> None:
        """Send one event until it is answered (or the retries run out), and record it."""
        payload = json.dumps(event.body, separators=(",", ":")).encode()
        status, body, took = 0, "", 0.0
        for attempt in range(self.retries + 1):
            if attempt:
                with self.tally.lock:
                    self.tally.retries += 1
                if self.stop.wait(min(0.2 * 2 ** (attempt - 1), 5.0)):
                    break
            began = time.perf_counter()
            try:
                status, body = self._post(payload)
            except (OSError, http.client.HTTPException) as exc:
                status, body = 0, f"{type(exc).__name__}: {exc}"
                continue
            took = time.perf_counter() - began
            if status < 500:
                break
        self.tally.record(event, status, body, took)
        if status in _FATAL or status == 0:  # a refused token, or the service is down
            with self.tally.lock:
                self.tally.fatal = self.tally.fatal or _describe(status, body)
            self.stop.set()

    def check(self) -> str | None:
        """Why the service cannot be used (``GET /healthz`` fails), or None."""
        try:
            connection = self._connection()
            connection.request("GET", self.path.removesuffix(PATH) + "/healthz")
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            return f"cannot reach {self.parts.geturl()}: {exc}"
        finally:
            self._connection().close()
            self.local.connection = None
        if response.status != 200:
            return f"{self.parts.geturl()}/healthz answered {response.status}: is it controlroom?"
        return None


class Dispatcher:
    """Sends a stream's events in order per call, at most ``concurrency`` at a time."""

    def __init__(self, sender: Sender, concurrency: int) -> None:
        self.sender, self.concurrency = sender, concurrency
        self.slots = threading.Semaphore(concurrency)
        self.lock = threading.Lock()
        self.waiting: dict[int, deque[StreamEvent]] = {}  # calls with an event in flight

    def _chain(self, event: StreamEvent) -> None:
        try:
            current: StreamEvent | None = event
            while current is not None and not self.sender.stop.is_set():
                self.sender.send(current)
                with self.lock:
                    queue = self.waiting[current.call]
                    current = queue.popleft() if queue else None
                    if current is None:
                        del self.waiting[event.call]
        finally:
            with self.lock:
                self.waiting.pop(event.call, None)
            self.slots.release()

    def run(
        self, events: tuple[StreamEvent, ...], pace: Callable[[int, StreamEvent], float]
    ) -> None:
        """Send ``events``; ``pace(i, event)`` says how long to wait before the i-th. On
        Ctrl-C, sends nothing more, waits for the events in flight and raises it again."""
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="replay")
        try:
            for index, event in enumerate(events):
                delay = pace(index, event)
                if delay > 0 and self.sender.stop.wait(delay):
                    break
                self.slots.acquire()
                if self.sender.stop.is_set():
                    self.slots.release()
                    break
                with self.lock:
                    queue = self.waiting.get(event.call)
                    if queue is not None:  # the call is busy: go after its events
                        queue.append(event)
                        self.slots.release()
                        continue
                    self.waiting[event.call] = deque()
                pool.submit(self._chain, event)
            pool.shutdown(wait=True)
        except KeyboardInterrupt:
            self.sender.stop.set()
            print("\ninterrupted: waiting for the events in flight", file=sys.stderr, flush=True)
            pool.shutdown(wait=True, cancel_futures=True)
            raise


class Progress(threading.Thread):
    """A live line on a terminal (every 0.2 s), else a line every 5 s."""

    def __init__(self, tally: Tally) -> None:
        super().__init__(daemon=True)
        self.tally, self.done = tally, threading.Event()
        self.tty = sys.stderr.isatty()
        self.samples: deque[tuple[float, int]] = deque(maxlen=15)
        self.began = time.perf_counter()

    def line(self) -> str:
        tally, now = self.tally, time.perf_counter()
        with tally.lock:
            acked, sent, errors = tally.acked, tally.sent, tally.errors
            recent = sorted(tally.latencies[-2000:])
        self.samples.append((now, acked))
        then, before = self.samples[0] if len(self.samples) > 1 else (self.began, 0)
        rate = (acked - before) / (now - then) if now > then else 0.0
        return (
            f"  events {sent:,}/{tally.planned:,}  acks {acked:,}  errors {errors:,}  "
            f"{rate:,.1f}/s  p50 {1000 * percentile(recent, 0.5):.1f} ms  "
            f"p99 {1000 * percentile(recent, 0.99):.1f} ms"
        )

    def run(self) -> None:
        every = 0.2 if self.tty else 5.0
        while not self.done.wait(every):
            text = self.line()
            print(f"\r{text:<96}" if self.tty else text, end="", file=sys.stderr, flush=True)
            if not self.tty:
                print(file=sys.stderr, flush=True)

    def finish(self) -> None:
        self.done.set()
        self.join()
        print(("\r" if self.tty else "") + f"{self.line():<96}", file=sys.stderr, flush=True)


@click.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The service.")
@click.option(
    "--token", envvar="CONTROLROOM_TOKEN", help="An integration token [CONTROLROOM_TOKEN]."
)
@click.option("--calls", default=200, show_default=True, type=click.IntRange(1), help="Calls.")
@click.option("--rate", type=click.FloatRange(0, min_open=True), help="Events a second [50].")
@click.option("--as-fast-as-possible", "fast", is_flag=True, help="No pacing.")
@click.option("--realtime", is_flag=True, help="Send each event when it happens.")
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Calls arrive this many times faster than a busy control room's.",
)
@click.option("--seed", type=int, help="The stream's seed [random, and shown].")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 256))
@click.option(
    "--agent",
    "agents",
    multiple=True,
    default=("handler",),
    show_default=True,
    help="User name of a call handler who answers (repeatable).",
)
@click.option("--retries", default=5, show_default=True, type=click.IntRange(0))
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1))
@click.option("--json", "as_json", is_flag=True, help="The summary as one JSON object.")
def replay(
    url: str,
    token: str | None,
    calls: int,
    rate: float | None,
    fast: bool,
    realtime: bool,
    speed: float,
    seed: int | None,
    concurrency: int,
    agents: tuple[str, ...],
    retries: int,
    timeout: float,
    as_json: bool,
) -> None:
    """Send a realistic stream of calls' telephony events to a running service's API."""
    if not token:
        fail("error: --token: give an integration token, or set CONTROLROOM_TOKEN", EXIT_BAD_INPUT)
    if sum((rate is not None, fast, realtime)) > 1:
        fail("error: choose one of --rate, --as-fast-as-possible and --realtime", EXIT_BAD_INPUT)
    seed = secrets.randbelow(10**6) if seed is None else seed
    run = f"r{seed}-{secrets.token_hex(3)}"
    now = datetime.now(UTC).replace(microsecond=0)
    if realtime:
        stream = generate(calls, seed=seed, start=now, speed=speed, agents=agents, run=run)
    else:  # the whole stream in the past, ending now
        span = generate(calls, seed=seed, start=now, speed=speed, agents=agents, run=run).span
        start = now - timedelta(seconds=span + 60)
        stream = generate(calls, seed=seed, start=start, speed=speed, agents=agents, run=run)
    tally = Tally(planned=len(stream.events))
    sender = Sender(url, token, retries, timeout, tally)
    problem = sender.check()
    if problem:
        fail(f"error: {problem}", EXIT_FOUND_PROBLEMS)
    every = 0.0 if fast or realtime else 1.0 / (rate or 50.0)
    mode = "in real time" if realtime else ("as fast as possible" if fast else f"{1 / every:g}/s")
    click.echo(
        f"replaying {len(stream.events):,} events of {calls:,} calls (seed {seed}, ids {run}-…) "
        f"to {url}, {mode}, {concurrency} at a time",
        err=True,
    )
    began = time.perf_counter()

    def pace(index: int, event: StreamEvent) -> float:
        due = event.at if realtime else index * every
        return due - (time.perf_counter() - began)

    progress = Progress(tally)
    progress.start()
    interrupted = False
    try:
        Dispatcher(sender, concurrency).run(stream.events, pace)
    except KeyboardInterrupt:
        interrupted = True
    progress.finish()
    seconds = time.perf_counter() - began
    if as_json:
        data = summary_data(stream, tally, seconds) | {"seed": seed, "run": run}
        click.echo(json.dumps(data, indent=2))
    else:
        for line in summary(stream, tally, seconds):
            click.echo(line)
    if tally.fatal:
        refused = tally.fatal.startswith(("401", "403"))
        why = f"the service refused the token: {tally.fatal}" if refused else tally.fatal
        fail(f"error: stopped: {why}", EXIT_FOUND_PROBLEMS)
    if interrupted:
        fail("error: interrupted before every event was sent", EXIT_FOUND_PROBLEMS)
    complete = tally.acked == tally.sent == tally.planned
    raise Exit(EXIT_OK if complete else EXIT_FOUND_PROBLEMS)
