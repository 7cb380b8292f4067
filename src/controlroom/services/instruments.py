"""Where the service reports what it measures: the :class:`Instruments` port, and the one set of
instruments this process uses (:func:`instruments`, replaced by :func:`install_instruments`).

The use cases call it at the few places a figure is known only there (how long triage took);
everything that follows from committed domain events is counted from the events themselves.
Until something is installed the instruments measure nothing, so services and tests need no
set-up. Labels are always from bounded sets (channels, routes, event types), never ids or
telephone numbers.
"""

from __future__ import annotations

from typing import Protocol


class Instruments(Protocol):
    """Figures the services, the HTTP layer and the telephony intake report."""

    def triaged(self, seconds: float, count: int) -> None:
        """Triage read ``count`` texts in ``seconds``."""

    def refused(self, paragraph: str) -> None:
        """A procedure refused an action, citing ``paragraph`` of the policy."""

    def telephony_event(self, kind: str, result: str, seconds: float) -> None:
        """A telephony event of type ``kind`` was answered (``result``) after ``seconds``."""


class NoInstruments:
    """Measures nothing (until real instruments are installed)."""

    def triaged(self, seconds: float, count: int) -> None:
        """Nothing."""

    def refused(self, paragraph: str) -> None:
        """Nothing."""

    def telephony_event(self, kind: str, result: str, seconds: float) -> None:
        """Nothing."""


_current: list[Instruments] = [NoInstruments()]


def instruments() -> Instruments:
    """This process's instruments."""
    return _current[0]


def install_instruments(chosen: Instruments) -> None:
    """Use ``chosen`` from now on, in the whole process."""
    _current[0] = chosen
