"""The rolling-restart drill in the suite (bounded): a telephony replay through nginx while
every instance restarts in turn and one is killed; nothing acknowledged is lost or stored twice
(bench/restart_drill.py runs it longer and records the figures in docs/benchmarks.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.deploy.conftest import Layout

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from restart_drill import drill  # type: ignore[import-not-found]


def test_a_rolling_restart_and_a_kill_lose_no_acknowledged_event(deployed: Layout) -> None:
    figures = drill(deployed, calls=60, rate=30)
    assert figures.problems == []
    assert figures.events > 150 and figures.restarts == 2 and figures.kills == 1
    assert figures.stored == figures.events - figures.duplicates
