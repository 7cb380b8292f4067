"""How big an instance's pools should be, from the machine it runs on.

An instance serves requests on one event loop and does its database work in threads, each
holding a pooled connection while it works; password checks (argon2) have a small pool of their
own. :func:`size_for` turns the machine (its cores and memory, how many instances share it, and
PostgreSQL's ``max_connections``) into those sizes and the number of instances the machine
should run. The rules are in docs/deployment.md (Sizing); each setting that is given wins over
the computed value.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

#: Memory one instance needs: about 300 MB once started (the triage model loaded), with room
#: for a busy period's requests.
MEMORY_PER_INSTANCE_MB = 512
#: The share of the machine's memory the instances may take (the rest: the system, nginx, the
#: page cache).
MEMORY_SHARE = 0.75
#: At least two instances, so that one can restart while the other serves.
MIN_INSTANCES = 2
#: Database threads per core an instance has: most of a unit of work's time is spent waiting
#: for PostgreSQL, so several threads keep one core busy.
THREADS_PER_CORE = 16
MIN_THREADS = 8
MAX_THREADS = 64
#: Cores an instance has for each concurrent password check (checks run at a lower priority;
#: one at a time is right up to seven cores, as measured in docs/benchmarks.md).
CORES_PER_LOGIN_CHECK = 4
MAX_LOGIN_CHECKS = 4
#: PostgreSQL connections left for everything but the instances: `controlroom db upgrade`,
#: backups, `controlroom doctor`, an administrator's psql, monitoring (PostgreSQL keeps its
#: own superuser reserve within these).
RESERVED_CONNECTIONS = 10


@dataclass(frozen=True)
class Machine:
    """What sizing depends on. ``instances``: how many run on this machine (None: as many as
    recommended); ``hosts``: machines running instances against the same database;
    ``max_connections``: PostgreSQL's (None: SQLite, or not known)."""

    cpus: int
    memory_mb: int
    instances: int | None = None
    hosts: int = 1
    max_connections: int | None = None


@dataclass(frozen=True)
class Sizing:
    """The sizes for one instance, and the instances recommended for the machine. ``budget``:
    the PostgreSQL connections each instance may open (None: no limit known)."""

    instances: int
    recommended_instances: int
    pool_size: int
    pool_overflow: int
    threads: int
    login_checks: int
    hosts: int = 1
    max_connections: int | None = None

    @property
    def connections(self) -> int:
        """The most connections one instance opens."""
        return self.pool_size + self.pool_overflow

    @property
    def budget(self) -> int | None:
        return connection_budget(self.max_connections, self.instances, self.hosts)

    @property
    def excess(self) -> int:
        """How many connections every instance together may open beyond what PostgreSQL has
        for them (0: they fit, or no limit is known)."""
        if self.max_connections is None:
            return 0
        wanted = self.connections * self.instances * self.hosts
        return max(0, wanted - (self.max_connections - RESERVED_CONNECTIONS))

    def describe(self) -> str:
        """One line for the start-up log and ``controlroom doctor``."""
        budget = "" if self.budget is None else f" of {self.budget} allowed"
        return (
            f"{self.instances} instances here ({self.recommended_instances} recommended), "
            f"database pool {self.pool_size} + {self.pool_overflow} overflow{budget}, "
            f"{self.threads} threads, password checks {self.login_checks} at once"
        )


def recommended_instances(cpus: int, memory_mb: int) -> int:
    """One instance per core, as many as the memory holds, and never fewer than two."""
    fits = int(memory_mb * MEMORY_SHARE) // MEMORY_PER_INSTANCE_MB
    return max(MIN_INSTANCES, min(max(cpus, 1), fits))


def connection_budget(max_connections: int | None, instances: int, hosts: int = 1) -> int | None:
    """The connections each instance may open so that all of them fit in ``max_connections``
    with :data:`RESERVED_CONNECTIONS` to spare; None when there is no limit."""
    if max_connections is None:
        return None
    return max(0, (max_connections - RESERVED_CONNECTIONS) // max(1, instances * hosts))


def size_for(machine: Machine) -> Sizing:
    """The computed sizes (see the module's docstring and docs/deployment.md)."""
    recommended = recommended_instances(machine.cpus, machine.memory_mb)
    instances = machine.instances or recommended
    cores = max(1, machine.cpus // instances)
    threads = min(MAX_THREADS, max(MIN_THREADS, THREADS_PER_CORE * cores))
    # A connection for every thread, and as many again for work started outside them (chat
    # messages, the outbox, the live feed), opened only when needed.
    pool, overflow = threads, threads
    budget = connection_budget(machine.max_connections, instances, machine.hosts)
    if budget is not None and pool + overflow > budget:
        pool = max(1, budget // 2)
        overflow = max(0, budget - pool)
        threads = min(threads, pool + overflow)  # no thread waits for a connection
    checks = min(MAX_LOGIN_CHECKS, max(1, cores // CORES_PER_LOGIN_CHECK))
    return Sizing(
        instances,
        recommended,
        pool,
        overflow,
        threads,
        checks,
        machine.hosts,
        machine.max_connections,
    )


def overridden(
    sizing: Sizing,
    *,
    pool_size: int | None = None,
    pool_overflow: int | None = None,
    threads: int | None = None,
    login_checks: int | None = None,
) -> Sizing:
    """``sizing`` with the sizes a deployment set itself (None: keep the computed one)."""
    return replace(
        sizing,
        pool_size=sizing.pool_size if pool_size is None else pool_size,
        pool_overflow=sizing.pool_overflow if pool_overflow is None else pool_overflow,
        threads=sizing.threads if threads is None else threads,
        login_checks=sizing.login_checks if login_checks is None else login_checks,
    )
