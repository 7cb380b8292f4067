"""The rolling-restart drill: a telephony replay through nginx while every instance is restarted
in turn, then one is killed outright; nothing acknowledged may be lost or stored twice.

    .venv/bin/python bench/restart_drill.py [--calls 300] [--rate 40] [--json results.json]

Brings the loopback layout up (scripts/layout.py: nginx with TLS, two instances, PostgreSQL,
Redis), creates an integration token, and runs ``controlroom replay --json`` through the
proxy. A few seconds in, each instance is restarted gracefully in turn (SIGTERM; the next
only once nginx has taken the last back), then one is killed (SIGKILL) and started again.
Checks: the replay ends with every event acknowledged (exit 0), each event is stored exactly
once in ``telephony_events`` (the stream repeats some deliveries on purpose, as a switch
does: those must be answered as the first was), and every answer other than 2xx was a
documented 503.
Prints a table (and writes JSON with ``--json``); exit 0 when every check holds.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from layout import Layout, layout  # type: ignore[import-not-found]  # noqa: E402

CONTROLROOM = str(Path(sys.executable).parent / "controlroom")


@dataclass
class DrillFigures:
    """What the drill measured."""

    events: int
    acknowledged: int
    duplicates: int  # deliveries the stream repeats on purpose, as a switch does
    same_answer: int
    stored: int
    errors: int
    retries: int
    statuses: dict[str, int]
    restarts: int
    kills: int
    seconds: float
    ack_p99_ms: float
    ack_max_ms: float
    replay_exit: int

    @property
    def problems(self) -> list[str]:
        found = []
        if self.replay_exit != 0:
            found.append(f"the replay exited {self.replay_exit}")
        if self.acknowledged != self.events:
            found.append(f"{self.events - self.acknowledged} events never acknowledged")
        if self.stored != self.events - self.duplicates:
            found.append(f"{self.stored} events stored for {self.events - self.duplicates} sent")
        if self.same_answer != self.duplicates:
            found.append(f"{self.duplicates - self.same_answer} repeats answered differently")
        unexpected = {s: n for s, n in self.statuses.items() if not s.startswith(("2", "503"))}
        if unexpected:
            found.append(f"answers other than 2xx or 503: {unexpected}")
        return found


def integration_token(running: Layout) -> str:
    made = subprocess.run(
        [CONTROLROOM, "tokens", "create", "--name", "telephony-drill", "--role", "integration"],
        env=running.env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = made.stdout.splitlines()[0].strip()  # printed first, alone on its line
    if not token.startswith("cr_"):
        raise SystemExit(f"no token in: {made.stdout!r}")
    return token


def stored_events(running: Layout, run: str) -> int:
    url = running.env["CONTROLROOM_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM telephony_events WHERE event_id LIKE %s", (run + "-%",)
        ).fetchone()
    return int(row[0]) if row else 0


def drill(running: Layout, calls: int, rate: float, seed: int = 7) -> DrillFigures:
    """Run the replay through ``running`` while restarting and killing instances."""
    env = {**running.env, "SSL_CERT_FILE": str(running.certificate)}
    started = time.monotonic()
    command = [CONTROLROOM, "replay", "--url", running.url, "--token", integration_token(running)]
    command += ["--calls", str(calls), "--rate", str(rate), "--seed", str(seed), "--retries", "8"]
    command += ["--json"]
    replay = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    outputs: dict[str, str] = {}

    def collect() -> None:
        outputs["out"], outputs["err"] = replay.communicate()

    reader = threading.Thread(target=collect)
    reader.start()
    time.sleep(3)
    running.rolling_restart()
    restarts = len(running.instances)
    victim = running.instances[0]
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=10)
    running.instances[0] = running.start_instance(victim.port)
    reader.join(timeout=600)
    out, err = outputs.get("out", ""), outputs.get("err", "")
    (running.folder / "logs" / "replay.out").write_text(out + "\n" + err)
    try:
        report: dict[str, Any] = json.loads(out)
    except json.JSONDecodeError:
        report = {}  # the replay did not finish: every figure below is -1
    return DrillFigures(
        events=int(report.get("planned", -1)),
        acknowledged=int(report.get("acknowledged", -1)),
        duplicates=int(report.get("duplicates", -1)),
        same_answer=int(report.get("duplicates_answered_identically", -1)),
        stored=stored_events(running, report["run"]) if "run" in report else -1,
        errors=int(report.get("errors", -1)),
        retries=int(report.get("retries", -1)),
        statuses=dict(report.get("statuses", {})),
        restarts=restarts,
        kills=1,
        seconds=round(time.monotonic() - started, 1),
        ack_p99_ms=float(report.get("ack_ms", {}).get("p99", -1)),
        ack_max_ms=float(report.get("ack_ms", {}).get("max", -1)),
        replay_exit=replay.returncode if replay.returncode is not None else -1,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with layout(2, demo=True) as running:
        figures = drill(running, args.calls, args.rate)
    print("| measure | result |\n|---|---:|")
    for name, value in asdict(figures).items():
        print(f"| {name} | {value} |")
    for problem in figures.problems:
        print(f"PROBLEM: {problem}")
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), indent=2) + "\n")
    return 1 if figures.problems else 0


if __name__ == "__main__":
    sys.exit(main())
