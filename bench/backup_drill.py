"""The backup-and-restore drill at a larger scale, on SQLite and PostgreSQL.

Loads ``--contacts`` contacts (2,000) into a fresh, migrated database through the services, as
handlers make them (each offered, then answered: two audit rows), then backs the database up
while a thread keeps offering and answering contacts, restores the backup into another fresh
database, and checks it (rows per table against the manifest, the audit chain, every contact
against its trail) exactly as ``controlroom db restore`` does. Progress goes to stderr, the
table to stdout; the databases are removed at the end.

    .venv/bin/python bench/backup_drill.py --db both --contacts 2000

Exit status: 0 when every restore matched its backup, 1 when one did not, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from controlroom import __version__
from controlroom.adapters.db import migrate
from controlroom.adapters.db.backup import backup
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.restore import restore
from controlroom.adapters.policy_file import load_policy
from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.access import Principal
from controlroom.domain.contacts import Answer, Caller, Role
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.contacts import UowFactory

HANDLER = Principal("bench", Role.CALL_HANDLER)
NARRATIVES = (
    "Someone is shouting in the street and banging on doors",
    "My bike was stolen from outside the station yesterday",
    "There is a car parked across my driveway again",
    "My neighbour is playing loud music at 2am",
)


def contact(factory: UowFactory, policy: Policy, n: int) -> None:
    details = service.offer_contact(
        factory,
        HANDLER,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller(number=f"+4477009{n % 100000:05d}"),
        narrative=NARRATIVES[n % len(NARRATIVES)],
        now=datetime.now(UTC),
        policy=policy,
    )
    service.do_action(factory, HANDLER, details.contact.id, Answer(), datetime.now(UTC), policy)


def drill(
    kind: str, make_database: Callable[[], str], contacts: int, policy: Policy, work: Path
) -> list[str]:
    source = make_database()
    migrate.upgrade(source)
    factory = uow_factory(Settings(database_url=source, demo=False), migrate_first=False)
    started = time.monotonic()
    for n in range(contacts):
        contact(factory, policy, n)
        if (n + 1) % max(1, contacts // 10) == 0:
            print(f"{kind}: {n + 1} contacts loaded", file=sys.stderr)
    load_seconds = time.monotonic() - started
    stop = threading.Event()
    during = [0]

    def write() -> None:
        while not stop.is_set():
            contact(factory, policy, contacts + during[0])
            during[0] += 1

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    time.sleep(0.5)
    file = work / f"{kind}.crbackup"
    written_before = during[0]
    started = time.monotonic()
    manifest = backup(source, file, version=__version__)
    backup_seconds = time.monotonic() - started
    written_during = during[0] - written_before
    stop.set()
    writer.join()
    print(f"{kind}: backed up, restoring", file=sys.stderr)
    target = make_database()
    started = time.monotonic()
    report = restore(target, file)
    restore_seconds = time.monotonic() - started
    for problem in report.problems:
        print(f"{kind}: PROBLEM {problem}", file=sys.stderr)
    return [
        kind,
        f"{manifest.counts['contacts']:,}",
        f"{manifest.audit_seq:,}",
        f"{file.stat().st_size / 1e6:.1f}",
        f"{backup_seconds:.2f}",
        str(written_during),
        f"{restore_seconds:.2f}",
        "yes" if not report.problems else f"NO ({len(report.problems)})",
        f"{contacts / load_seconds:.0f}",
    ]


@contextmanager
def databases(kind: str, work: Path, postgresql_url: str) -> Iterator[Callable[[], str]]:
    """A function making fresh databases of ``kind``; PostgreSQL ones dropped at the end."""
    if kind == "sqlite":
        names = iter(range(1000))
        yield lambda: f"sqlite:///{work / f'db{next(names)}.db'}"
        return
    base = make_url(postgresql_url)
    admin = create_engine_for(base, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"backup_drill_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE template0")
        made.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as connection:
            for name in made:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument(
        "--postgresql-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args(argv)
    if args.contacts < 1:
        parser.error("--contacts: give 1 or more")
    policy = load_policy("dcp-p-042")
    rows: list[list[str]] = []
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    with tempfile.TemporaryDirectory(prefix="backup-drill-") as folder:
        work = Path(folder)
        for kind in kinds:
            with databases(kind, work, args.postgresql_url) as make:
                rows.append(drill(kind, make, args.contacts, policy, work))
    header = [
        "database",
        "contacts",
        "audit rows",
        "file MB",
        "backup s",
        "contacts written during the backup",
        "restore + checks s",
        "matches",
        "load contacts/s",
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0 if all(row[7] == "yes" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
