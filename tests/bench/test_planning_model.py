"""The benchmark's Met-sized room is the room it claims to be."""

from __future__ import annotations

import pytest
from bench.planning_model import met_sized

from controlroom.domain.planning.model import Channel


def test_the_benchmark_room_has_ten_million_contacts_a_year_in_the_stated_shares() -> None:
    model = met_sized(1.0)
    yearly = {c.channel: 52 * sum(c.arrivals) for c in model.channels}
    assert sum(yearly.values()) == pytest.approx(10_000_000, rel=1e-9)
    assert yearly[Channel.EMERGENCY] == pytest.approx(3_000_000, rel=1e-9)
    assert yearly[Channel.NON_EMERGENCY] == pytest.approx(4_500_000, rel=1e-9)
    for c in model.channels:
        assert sum(k.share for k in c.kinds) == pytest.approx(1.0)
        busiest = max(range(336), key=lambda i: c.arrivals[i])
        assert 17 <= (busiest % 48) / 2 <= 23  # the evening
    emergency = model.channel(Channel.EMERGENCY)
    genuine = sum(k.share for k in emergency.kinds if k.genuine_emergency)
    assert genuine == pytest.approx(0.20)


def test_the_benchmark_room_is_staffed_to_follow_demand() -> None:
    model = met_sized(0.5)
    assert [g.skills for g in model.groups] == [(c,) for c in Channel]
    for g, c in zip(model.groups, model.channels, strict=True):
        quiet = min(range(336), key=lambda i: c.arrivals[i])
        busy = max(range(336), key=lambda i: c.arrivals[i])
        assert 0 < g.roster[quiet] < g.roster[busy]
