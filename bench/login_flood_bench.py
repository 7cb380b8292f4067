"""A flood of wrong console sign-ins must not slow 999 acknowledgements nor the health check.

For each scenario: a fresh database is migrated and given the account ``supervisor`` (a real
argon2 password) and an integration token; the real app runs under uvicorn in a separate
process (one worker, as ``telephony_bench.py`` starts it). For ``--baseline`` seconds, with no
flood, this process sends 999 ``call.offered`` events (``--events`` a second) and ``/healthz``
requests (``--health`` a second), each on its own schedule, never waiting for the one before.
Then a separate process floods ``POST /console/login`` with ``--rate`` wrong passwords a second
for ``supervisor`` (one sign-in form, its token reused, as a script would) for ``--seconds``,
while the same measuring goes on; meanwhile the real supervisor signs in from a clean
address (once from a new browser, once from the browser they signed in with before the
flood). Scenarios (``--addresses``, a comma list): the flood from one address, and spread over
N addresses (``X-Forwarded-For``, trusted from loopback), as from a botnet;
``--random-names`` sends a made-up name with each attempt instead of ``supervisor``.

    .venv/bin/python bench/login_flood_bench.py --seconds 40 --addresses 1,250

Reports, per scenario and phase, p50/p99/max of the acknowledgements and of ``/healthz``, the
flood's answers by status, the audit rows it caused, and whether the real sign-in succeeded.
Exit status: 0 when every flood phase meets the targets (acknowledgement p99 < 100 ms,
``/healthz`` p99 < 50 ms, the real person signed in), 1 when not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from controlroom.adapters.db import migrate
from controlroom.adapters.db.engine import create_engine_for
from controlroom.bootstrap import password_hasher, uow_factory
from controlroom.config import Settings
from controlroom.domain.contacts import Actor, Role
from controlroom.services import accounts

try:
    from bench.telephony_bench import PG_ADMIN, free_port, fresh_database, reference_loop_ms
    from bench.telephony_bench import start_servers as start_telephony_servers
    from bench.triage_bench import cpu_model
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from telephony_bench import (  # type: ignore[import-not-found,no-redef]
        PG_ADMIN,
        free_port,
        fresh_database,
        reference_loop_ms,
    )
    from telephony_bench import (  # type: ignore[import-not-found,no-redef]
        start_servers as start_telephony_servers,
    )
    from triage_bench import cpu_model  # type: ignore[import-not-found,no-redef]

TARGET_ACK_P99_MS = 100.0
TARGET_HEALTH_P99_MS = 50.0
ADMIN = Actor("bench", Role.ADMIN)
PASSWORD = "the-real-supervisor-password"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
KNOWN_COOKIE = "cr_console_known"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(url: str) -> str:
    """Migrate; add the supervisor (argon2 password); an integration token for telephony."""
    migrate.upgrade(url)
    factory = uow_factory(Settings(database_url=url, demo=False), migrate_first=False)
    hasher = password_hasher()
    accounts.add_user(factory(), ADMIN, "supervisor", Role.SUPERVISOR, PASSWORD, hasher=hasher)
    return accounts.create_token(factory(), ADMIN, "telephony-bench", Role.INTEGRATION)[1]


async def sign_in_form(client: httpx.AsyncClient, address: str) -> str:
    """Load the sign-in form (its cookie stays in ``client``); its CSRF token."""
    page = await client.get("/console/login", headers={"X-Forwarded-For": address})
    found = CSRF.search(page.text)
    if found is None:
        raise SystemExit(f"no sign-in form: {page.status_code}")
    return found.group(1)


# -- the flood (a process of its own) -------------------------------------------------------


async def flood(
    base: str, rate: float, seconds: float, addresses: int, out: str, random_names: bool
) -> None:
    """``rate`` wrong sign-ins a second for ``seconds`` (for ``supervisor``, or a made-up name
    each); answers by status into ``out``."""
    statuses: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, timeout=30) as form_client:
        csrf = await sign_in_form(form_client, "203.0.113.1")
        cookie = f"cr_console_login={form_client.cookies['cr_console_login']}"
    data = {"csrf": csrf, "username": "supervisor", "password": "guess-123456789"}
    no_cookies = CookieJar(DefaultCookiePolicy(allowed_domains=[]))  # like a script: sent as is
    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=limits, cookies=no_cookies, headers={"Cookie": cookie}
    ) as client:

        async def one(n: int) -> None:
            address = f"203.0.{113 + n % addresses // 250}.{1 + n % addresses % 250}"
            sent = data | ({"username": f"user{uuid.uuid4().hex[:10]}"} if random_names else {})
            try:
                answer = await client.post(
                    "/console/login", data=sent, headers={"X-Forwarded-For": address}
                )
                statuses[str(answer.status_code)] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1

        began, tasks, n = time.perf_counter(), [], 0
        while (due := began + n / rate) < began + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n)))
            n += 1
        await asyncio.gather(*tasks)
    Path(out).write_text(json.dumps({"sent": n, "statuses": dict(statuses)}))


# -- the measuring ---------------------------------------------------------------------------


def offer(n: int) -> dict[str, Any]:
    """A 999 ``call.offered`` event."""
    return {
        "id": str(uuid.uuid4()),
        "type": "call.offered",
        "occurred_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "call_id": f"FLOOD-{n}-{uuid.uuid4().hex[:6]}",
        "channel": "999",
        "caller": {"number": f"+4477009{n % 100000:05d}"},
    }


async def paced(rate: float, seconds: float, send: Any) -> list[float]:
    """Call ``send(n)`` ``rate`` times a second for ``seconds``, each on schedule; the ms each
    took (infinite for one that timed out or failed to connect: 30 s)."""
    began, tasks, n = time.perf_counter(), [], 0

    async def timed(n: int) -> float:
        start = time.perf_counter()
        try:
            await send(n)
        except httpx.HTTPError:
            return math.inf
        return 1000 * (time.perf_counter() - start)

    while (due := began + n / rate) < began + seconds:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(timed(n)))
        n += 1
    return list(await asyncio.gather(*tasks))


async def phase(base: str, token: str, args: argparse.Namespace, seconds: float) -> dict[str, Any]:
    """Acknowledgement and health-check times over ``seconds``."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as client:

        async def ack(n: int) -> None:
            answer = await client.post("/api/telephony/events", json=offer(n))
            if answer.status_code not in (200, 201):
                raise SystemExit(f"event refused: {answer.status_code} {answer.text[:200]}")

        async def health(_: int) -> None:
            if (await client.get("/healthz")).status_code != 200:
                raise SystemExit("the health check failed")

        acks, healths = await asyncio.gather(
            paced(args.events, seconds, ack), paced(args.health, seconds, health)
        )
    return {"ack": summary(acks), "health": summary(healths)}


