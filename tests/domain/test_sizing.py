"""Pools sized from the machine: each row a machine (cores, memory in MiB, instances on it or
None for the recommended number, machines sharing the database, PostgreSQL's max_connections)
and the sizes it gets."""

from __future__ import annotations

import pytest

from controlroom.domain.sizing import Machine, Sizing, overridden, size_for

#: (cpus, memory_mb, instances, hosts, max_connections) ->
#: (instances, recommended, pool, overflow, threads, login checks, budget)
CASES = [
    # this build machine: two cores, plenty of memory, SQLite (no connection limit)
    ((2, 24_000, None, 1, None), (2, 2, 16, 16, 16, 1, None)),
    # a small virtual machine: still two instances, so one can restart
    ((1, 1_024, None, 1, None), (2, 2, 16, 16, 16, 1, None)),
    # eight cores, PostgreSQL's default 100 connections: pools shrink to fit eight instances
    ((8, 16_384, None, 1, 100), (8, 8, 5, 6, 11, 1, 11)),
    # two large instances on sixteen cores: more threads, two password checks each
    ((16, 65_536, 2, 1, 200), (2, 16, 47, 48, 64, 2, 95)),
    # many cores, little memory: the memory decides how many instances
    ((32, 4_096, None, 1, None), (6, 6, 64, 64, 64, 1, None)),
    # three machines of two instances share one database
    ((4, 8_192, 2, 3, 100), (2, 4, 7, 8, 15, 1, 15)),
    # a big machine and a database with room: nothing shrinks
    ((64, 262_144, 4, 1, 1_000), (4, 64, 64, 64, 64, 4, 247)),
    # hardly any connections: one each, and as many threads
    ((2, 4_096, 2, 1, 12), (2, 2, 1, 0, 1, 1, 1)),
]


@pytest.mark.parametrize(("machine", "expected"), CASES)
def test_sizes_from_the_machine(
    machine: tuple[int, int, int | None, int, int | None],
    expected: tuple[int, int, int, int, int, int, int | None],
) -> None:
    sizing = size_for(Machine(*machine))
    found = (
        sizing.instances,
        sizing.recommended_instances,
        sizing.pool_size,
        sizing.pool_overflow,
        sizing.threads,
        sizing.login_checks,
        sizing.budget,
    )
    assert found == expected
    assert sizing.excess == 0  # computed sizes always fit
    if sizing.budget is not None:
        assert sizing.connections * sizing.instances * sizing.hosts <= machine[4] - 10  # type: ignore[operator]


def test_no_thread_waits_for_a_connection() -> None:
    for machine, _ in CASES:
        sizing = size_for(Machine(*machine))
        assert sizing.threads <= sizing.connections


def test_a_database_with_no_room_at_all_is_reported_as_excess() -> None:
    sizing = size_for(Machine(2, 4_096, 2, 1, max_connections=5))
    assert (sizing.pool_size, sizing.pool_overflow, sizing.budget) == (1, 0, 0)
    assert sizing.excess == 7  # two connections wanted, five less ten reserved available


def test_sizes_a_deployment_gives_win_and_may_exceed_the_budget() -> None:
    computed = size_for(Machine(2, 24_000, 2, 1, max_connections=100))
    assert computed.excess == 0 and computed.budget == 45
    given = overridden(computed, pool_size=40, pool_overflow=40, login_checks=3)
    assert (given.pool_size, given.pool_overflow, given.login_checks) == (40, 40, 3)
    assert given.threads == computed.threads  # not given: still computed
    assert given.excess == 2 * 80 - 90


def test_one_line_describes_the_sizes() -> None:
    sizing = Sizing(2, 2, 16, 16, 16, 1, max_connections=100)
    assert sizing.describe() == (
        "2 instances here (2 recommended), database pool 16 + 16 overflow of 45 allowed, "
        "16 threads, password checks 1 at once"
    )
