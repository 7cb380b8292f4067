"""Properties of any simulated room: every contact offered is answered, abandoned or still
waiting at the end; nobody answers a channel without the skill; handlers are never busier than
on duty; runs are reproducible."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlroom.domain.planning.model import (
    INTERVALS_PER_DAY,
    INTERVALS_PER_WEEK,
    Channel,
    ChannelModel,
    ContactKind,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)
from controlroom.domain.planning.simulation import run, simulate

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

durations = st.one_of(
    st.builds(Duration, st.just(DistributionKind.EXPONENTIAL), st.floats(5, 900)),
    st.builds(Duration, st.just(DistributionKind.LOGNORMAL), st.floats(5, 900), st.floats(0, 600)),
    st.lists(st.floats(0, 1200), min_size=2, max_size=6).map(
        lambda q: Duration(DistributionKind.EMPIRICAL, 0.0, 0.0, tuple(sorted(q)))
    ),
)


def daily(values: list[float] | list[int]) -> tuple:  # type: ignore[type-arg]
    """A week from four six-hour blocks repeated each day."""
    return tuple(values[(i % INTERVALS_PER_DAY) // 12] for i in range(INTERVALS_PER_WEEK))


@st.composite
def rooms(draw: st.DrawFn) -> RoomModel:
    chosen = draw(st.lists(st.sampled_from(list(Channel)), min_size=1, max_size=3, unique=True))
    channels = []
    for which in chosen:
        shares = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
        kinds = tuple(
            ContactKind(
                f"k{n}", s / sum(shares), draw(durations), inappropriate=draw(st.booleans())
            )
            for n, s in enumerate(shares)
        )
        channels.append(
            ChannelModel(
                channel=which,
                arrivals=daily(draw(st.lists(st.floats(0, 12), min_size=4, max_size=4))),
                kinds=kinds,
                patience=draw(st.one_of(st.none(), durations)),
                answer_within_seconds=draw(st.floats(0, 120)),
                target_share=0.8,
            )
        )
    groups = [
        HandlerGroup(
            f"g{n}",
            tuple(draw(st.lists(st.sampled_from(list(Channel)), min_size=1, unique=True))),
            daily(draw(st.lists(st.integers(0, 3), min_size=4, max_size=4))),
        )
        for n in range(draw(st.integers(1, 3)))
    ]
    # someone answers every channel at least part of the day, as the model checks require
    groups.append(HandlerGroup("cover", tuple(chosen), daily([1, 0, 1, 1])))
    return RoomModel(channels=tuple(channels), groups=tuple(groups))


@SETTINGS
@given(rooms(), st.integers(0, 2**32))
def test_every_contact_is_answered_abandoned_or_still_waiting(model: RoomModel, seed: int) -> None:
    tally = run(model, weeks=1, seed=seed)
    for at, offered in enumerate(tally.offered):
        accounted = tally.answered[at] + tally.abandoned[at] + tally.waiting_at_end[at]
        assert accounted == offered
        assert tally.in_target[at] <= tally.answered[at]


@SETTINGS
@given(rooms(), st.integers(0, 2**32))
def test_nobody_answers_a_channel_without_the_skill(model: RoomModel, seed: int) -> None:
    result = simulate(model, weeks=1, seed=seed)
    served = {c.channel for c in model.channels if sum(c.arrivals) > 0}
    for g in model.groups:
        rows = result.for_group(g.name)
        if not served & set(g.skills):
            assert all(r.busy_seconds == 0 for r in rows)
        for r in rows:
            assert r.busy_seconds <= r.on_duty_seconds + 1e-6
            assert r.inappropriate_seconds <= r.busy_seconds + 1e-6
    wasted = any(k.inappropriate for c in model.channels for k in c.kinds)
    if not wasted:
        assert result.inappropriate_handler_hours == 0


@settings(max_examples=15, deadline=None)
@given(rooms(), st.integers(0, 2**32))
def test_a_run_is_reproducible(model: RoomModel, seed: int) -> None:
    assert simulate(model, weeks=1, seed=seed) == simulate(model, weeks=1, seed=seed)
