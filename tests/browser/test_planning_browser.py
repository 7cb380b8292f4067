"""The planning page in a browser: a supervisor runs the baseline, then a scenario, and sees the
plots and figures change; bad input is named on the page.

With ``CONTROLROOM_SCREENSHOTS=<folder>`` the page is saved there as ``console-planning.png``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CONTROLROOM_SCREENSHOTS")


def figures(page: Any) -> dict[str, list[str]]:
    """The figures table: each row's label and its values."""
    rows = page.locator("#plan-figures tbody tr").all()
    out = {}
    for row in rows:
        cells = row.locator("th, td").all_inner_texts()
        out[cells[0]] = cells[1:]
    return out


def run(page: Any) -> None:
    with page.expect_navigation():
        page.click("#plan-run")
    page.wait_for_selector("#plan-results, #plan-error")


def test_a_scenario_changes_the_plots_and_figures(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "supervisor")
    page.goto(live_server.url + "/console/supervisor")
    with page.expect_navigation():
        page.click("nav a:has-text('Planning')")
    assert page.url.endswith("/console/planning")

    # the baseline alone: every change set to nothing
    page.fill("#p-move", "0")
    page.fill("#p-add", "0")
    page.fill("#p-surge", "0")
    page.fill("#p-weeks", "1")
    run(page)
    alone = figures(page)
    assert all(len(values) == 1 for values in alone.values())
    assert page.locator("#plan-results .chart svg").count() == 4
    assert page.locator("#plan-results polyline[stroke-dasharray]").count() == 0

    # the scenario: 30% of inappropriate 999 calls to 101, two handlers on Friday and
    # Saturday nights
    page.fill("#p-move", "30")
    page.fill("#p-add", "2")
    page.check("input[name=add_days][value=fri]")
    page.check("input[name=add_days][value=sat]")
    run(page)
    both = figures(page)
    assert all(len(values) == 2 for values in both.values())
    label = "handler-hours on inappropriate calls a week"
    baseline, scenario = (float(value) for value in both[label])
    assert baseline == float(alone[label][0])  # the same seed, the same baseline
    assert scenario < baseline
    on_duty = [int(value) for value in both["handler-hours on duty a week"]]
    assert on_duty[1] - on_duty[0] == 32
    assert page.locator("#plan-results polyline[stroke-dasharray]").count() >= 4  # the dashed lines
    assert "scenario (dashed)" in page.inner_text("#plan-results")
    assert (
        page.locator("a:has-text('Download CSV')")
        .get_attribute("href")
        .startswith("/console/planning.csv?")
    )
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 1400})
        page.screenshot(path=str(Path(SHOTS) / "console-planning.png"), full_page=False)

    page.fill("#p-add-from", "18:10")
    run(page)
    assert "Add handlers: from: '18:10' is not a time on the half hour" in page.inner_text(
        "#plan-error"
    )
    assert page.locator("#plan-results").count() == 0