async def real_sign_in(base: str, address: str, known: str = "") -> dict[str, Any]:
    """The real supervisor signs in from a clean ``address``, from a browser that signed in
    before when ``known`` (its known-browser cookie) is given; tries again after a 503."""
    try:
        return await _real_sign_in(base, address, known)
    except httpx.HTTPError as exc:
        return {"status": type(exc).__name__, "attempts": 1, "ms": math.inf, "cookie": ""}


async def _real_sign_in(base: str, address: str, known: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        began, headers = time.perf_counter(), {"X-Forwarded-For": address}
        for attempt in range(1, 11):  # noqa: B007 - reported below
            client.cookies.clear()
            if known:
                client.cookies.set(KNOWN_COOKIE, known, path="/console")
            csrf = await sign_in_form(client, address)
            data = {"csrf": csrf, "username": "supervisor", "password": PASSWORD}
            answer = await client.post("/console/login", data=data, headers=headers)
            if answer.status_code != 503:
                break
            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
        took = 1000 * (time.perf_counter() - began)
        cookie = answer.cookies.get(KNOWN_COOKIE) or ""
        outcome = {"status": answer.status_code, "attempts": attempt, "ms": round(took, 1)}
        return outcome | {"cookie": cookie}


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    failed = sum(1 for value in ordered if math.isinf(value))
    return {
        "n": len(ordered),
        "failed": failed,
        "p50": at(0.5),
        "p99": at(0.99),
        "max": round(ordered[-1], 1),
    }


def audit_rows(url: str) -> dict[str, int]:
    engine = create_engine_for(url)
    query = "SELECT tag, COUNT(*) FROM audit_log WHERE tag LIKE 'console:%' GROUP BY tag"
    with engine.connect() as connection:
        rows = {str(tag): int(count) for tag, count in connection.execute(text(query))}
    engine.dispose()
    return rows


async def scenario(base: str, url: str, token: str, args: argparse.Namespace, n: int) -> Any:
    known = (await real_sign_in(base, "10.20.30.40"))["cookie"]  # the supervisor's own browser
    say(f"[{n} address(es)] baseline {args.baseline:.0f} s")
    quiet = await phase(base, token, args, args.baseline)
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    command = [sys.executable, str(Path(__file__).resolve()), "--flood", base]
    command += ["--rate", str(args.rate), "--seconds", str(args.seconds + 2)]
    command += ["--addresses", str(n), "--out", str(out)]
    command += ["--random-names"] if args.random_names else []
    flooder = subprocess.Popen(command)
    await asyncio.sleep(2.0)  # the flood is under way
    say(f"[{n} address(es)] flood {args.rate:.0f}/s for {args.seconds:.0f} s")
    measured, new, real = await asyncio.gather(
        phase(base, token, args, args.seconds),
        later(args.seconds * 0.5, real_sign_in(base, "10.20.30.41")),
        later(args.seconds * 0.75, real_sign_in(base, "10.20.30.40", known)),
    )
    flooder.wait(timeout=120)
    flooded = json.loads(out.read_text())
    out.unlink()
    result = {"addresses": n, "quiet": quiet, "flood": measured, "flooded": flooded}
    return result | {"new_browser": new}, real


async def later(delay: float, coroutine: Any) -> Any:
    await asyncio.sleep(delay)
    return await coroutine


def run(args: argparse.Namespace, addresses: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(args.db, Path(workdir), PG_ADMIN)
        token = prepare(url)
        port = free_port()
        servers = start_telephony_servers(url, port, None, 1)
        try:
            result, real = asyncio.run(
                scenario(f"http://127.0.0.1:{port}", url, token, args, addresses)
            )
        finally:
            for server in servers:
                server.kill()
                server.wait()
        outcome: dict[str, Any] = result | {"real_sign_in": real, "audit": audit_rows(url)}
    return outcome


def met(result: dict[str, Any]) -> bool:
    flood = result["flood"]
    return bool(
        flood["ack"]["p99"] < TARGET_ACK_P99_MS
        and flood["health"]["p99"] < TARGET_HEALTH_P99_MS
        and result["real_sign_in"]["status"] == 303
        and result["new_browser"]["status"] == 303
    )


def signed(outcome: dict[str, Any]) -> str:
    return f"{outcome['status']} after {outcome['attempts']} attempt(s), {outcome['ms']} ms"


def report(results: list[dict[str, Any]], args: argparse.Namespace, loop_ms: float) -> str:
    lines = [
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; Python {sys.version.split()[0]}; "
        f"database {args.db}; flood for {'made-up names' if args.random_names else 'supervisor'}"
        f"; reference loop {loop_ms:.0f} ms; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end.",
        "",
        "| flood from | phase | acks | ack p50 ms | ack p99 ms | ack max ms | healthz p50 ms "
        "| healthz p99 ms | healthz max ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for name in ("quiet", "flood"):
            ack, health = result[name]["ack"], result[name]["health"]
            label = f"{result['addresses']} address(es)"
            sent = f"{ack['n']}" + (f" ({ack['failed']} timed out)" if ack["failed"] else "")
            lines.append(
                f"| {label} | {name} | {sent} | {ack['p50']} | **{ack['p99']}** | "
                f"{ack['max']} | {health['p50']} | **{health['p99']}** | {health['max']} |"
            )
    lines += [
        "",
        "| flood from | attempts sent | answers | audit rows | real sign-in, new browser "
        "| real sign-in, own browser |",
        "|---|---:|---|---|---|---|",
    ]
    for result in results:
        flooded, real, new = result["flooded"], result["real_sign_in"], result["new_browser"]
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(flooded["statuses"].items()))
        audit = ", ".join(f"{k.split(':')[-1]}: {v}" for k, v in sorted(result["audit"].items()))
        lines.append(
            f"| {result['addresses']} address(es) | {flooded['sent']} | {answers} | {audit} "
            f"| {signed(new)} | {signed(real)} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=40.0, help="flood length (40)")
    parser.add_argument("--baseline", type=float, default=10.0, help="quiet phase (10)")
    parser.add_argument("--rate", type=float, default=50.0, help="wrong sign-ins a second")
    parser.add_argument("--events", type=float, default=20.0, help="999 offers a second")
    parser.add_argument("--health", type=float, default=10.0, help="health checks a second")
    parser.add_argument("--addresses", default="1,250", help="scenarios: flood addresses")
    parser.add_argument(
        "--random-names", action="store_true", help="a made-up name each, not supervisor"
    )
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--flood", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.flood:
        addresses = int(args.addresses)
        flooding = flood(
            args.flood, args.rate, args.seconds, addresses, args.out, args.random_names
        )
        asyncio.run(flooding)
        return 0
    results = [run(args, int(n)) for n in args.addresses.split(",")]
    print(report(results, args, reference_loop_ms()))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0 if all(met(result) for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
