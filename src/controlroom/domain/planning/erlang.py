"""Erlang's formulas for one queue with ``n`` handlers, Poisson arrivals and exponential
handling times: Erlang C (M/M/n, nobody gives up) and Erlang A (M/M/n+M, callers give up after
an exponential patience).

Everything is worked in logarithms (Erlang B by its recursion on ``log(1/B)``, the incomplete
gamma function by its series or continued fraction), so the figures stay exact to rounding for
hundreds of handlers and loads where ``n!`` or ``e**(arrival/patience)`` would overflow.

Erlang A follows Palm's model as summarised by Mandelbaum and Zeltyn: with ``x = n*mu/theta``
and ``y = lambda/theta``, the chance of waiting more than ``t`` before a handler would be free
is proportional to the lower incomplete gamma ``gamma(x, y*exp(-theta*t))``; a caller is served
if the patience outlasts that wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from controlroom.domain.errors import InvalidInput

_EPS = 1e-15
#: Bound on the terms of a series or continued fraction (they converge in far fewer).
_MAX_TERMS = 1_000_000


@dataclass(frozen=True)
class QueueFigures:
    """What one queue's formula predicts for a single arriving contact.

    ``service_level``: chance of being answered within the time asked (abandoning counts
    against); ``wait_probability``: chance of not being answered at once; ``mean_wait``: mean
    answer time of answered contacts (seconds; ``inf`` when the queue grows without bound);
    ``abandon_share``: chance of giving up.
    """

    service_level: float
    wait_probability: float
    mean_wait: float
    abandon_share: float


def _check(rate: float, handling: float, handlers: int, within: float) -> None:
    for name, value in (("arrival rate", rate), ("within", within)):
        if not math.isfinite(value) or value < 0:
            raise InvalidInput(f"{name} must be a non-negative number, not {value}", field=name)
    if not math.isfinite(handling) or handling <= 0:
        raise InvalidInput(f"mean handling time must be positive, not {handling}", field="handling")
    if not isinstance(handlers, int) or handlers < 0:
        raise InvalidInput(f"handlers must be a whole number, not {handlers}", field="handlers")


def log_inverse_erlang_b(handlers: int, load: float) -> float:
    """``log(1/B(n, a))``: B is the chance that all ``n`` handlers are busy when ``load`` erlangs
    are offered and contacts finding no handler are lost."""
    if load <= 0:
        return math.inf if handlers > 0 else 0.0
    value = 0.0  # 1/B(0) = 1
    for j in range(1, handlers + 1):
        step = math.log(j / load) + value
        value = step + math.log1p(math.exp(-step)) if step > -700 else math.exp(step)
    return value


def erlang_b(handlers: int, load: float) -> float:
    """Erlang B: the chance a contact finds all ``handlers`` busy (lost-calls model)."""
    return math.exp(-log_inverse_erlang_b(handlers, load))


def erlang_c(rate: float, handling: float, handlers: int, within: float) -> QueueFigures:
    """Erlang C for ``rate`` contacts a second each taking ``handling`` seconds on average,
    answered by ``handlers``; service level within ``within`` seconds."""
    _check(rate, handling, handlers, within)
    load = rate * handling
    if rate == 0:
        return QueueFigures(1.0, 0.0, 0.0, 0.0)
    if handlers <= load:
        return QueueFigures(0.0, 1.0, math.inf, 0.0)
    b = erlang_b(handlers, load)
    rho = load / handlers
    c = b / (1.0 - rho * (1.0 - b))
    drain = handlers / handling - rate
    return QueueFigures(
        service_level=max(0.0, 1.0 - c * math.exp(-drain * within)),
        wait_probability=c,
        mean_wait=c / drain,
        abandon_share=0.0,
    )


def log_lower_gamma(a: float, x: float) -> float:
    """``log`` of the lower incomplete gamma function ``gamma(a, x)`` for ``a > 0, x >= 0``."""
    if x <= 0:
        return -math.inf
    log_prefix = a * math.log(x) - x
    if x < a + 1.0:  # series: gamma(a,x) = x^a e^-x sum x^n / (a (a+1) ... (a+n))
        term = total = 1.0 / a
        n = a
        for _ in range(_MAX_TERMS):
            n += 1.0
            term *= x / n
            total += term
            if term < total * _EPS:
                break
        return log_prefix + math.log(total)
    # continued fraction (modified Lentz) for the upper function, then gamma = Gamma - upper
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    log_upper = log_prefix + math.log(h)
    log_full = math.lgamma(a)
    return log_full + math.log1p(-math.exp(log_upper - log_full))


def _logsumexp(*values: float) -> float:
    top = max(values)
    if top == -math.inf:
        return top
    return top + math.log(sum(math.exp(v - top) for v in values))


def _logdiffexp(big: float, small: float) -> float:
    if small == -math.inf:
        return big
    if small >= big:  # equal to rounding: the difference is lost, and is about nothing
        return -math.inf
    return big + math.log1p(-math.exp(small - big))


@dataclass(frozen=True)
class _Palm:
    """Erlang A's terms in logarithms, relative to the chance that exactly ``n`` are busy."""

    x: float
    y: float
    theta: float
    log_idle: float  # all states with a free handler
    log_waiting: float  # A(x, y): all states where an arrival waits
    log_total: float
    log_y: float


