"""The supervisor's figures at 1280x720, as a supervisor sees them: each handler's contacts,
answer times and inappropriate-999 outcomes, the 101 service level beside the 999 one, and
plots whose labels are large enough to read and never overlap.

With ``CONTROLROOM_SCREENSHOTS=<folder>`` the handlers' table is saved there as
``console-supervisor-handlers.png``.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from controlroom.domain.contacts import Actor, Role
from controlroom.services import accounts
from tests.browser.conftest import LiveServer, sign_in

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CONTROLROOM_SCREENSHOTS")
ADMIN = Actor("cli:figures-tests", Role.ADMIN)
#: Every label of every plot: its drawn font size (CSS size times the SVG's scale) and box.
LABELS = """() => Array.from(document.querySelectorAll('.chart svg')).map((svg) => {
  const scale = svg.getScreenCTM().a;
  return Array.from(svg.querySelectorAll('text')).map((t) => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
            left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  });
})"""


def handler(server: LiveServer, name: str) -> dict[str, str]:
    """A new call handler's API headers."""
    factory = server.app.state.uow_factory
    accounts.add_user(factory(), ADMIN, name, Role.CALL_HANDLER.value)
    token = accounts.create_token(factory(), ADMIN, name, Role.CALL_HANDLER.value)[1]
    return {"Authorization": f"Bearer {token}"}


def telephony(server: LiveServer, kind: str, call_id: str, at: datetime, **more: Any) -> Any:
    """Telephony reports an event on ``call_id`` at ``at``; the service's answer."""
    event = {
        "id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at.isoformat().replace("+00:00", "Z"),
        "call_id": call_id,
        **more,
    }
    answer = server.api("POST", "/api/telephony/events", "integration", json=event)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def answered_call(server: LiveServer, by: str, wait: float, at: datetime, channel: str) -> str:
    """A call offered ``wait`` seconds before ``at`` and answered by ``by`` at ``at``."""
    call_id = f"PBX-{uuid.uuid4().hex[:8]}"
    number = f"+4477009{uuid.uuid4().int % 100_000:05d}"
    caller = {"number": number}
    offered = at - timedelta(seconds=wait)
    made = telephony(server, "call.offered", call_id, offered, channel=channel, caller=caller)
    telephony(server, "call.answered", call_id, at, channel=channel, caller=caller, agent=by)
    return str(made["contact_id"])


def act(server: LiveServer, headers: dict[str, str], contact: str, **body: Any) -> None:
    """Apply an action through the API as the handler ``headers`` authenticate."""
    url = f"{server.url}/api/contacts/{contact}/actions"
    answer = httpx.post(url, headers=headers, json=body, timeout=10)
    assert answer.status_code == 200, answer.text


def inappropriate(server: LiveServer, headers: dict[str, str], contact: str) -> None:
    """Take an answered 999 call to the §4.12 advice, after the 4.12.3 assessment."""
    act(server, headers, contact, action="update_narrative", text="My neighbour's music is loud")
    act(
        server,
        headers,
        contact,
        action="assess",
        grade="resolution_without_deployment",
        reason="not an emergency",
    )
    act(
        server,
        headers,
        contact,
        action="record_considerations",
        serious=False,
        seriousness="noise, nothing in progress",
        condition_concern=False,
        condition="calm",
        vulnerable=False,
        age_vulnerability="adult",
    )
    act(server, headers, contact, action="advise", to="101")


def service_101(page: Any) -> tuple[int, int]:
    """The 101 tile's "within of answered"."""
    found = re.match(r"(\d+) of (\d+) answered", page.inner_text("#tile-101 .small"))
    assert found is not None
    return int(found.group(1)), int(found.group(2))


