"""The console's live queue in a real browser: how long after a telephony event the queue on a
handler's screen shows it.

The real app runs under uvicorn in a separate process (``controlroom serve``, one worker, a
fresh SQLite database with the demo data). ``--queued`` calls (200) are offered first; headless
Chromium (Debian's ``/usr/bin/chromium``, through Playwright) signs in as the demo handler and
opens the handler view. Then ``--rate`` events a second (20) arrive for ``--seconds`` (30):
half new calls, a quarter answered by an agent, a quarter hung up before answer, sent over
loopback HTTP as telephony does. The page records when each row changes (``Date.now()`` in
``console.js``); the latency of an event is that moment minus the moment just before it was
sent (both clocks are this machine's). Progress goes to stderr, results (markdown) to stdout.

    .venv/bin/python bench/console_bench.py --plot docs/img/console-latency.png

Exit status: 0 when p95 < 200 ms and no update was lost, 1 when not, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
TARGET_P95_MS = 200.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(folder: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """``controlroom serve`` on a fresh database; the process and the telephony token."""
    env = os.environ | {
        "CONTROLROOM_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "CONTROLROOM_DEMO": "true",
        "CONTROLROOM_LOG_LEVEL": "warning",
        "CONTROLROOM_SESSION_SECRET": "console-bench-" + uuid.uuid4().hex,
    }
    command = [sys.executable, "-m", "controlroom", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stderr is not None
    token = ""
    deadline = time.monotonic() + 60
    while not token and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        found = re.search(r"token telephony\s+(cr_\S+)", line)
        token = found.group(1) if found else ""
    if not token:
        process.kill()
        raise SystemExit("the server did not print the demo's telephony token")
    threading.Thread(target=lambda: [None for _ in process.stderr or ()], daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, token
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not answer /healthz")


class Telephony:
    """Sends call events as a telephony system would."""

    def __init__(self, url: str, token: str) -> None:
        self.client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        self.waiting: dict[str, tuple[str, str]] = {}  # call id -> (contact id, channel)
        self.count = 0

    def send(self, kind: str, call_id: str, **fields: Any) -> str:
        self.count += 1
        event = {
            "id": f"bench-{self.count}-{uuid.uuid4().hex[:6]}",
            "type": kind,
            "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "call_id": call_id,
            "channel": fields.pop("channel", "999"),
            "caller": {"number": f"+4477009{self.count % 100000:05d}"},
            **fields,
        }
        answer = self.client.post("/api/telephony/events", json=event)
        if answer.status_code >= 300:
            raise SystemExit(f"telephony event refused: {answer.status_code} {answer.text}")
        return str(answer.json()["contact_id"])

    def offer(self) -> str:
        call_id = f"CALL-{uuid.uuid4().hex[:10]}"
        channel = random.choice(["999", "999", "999", "101", "bsl_999", "emergency_sms"])
        contact = self.send("call.offered", call_id, channel=channel)
        self.waiting[call_id] = (contact, channel)
        return contact

    def next_event(self) -> tuple[str, Any]:
        """What to send next: half new calls, a quarter answered, a quarter hung up."""
        roll = random.random()
        if roll < 0.5 or not self.waiting:
            return "offer", None
        call_id = random.choice(list(self.waiting))
        return ("answer" if roll < 0.75 else "hang_up"), call_id

    def apply(self, kind: str, call_id: str | None) -> str:
        if kind == "offer":
            return self.offer()
        assert call_id is not None
        contact, channel = self.waiting.pop(call_id)
        if kind == "answer":
            self.send("call.answered", call_id, channel=channel, agent="handler")
        else:
            self.send("call.ended", call_id, channel=channel, reason="caller cleared")
        return contact


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run(args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    random.seed(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="console-bench-"))
    port = free_port()
    log(f"starting the server on port {port} (database in {folder})")
    server, token = start_server(folder, port)
    url = f"http://127.0.0.1:{port}"
    telephony = Telephony(url, token)
    try:
        log(f"offering {args.queued} calls")
        for n in range(args.queued):
            telephony.offer()
            if (n + 1) % 50 == 0:
                log(f"  {n + 1} offered")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url + "/console/login")
            page.fill("#username", "handler")
            page.fill("#password", "demo-handler-password")
            page.click("button[type=submit]")
            page.wait_for_selector("#queue-waiting")
            rows = page.locator("#queue-waiting .qrow").count()
            log(f"handler view open: {rows} contacts waiting")
            page.wait_for_timeout(1000)  # the live feed is connected
            sent: list[tuple[str, float]] = []
            interval = 1.0 / args.rate
            start = time.monotonic()
            total = int(args.rate * args.seconds)
            for n in range(total):
                due = start + n * interval
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                kind, call_id = telephony.next_event()
                at = time.time() * 1000
                contact = telephony.apply(kind, call_id)
                sent.append((contact, at))
                if (n + 1) % (args.rate * 5) == 0:
                    seen = page.evaluate("window.__queueUpdates.length")
                    log(f"  {n + 1}/{total} events sent, {seen} row updates seen in the browser")
            page.wait_for_timeout(2000)
            updates = page.evaluate("window.__queueUpdates")
            final_rows = page.locator("#queue-waiting .qrow").count()
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    seen: dict[str, list[float]] = {}
    for update in updates:
        seen.setdefault(update["id"], []).append(float(update["at"]))
    latencies: list[float] = []
    lost = 0
    for contact, at in sent:
        later = [t for t in seen.get(contact, []) if t >= at]
        if later:
            latencies.append(min(later) - at)
            seen[contact].remove(min(later))
        else:
            lost += 1
    p50, p95, p99 = (percentile(latencies, q) for q in (0.5, 0.95, 0.99))
    ok = p95 < TARGET_P95_MS and lost == 0
    report(args, sent, latencies, lost, final_rows, (p50, p95, p99), ok)
    if args.plot:
        plot(latencies, Path(args.plot))
    return 0 if ok else 1


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(
        [CHROMIUM, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; {version}"


def report(
    args: argparse.Namespace,
    sent: list[tuple[str, float]],
    latencies: list[float],
    lost: int,
    final_rows: int,
    ps: tuple[float, float, float],
    ok: bool,
) -> None:
    p50, p95, p99 = ps
    print(f"### Console live queue ({datetime.now(UTC):%Y-%m-%d})\n")
    print(f"Machine: {machine()}.\n")
    print(
        f"{args.queued} calls queued first, then {len(sent)} events at {args.rate}/s for "
        f"{args.seconds} s (half new calls, a quarter answered, a quarter hung up); "
        f"{final_rows} calls waiting at the end.\n"
    )
    print("| events | row updates seen | lost | p50 | p95 | p99 | max | target p95 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    top = max(latencies) if latencies else float("nan")
    print(
        f"| {len(sent)} | {len(latencies)} | {lost} | {p50:.0f} ms | {p95:.0f} ms | "
        f"{p99:.0f} ms | {top:.0f} ms | < {TARGET_P95_MS:.0f} ms: {'met' if ok else 'NOT met'} |"
    )


def plot(latencies: list[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=110)
    ax.hist(latencies, bins=40, color="#3b82f6")
    ax.axvline(TARGET_P95_MS, color="#b91c1c", linestyle="--", label="200 ms (p95 target)")
    ax.axvline(percentile(latencies, 0.95), color="#111827", label="p95 measured")
    ax.set_xlabel("event sent → queue row updated in the browser (ms)")
    ax.set_ylabel("events")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    log(f"plot written to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queued", type=int, default=200, help="calls queued first (200)")
    parser.add_argument("--rate", type=int, default=20, help="events a second (20)")
    parser.add_argument("--seconds", type=int, default=30, help="how long to send (30)")
    parser.add_argument("--seed", type=int, default=6, help="random seed")
    parser.add_argument("--plot", help="write a histogram of the latencies to this PNG")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        log(f"{CHROMIUM} is missing: apt-get install chromium")
        return 2
    if args.queued < 0 or args.rate < 1 or args.seconds < 1:
        parser.error("--queued >= 0, --rate >= 1, --seconds >= 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
