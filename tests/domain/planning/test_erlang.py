"""Erlang C and Erlang A against textbook values and against the queue's birth-death chain
solved directly, and stable for hundreds of handlers."""

from __future__ import annotations

import math

import pytest

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.erlang import erlang_a, erlang_b, erlang_c


def birth_death(rate: float, handling: float, patience: float, handlers: int) -> list[float]:
    """Stationary chances of 0, 1, 2 ... contacts in an M/M/n+M room, by brute force."""
    mu, theta = 1 / handling, 1 / patience
    weights = [1.0]
    for j in range(1, 4000):
        leave = min(j, handlers) * mu + max(j - handlers, 0) * theta
        weights.append(weights[-1] * rate / leave)
        if weights[-1] < 1e-300:
            break
    total = sum(weights)
    return [w / total for w in weights]


def test_erlang_b_and_c_match_published_tables() -> None:
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=1e-6)
    # 10 erlangs on 12 handlers: chance of waiting 0.4494 (standard Erlang C tables)
    figures = erlang_c(10 / 180, 180.0, 12, 20.0)
    assert figures.wait_probability == pytest.approx(0.4494, abs=1e-4)
    assert figures.mean_wait == pytest.approx(0.4494 * 180 / 2, rel=1e-3)
    assert figures.service_level == pytest.approx(1 - 0.4494 * math.exp(-2 / 180 * 20), abs=1e-4)


@pytest.mark.parametrize(
    ("rate", "handling", "patience", "handlers"),
    [(1 / 60, 240.0, 60.0, 5), (0.1, 300.0, 120.0, 30), (0.34, 300.0, 180.0, 100)],
)
def test_erlang_a_matches_the_birth_death_chain(
    rate: float, handling: float, patience: float, handlers: int
) -> None:
    states = birth_death(rate, handling, patience, handlers)
    waiting = sum(states[handlers:])
    queue = sum((j - handlers) * p for j, p in enumerate(states) if j > handlers)
    figures = erlang_a(rate, handling, patience, handlers, 10.0)
    assert figures.wait_probability == pytest.approx(waiting, rel=1e-9)
    # those who give up leave at rate queue / patience: Little's law gives their share
    assert figures.abandon_share == pytest.approx(queue / patience / rate, rel=1e-9)
    assert 1 - waiting < figures.service_level < 1 - figures.abandon_share


def test_erlang_a_becomes_erlang_c_as_patience_grows() -> None:
    a = erlang_a(0.09, 300.0, 1e9, 30, 10.0)
    c = erlang_c(0.09, 300.0, 30, 10.0)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-5)
    assert a.mean_wait == pytest.approx(c.mean_wait, rel=1e-4)
    assert a.abandon_share < 1e-5


def test_five_hundred_handlers_give_finite_figures_that_improve_with_each_handler() -> None:
    levels = []
    for handlers in range(455, 505, 5):
        a = erlang_a(450 / 300, 300.0, 120.0, handlers, 10.0)
        c = erlang_c(450 / 300, 300.0, handlers, 10.0)
        for figure in (a.service_level, a.wait_probability, a.abandon_share, c.service_level):
            assert 0.0 <= figure <= 1.0
        assert math.isfinite(a.mean_wait) and math.isfinite(c.mean_wait)
        assert a.service_level >= c.service_level
        levels.append(a.service_level)
    assert levels == sorted(levels)
    assert levels[0] < 0.95 and levels[-1] > 0.998


def test_an_overloaded_queue_without_patience_never_meets_a_standard() -> None:
    figures = erlang_c(1.0, 300.0, 250, 10.0)
    assert figures.service_level == 0.0
    assert figures.mean_wait == math.inf
    # with patience the queue settles: most give up, some are answered
    a = erlang_a(1.0, 300.0, 60.0, 250, 10.0)
    assert 0.0 < a.service_level < 0.5 and a.abandon_share > 0.1


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((-1.0, 300.0, 5, 10.0), "arrival rate"),
        ((0.1, 0.0, 5, 10.0), "handling"),
        ((0.1, 300.0, -2, 10.0), "handlers"),
        ((0.1, 300.0, 5, math.nan), "within"),
    ],
)
def test_bad_figures_are_refused_naming_the_field(
    args: tuple[float, float, int, float], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        erlang_c(*args)
    assert caught.value.field == field
    with pytest.raises(InvalidInput, match="patience"):
        erlang_a(0.1, 300.0, 0.0, 5, 10.0)
