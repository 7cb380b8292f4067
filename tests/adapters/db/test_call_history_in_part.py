"""A caller with very many calls is read in part, and counted in full, on each database."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert

from controlroom.adapters.db.call_history import call_values
from controlroom.adapters.db.tables import contact_calls
from controlroom.adapters.nuisance_config import load_nuisance_config
from controlroom.domain.nuisance import (
    CallSummary,
    Identifier,
    IdentifierKind,
    NuisanceKind,
    count_windows,
    notable,
    window_starts,
)
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.services.nuisance_history import MAX_LISTED, lookup
from tests.adapters.db.conftest import MakeUow
from tests.domain.nuisance.helpers import (
    IMEI,
    NEW_NUMBER,
    NOW,
    NUMBER,
    TZ,
    abandoned,
    genuine,
    inappropriate,
    silent,
)

MONTH = timedelta(days=30)


def put(make_uow: MakeUow, calls: list[CallSummary]) -> None:
    with make_uow() as uow:
        uow.connection.execute(insert(contact_calls), [call_values(c) for c in calls])
        uow.commit()


def mixed(n: int, seed: int) -> list[CallSummary]:
    """``n`` calls of every kind from NUMBER (some with the handset's IMEI) over 40 days."""
    rng, out = random.Random(seed), []
    for i in range(n):
        at = NOW - timedelta(minutes=rng.uniform(0, 40 * 24 * 60))
        kind = rng.random()
        if kind < 0.5:
            made = silent(f"C-{i}", at)
        elif kind < 0.7:
            made = abandoned(f"C-{i}", at)
        elif kind < 0.8:
            made = genuine(f"C-{i}", at, incident=rng.random() < 0.5)
        else:
            flags = (VulnerabilityFlag.MENTAL_HEALTH,) if rng.random() < 0.3 else ()
            made = inappropriate(
                f"C-{i}", at, *flags, warned=rng.random() < 0.5, hoax=rng.random() < 0.2
            )
        if rng.random() < 0.2:
            made = CallSummary(**{**made.__dict__, "imei": IMEI, "number": None})
        out.append(made)
    return out


def test_the_database_counts_every_window_as_the_domain_does(make_uow: MakeUow) -> None:
    calls = mixed(400, seed=7)
    put(make_uow, calls)
    starts = window_starts(NOW, TZ)
    with make_uow(read_only=True) as uow:
        counted = uow.calls.totals(
            numbers=[NUMBER], imeis=[IMEI], starts=starts, until=NOW, exclude="C-3"
        )
        only_number = uow.calls.totals(numbers=[NUMBER], imeis=[], starts=starts, until=NOW)
    expected = count_windows([c for c in calls if c.contact_id != "C-3"], starts, NOW)
    assert counted == expected
    assert counted["last_30_days"].calls > 200  # a real test: most calls fall in the window
    by_number = count_windows([c for c in calls if c.number == NUMBER], starts, NOW)
    assert only_number == by_number


def test_the_newest_calls_and_every_notable_one(make_uow: MakeUow) -> None:
    calls = mixed(300, seed=3)
    put(make_uow, calls)
    since = NOW - MONTH
    inside = sorted(
        (c for c in calls if c.number == NUMBER and since <= c.offered_at <= NOW),
        key=lambda c: (c.offered_at, c.contact_id),
    )
    with make_uow(read_only=True) as uow:
        found, everything = uow.calls.latest(
            Identifier(IdentifierKind.NUMBER, NUMBER), since=since, until=NOW, newest=25
        )
    older = [c for c in inside[:-25] if notable(c)]
    assert older, "a real test: some older calls are notable and some are not"
    assert len(older) < len(inside) - 25
    assert found == older + inside[-25:]
    assert not everything
    with make_uow(read_only=True) as uow:
        assert uow.calls.latest(
            Identifier(IdentifierKind.NUMBER, NUMBER), since=since, until=NOW, newest=len(inside)
        ) == (inside, True)


def test_a_busy_number_is_listed_in_part_but_counted_and_flagged_in_full(
    make_uow: MakeUow, policy: Policy
) -> None:
    # a handset ringing silently every 5 minutes for a day, after a vulnerable caller's call
    busy = [silent(f"C-s{i}", NOW - timedelta(minutes=5 * (i + 1))) for i in range(MAX_LISTED + 60)]
    old = inappropriate("C-vuln", NOW - timedelta(days=20), VulnerabilityFlag.MENTAL_HEALTH)
    other = silent("C-other", NOW - timedelta(hours=1), number=NEW_NUMBER)
    put(make_uow, [*busy, old, other])
    config = load_nuisance_config("dcp-p-042", policy)
    with make_uow(read_only=True) as uow:
        found = lookup(uow, [Identifier(IdentifierKind.NUMBER, NUMBER)], NOW, config)
    history = found.history
    assert len(history.calls) == MAX_LISTED + 1  # the newest ones and the notable one
    assert "C-vuln" in {c.contact_id for c in history.calls}
    assert history.window("last_30_days").calls == len(busy) + 1
    assert history.window("last_hour").calls == 12  # 5, 10, ... 60 minutes ago
    assert history.left_out == len(busy) + 1 - len(history.calls)
    kinds = {flag.kind for flag in found.flags}
    assert NuisanceKind.VULNERABLE_PERSON in kinds  # the old vulnerable call still counts


def test_a_number_under_the_limit_is_read_whole(make_uow: MakeUow, policy: Policy) -> None:
    calls = [silent(f"C-{i}", NOW - timedelta(hours=i + 1)) for i in range(MAX_LISTED)]
    put(make_uow, calls)
    config = load_nuisance_config("dcp-p-042", policy)
    with make_uow(read_only=True) as uow:
        found = lookup(uow, [Identifier(IdentifierKind.NUMBER, NUMBER)], NOW, config)
    assert len(found.history.calls) == MAX_LISTED and found.history.left_out == 0
