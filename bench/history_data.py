"""Generated calls for the caller-history benchmark, and loading them into a database.

:class:`Dataset` holds ``contacts`` calls for ``numbers`` numbers in the order they were
offered: calls per number follow a capped Zipf law, the busiest numbers call like faulty
devices and nuisance callers, the rest like the public (outcomes, silence, speech, warnings,
vulnerability markers, AML handset identities, withheld numbers). The same seed always gives
the same rows. SQLite is loaded with executemany in transactions of 500,000 rows with
``synchronous=OFF`` for the load only; PostgreSQL with COPY. Indexes are dropped for the load
and built again from the code's declarations.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.schema import CreateIndex

from controlroom.adapters.db.call_history import EPOCH
from controlroom.adapters.db.tables import contact_calls

try:
    from bench.triage_bench import Progress
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from triage_bench import Progress  # type: ignore[no-redef,import-not-found]

#: When the look-ups happen: the end of the generated period.
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
COLUMNS = (
    "contact_id, number, imei, channel, offered_at, answered_at, ended_at, outcome, silent, "
    "dtmf_55, speech, warned, terminated, incident, vulnerability, route, abusive, hoax"
)
# outcome, silent, speech, warned, terminated, incident, route; then the shares of each
OUTCOMES = (
    ("silent", True, False, False, False, False, None),
    ("abandoned", False, False, False, False, False, None),
    ("accidental", False, False, False, False, False, None),
    ("caller_hung_up", False, False, False, False, False, None),
    ("emergency", False, True, False, False, True, "emergency"),
    ("non_emergency", False, True, False, False, False, "police_non_emergency"),
    ("inappropriate_advised", False, True, False, False, False, "not_police"),
    ("inappropriate_warned", False, True, True, False, False, "not_police"),
    ("inappropriate_terminated", False, True, True, True, False, "not_police"),
)
PUBLIC = (0.16, 0.12, 0.08, 0.05, 0.26, 0.24, 0.05, 0.025, 0.015)
REPEAT = (0.55, 0.20, 0.10, 0.05, 0.01, 0.02, 0.04, 0.02, 0.01)
FLAGS = ("mental_health", "distress_or_trauma", "older_person", "child", "domestic_abuse")


def call_counts(numbers: int, contacts: int, zipf: float, cap: int) -> np.ndarray:
    """Calls per number, busiest first: 1 + a Zipf share, capped, adding up to ``contacts``."""
    weights = np.arange(1, numbers + 1, dtype=np.float64) ** -zipf
    extra = contacts - numbers
    low, high = 0.0, float(extra) * 2
    for _ in range(100):  # the scale at which the capped shares add up to ``extra``
        mid = (low + high) / 2
        total = np.minimum(cap - 1, np.floor(mid * weights)).sum()
        low, high = (mid, high) if total < extra else (low, mid)
    counts = 1 + np.minimum(cap - 1, np.floor(low * weights)).astype(np.int64)
    short = contacts - int(counts.sum())
    counts[np.flatnonzero(counts < cap)[: max(short, 0)]] += 1
    return counts


class Dataset:
    """The generated calls, in the order they were offered."""

    def __init__(self, args: argparse.Namespace) -> None:
        rng = np.random.default_rng(args.seed)
        self.counts = call_counts(args.numbers, args.contacts, args.zipf, args.max_calls)
        shuffled = rng.permutation(args.numbers)  # the busiest numbers are not the lowest
        self.numbers = [f"+447{700000000 + n:09d}" for n in shuffled]
        for n in range(1, args.numbers, 50):  # 2% international numbers
            self.numbers[n] = f"+3361{shuffled[n]:07d}"
        self.imeis = [f"35{shuffled[n]:013d}" for n in range(args.numbers)]
        who = rng.permutation(np.repeat(np.arange(args.numbers, dtype=np.int32), self.counts))
        day, now = 86_400 * 1_000_000, (NOW - EPOCH) // timedelta(microseconds=1)
        offered = rng.integers(now - args.days * day, now, size=args.contacts)
        burst = who == 0  # the busiest number: a faulty device, all its calls in 25 days
        offered[burst] = rng.integers(now - 25 * day, now, size=int(burst.sum()))
        order = np.argsort(offered, kind="stable")
        self.who, self.offered = who[order], offered[order]
        self.seed = args.seed
        self.hot = self.counts >= args.hot_calls

    def rows(self, start: int, end: int) -> list[tuple[Any, ...]]:
        """Rows ``start`` to ``end`` as ``contact_calls`` tuples (the same on every call)."""
        rng, n = np.random.default_rng((self.seed, start)), end - start
        who = self.who[start:end]
        hot = self.hot[who]
        code = np.where(
            hot, rng.choice(len(REPEAT), n, p=REPEAT), rng.choice(len(PUBLIC), n, p=PUBLIC)
        )
        offered = self.offered[start:end]
        unanswered = (code == 1) | ((code == 2) & (rng.random(n) < 0.5))
        answered = offered + rng.integers(2_000_000, 20_000_000, n)
        short = code <= 3
        ended = answered + np.where(
            short, rng.integers(3_000_000, 12_000_000, n), rng.integers(30, 600, n) * 1_000_000
        )
        u = rng.random(n)
        dtmf = (code == 0) & (u < 0.02)
        withheld = u > 0.99
        has_imei = (u < 0.3) | (u > 0.995)
        flag = np.where(~short & (rng.random(n) < 0.03), rng.integers(0, len(FLAGS), n), -1)
        marker = rng.random(n)
        out = []
        for i, (w, off, ans, end_, c, d, wh, im, fl, mk) in enumerate(
            zip(
                who.tolist(),
                offered.tolist(),
                answered.tolist(),
                ended.tolist(),
                code.tolist(),
                dtmf.tolist(),
                withheld.tolist(),
                has_imei.tolist(),
                flag.tolist(),
                marker.tolist(),
                strict=True,
            )
        ):
            kind, silent, speech, warned, terminated, incident, route = OUTCOMES[c]
            not_answered = bool(unanswered[i])
            out.append(
                (
                    f"C-20260301-{start + i:010x}",
                    None if wh else self.numbers[w],
                    self.imeis[w] if im else None,
                    "silent_solution_55" if d else "999",
                    off,
                    None if not_answered else ans,
                    end_ if not not_answered else off + 4_000_000,
                    kind,
                    silent,
                    d,
                    speech,
                    warned,
                    terminated,
                    incident,
                    FLAGS[fl] if fl >= 0 else "",
                    route,
                    speech and mk < 0.004,
                    c >= 6 and mk > 0.995,
                )
            )
        return out

    def chunks(self, size: int) -> Iterator[list[tuple[Any, ...]]]:
        for start in range(0, len(self.offered), size):
            yield self.rows(start, min(start + size, len(self.offered)))


def indexes(engine: Engine) -> dict[str, str]:
    """The ``contact_calls`` indexes as the code declares them: name -> CREATE INDEX."""
    return {
        str(index.name): str(CreateIndex(index).compile(dialect=engine.dialect))
        for index in sorted(contact_calls.indexes, key=lambda index: str(index.name))
    }


def load_sqlite(engine: Engine, data: Dataset, total: int) -> None:
    """executemany in transactions of 500,000 rows, with synchronous=OFF for the load only."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-1000000")
        for name in indexes(engine):
            cursor.execute(f"DROP INDEX {name}")
        sql = f"INSERT INTO contact_calls ({COLUMNS}) VALUES ({', '.join('?' * 18)})"
        progress, done = Progress("loading SQLite", total), 0
        for chunk in data.chunks(500_000):
            cursor.execute("BEGIN")
            cursor.executemany(sql, chunk)
            cursor.execute("COMMIT")
            done += len(chunk)
            progress.update(done)
        for name, create in indexes(engine).items():
            print(f"  building {name}", file=sys.stderr)
            cursor.execute(create)
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("PRAGMA cache_size=-2000")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        raw.close()


def load_postgresql(engine: Engine, data: Dataset, total: int) -> None:
    """COPY through psycopg, then the indexes, then VACUUM ANALYZE."""
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        with driver.cursor() as cursor:
            for name in indexes(engine):
                cursor.execute(f"DROP INDEX {name}")
            progress, done = Progress("loading PostgreSQL", total), 0
            with cursor.copy(f"COPY contact_calls ({COLUMNS}) FROM STDIN") as copy:
                for chunk in data.chunks(500_000):
                    for row in chunk:
                        copy.write_row(row)
                    done += len(chunk)
                    progress.update(done)
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, create in indexes(engine).items():
                print(f"  building {name}", file=sys.stderr)
                cursor.execute(create)
        driver.commit()
        driver.autocommit = True
        driver.execute("VACUUM ANALYZE contact_calls")
    finally:
        raw.close()


def sample_lookups(data: Dataset, n: int, seed: int) -> list[str]:
    """``n`` arrivals: the number (or, when withheld, the IMEI) of a random stored call."""
    picker = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        index = picker.randrange(len(data.offered))
        who = int(data.who[index])
        out.append(data.numbers[who] if picker.random() > 0.01 else data.imeis[who])
    return out