def _palm(rate: float, handling: float, patience: float, handlers: int) -> _Palm:
    theta = 1.0 / patience
    x = handlers / handling / theta
    y = rate / theta
    log_y = math.log(y)
    log_inverse_b = log_inverse_erlang_b(handlers, rate * handling)
    log_idle = log_inverse_b + math.log1p(-math.exp(-log_inverse_b))
    log_waiting = math.log(x) + y - x * log_y + log_lower_gamma(x, y)
    return _Palm(x, y, theta, log_idle, log_waiting, _logsumexp(log_idle, log_waiting), log_y)


def _served_from_queue(p: _Palm, within: float) -> float:
    """log of the (relative) chance of being answered after waiting, within ``within`` seconds."""
    head = math.log(p.x) + p.y - (p.x + 1.0) * p.log_y
    full = log_lower_gamma(p.x + 1.0, p.y)
    if math.isinf(within):
        return head + full
    late = log_lower_gamma(p.x + 1.0, p.y * math.exp(-p.theta * within))
    return head + _logdiffexp(full, late)


def _mean_wait_served(p: _Palm, steps: int = 4000) -> float:
    """log of E[wait; answered] times the normalising total, by Simpson's rule over the smooth
    density of the wait of those answered (in units of mean patience)."""

    def phi(u: float) -> float:
        return p.y - (p.x + 1.0) * u - p.y * math.exp(-u)

    peak = max(0.0, math.log(p.y / (p.x + 1.0)))
    top = phi(peak)
    width = 1.0 / math.sqrt(p.x + 1.0)
    hi = peak + width
    while phi(hi) > top - 60.0:
        hi = peak + 2.0 * (hi - peak)
    lo = max(0.0, peak - width)
    while lo > 0.0 and phi(lo) > top - 60.0:
        lo = max(0.0, peak - 2.0 * (peak - lo))
    h = (hi - lo) / steps
    total = 0.0
    for j in range(steps + 1):
        u = lo + j * h
        weight = 1.0 if j in (0, steps) else (4.0 if j % 2 else 2.0)
        total += weight * u * math.exp(phi(u) - top)
    if total <= 0.0:
        return -math.inf
    return math.log(total * h / 3.0) + top + math.log(p.x) - math.log(p.theta)


def erlang_a(
    rate: float, handling: float, patience: float, handlers: int, within: float
) -> QueueFigures:
    """Erlang A: as :func:`erlang_c`, with callers giving up after an exponential patience of
    mean ``patience`` seconds."""
    _check(rate, handling, handlers, within)
    if not math.isfinite(patience) or patience <= 0:
        raise InvalidInput(f"mean patience must be positive, not {patience}", field="patience")
    if rate == 0:
        return QueueFigures(1.0, 0.0, 0.0, 0.0)
    if handlers == 0:
        return QueueFigures(0.0, 1.0, math.inf, 1.0)
    p = _palm(rate, handling, patience, handlers)
    log_served_queue = _served_from_queue(p, math.inf)
    abandon = math.exp(_logdiffexp(p.log_waiting, log_served_queue) - p.log_total)
    served = 1.0 - abandon
    mean_wait = math.exp(_mean_wait_served(p) - p.log_total) / served if served > 0 else math.inf
    return QueueFigures(
        service_level=erlang_a_service_level(rate, handling, patience, handlers, within),
        wait_probability=math.exp(p.log_waiting - p.log_total),
        mean_wait=mean_wait,
        abandon_share=abandon,
    )


def erlang_a_service_level(
    rate: float, handling: float, patience: float, handlers: int, within: float
) -> float:
    """Erlang A's service level alone (cheaper than :func:`erlang_a`)."""
    if rate == 0:
        return 1.0
    if handlers == 0:
        return 0.0
    p = _palm(rate, handling, patience, handlers)
    answered = math.exp(p.log_idle - p.log_total)
    answered += math.exp(_served_from_queue(p, within) - p.log_total)
    return min(1.0, answered)