def test_each_handlers_figures_the_101_level_and_readable_plots(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "supervisor")
    page.goto(live_server.url + "/console/supervisor")
    within_before, answered_before = service_101(page)
    alice, bob = handler(live_server, "fig-alice"), handler(live_server, "fig-bob")
    at = datetime.now(UTC) - timedelta(minutes=2)
    # alice: 999 calls answered after 4 s and 12 s; the second advised, warned and terminated
    answered_call(live_server, "fig-alice", 4, at, "999")
    ended = answered_call(live_server, "fig-alice", 12, at, "999")
    inappropriate(live_server, alice, ended)
    act(live_server, alice, ended, action="warn")
    act(live_server, alice, ended, action="terminate")
    # bob: a 999 call after 6 s, advised and then logged (4.12.2); 101 calls after 20 s and 90 s
    logged = answered_call(live_server, "fig-bob", 6, at, "999")
    inappropriate(live_server, bob, logged)
    act(live_server, bob, logged, action="log_incident", grade="scheduled", reason="a burglary")
    answered_call(live_server, "fig-bob", 20, at, "101")
    answered_call(live_server, "fig-bob", 90, at, "101")

    page.goto(live_server.url + "/console/supervisor")
    heads = [page.inner_text(f"#handlers thead th >> nth={n}") for n in range(9)]
    assert heads == [
        "Handler",
        "Contacts",
        "Median answer",
        "90th percentile",
        "Inappropriate 999",
        "Advised",
        "Warned",
        "Terminated",
        "Logged",
    ]
    rows = {
        name: page.locator(f'#handlers tr[data-handler="{name}"] > *').all_inner_texts()
        for name in ("fig-alice", "fig-bob")
    }
    assert rows["fig-alice"] == ["fig-alice", "2", "8.0 s", "12.0 s", "1", "1", "1", "1", "0"]
    assert rows["fig-bob"] == ["fig-bob", "3", "20.0 s", "90.0 s", "1", "1", "0", "0", "1"]

    # the 101 service level (the seed policy: 80% within 60 s) stands beside the 999 one
    assert "101 answered within 60 s (standard 80%)" in page.inner_text("#tile-101 .label")
    within, answered = service_101(page)
    assert (within - within_before, answered - answered_before) == (1, 2)
    assert page.inner_text("#fig-within-101") == f"{100 * within / answered:.1f}%"
    tile_999 = page.locator(".tile", has=page.locator("#fig-within")).bounding_box()
    tile_101 = page.locator("#tile-101").bounding_box()
    assert tile_101["y"] == tile_999["y"] and tile_101["x"] > tile_999["x"]
    assert tile_101["x"] - (tile_999["x"] + tile_999["width"]) < 20  # next to it

    # every plot label is drawn at 12px or more, and no two labels of a plot touch
    plots = page.evaluate(LABELS)
    assert len(plots) == 4
    for labels in plots:
        assert labels, "a plot without labels"
        small = [(label["text"], round(label["px"], 1)) for label in labels if label["px"] < 12]
        assert not small, small
        for one, other in ((a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]):
            apart = (
                one["right"] <= other["left"]
                or other["right"] <= one["left"]
                or one["bottom"] <= other["top"]
                or other["bottom"] <= one["top"]
            )
            assert apart, (one["text"], other["text"])
    legend = page.evaluate(
        "() => Math.min(...Array.from(document.querySelectorAll('.chart .legend'))"
        ".map((l) => parseFloat(getComputedStyle(l).fontSize)))"
    )
    assert legend >= 12
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.locator("#handlers").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(SHOTS) / "console-supervisor-handlers.png"))


def test_the_figures_api_gives_the_same_figures(live_server: LiveServer) -> None:
    at = datetime.now(UTC) - timedelta(minutes=1)
    handler(live_server, "fig-carol")
    answered_call(live_server, "fig-carol", 3, at, "101")
    answer = live_server.api("GET", "/api/figures", "supervisor")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [line["line"] for line in body["service_levels"]] == ["999", "101"]
    assert body["service_levels"][1]["target_seconds"] == 60
    (carol,) = [item for item in body["handlers"] if item["handler"] == "fig-carol"]
    assert carol["contacts"] == 1 and carol["median_answer_seconds"] == 3.0
    refused = live_server.api("GET", "/api/figures", "call_handler")
    assert refused.status_code == 403
