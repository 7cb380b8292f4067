"""A handler's console and a visitor's live chat, in a real browser through nginx, while every
instance is restarted in turn and then one is killed: the pages say they are reconnecting, are
back within 2 s of an instance going away, and show the same state afterwards; the browser never
sees a 5xx.

The reconnect times are measured in the pages: from the moment the console's "Live updates
paused: reconnecting…" or a chat's "reconnecting…" status appears to the moment it clears.
With ``CONTROLROOM_RECONNECT_FIGURES=<file>`` the measured times are written there as JSON
(docs/deployment.md records them).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import VIEWPORT, sign_in
from tests.deploy.conftest import Layout

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from restart_drill import CONTROLROOM, integration_token  # type: ignore[import-not-found]

pytestmark = pytest.mark.slow

#: The longest a page may take to be live again after its instance went away (issue #19).
RECONNECT_LIMIT_MS = 2000
#: Records when a page shows it is reconnecting and when that clears: ``window.__outages``.
WATCH_RECONNECTS = """
window.__outages = [];
(function () {
  const lost = {
    "live-status": (el) => !el.hidden,
    "chat-status": (el) => /reconnecting/i.test(el.textContent),
  };
  const since = {};
  function check() {
    const now = Date.now();
    for (const id of Object.keys(lost)) {
      const el = document.getElementById(id);
      if (!el) continue;
      if (lost[id](el)) { if (since[id] === undefined) since[id] = now; }
      else if (since[id] !== undefined) {
        window.__outages.push({ what: id, from: since[id], to: now });
        delete since[id];
      }
    }
  }
  window.__stillLost = () => Object.keys(since);
  document.addEventListener("DOMContentLoaded", () => {
    new MutationObserver(check).observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true,
      attributeFilter: ["hidden"],
    });
    check();
  });
})();
"""
#: Each queue row as the handler sees it (rows leaving at the end of a wrap-up are left out:
#: each page removes them on its own clock).
QUEUE_ROWS = """() => Array.from(document.querySelectorAll("#queue .qrow:not(.wrapup)")).map(
  (row) => [row.dataset.id, row.closest("ul, ol").id, row.querySelector(".state").textContent])
  .sort()"""
CHAT_LINES = "items => items.map(i => i.textContent)"
#: Where the public chat page keeps its chat (sessionStorage).
CHAT_KEY = "controlroom.chat"
#: What the pages' sockets did, shown when a reconnection was late.
TRACE: list[str] = []


@pytest.fixture
def people(browser: Any, deployed: Layout) -> Iterator[Any]:
    """``person()``: a new browser of its own on the layout (its certificate is self-signed),
    whose 5xx answers are collected in ``people.errors``."""
    contexts: list[Any] = []
    errors: list[str] = []

    def seen(response: Any) -> None:
        if response.status >= 500:
            errors.append(f"{response.status} {response.request.method} {response.url}")

    def socket(ws: Any) -> None:
        def note(what: str) -> None:
            TRACE.append(f"{time.time() * 1000:.0f} socket {what}")

        note("opening")
        ws.on("framereceived", lambda frame: note(f"frame {str(frame)[:60]}"))
        ws.on("socketerror", lambda error: note(f"error {error}"))
        ws.on("close", lambda _: note("closed"))

    def person() -> Any:
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB", ignore_https_errors=True)
        context.set_default_timeout(15_000)
        context.add_init_script(WATCH_RECONNECTS)
        context.on("response", seen)
        context.on("page", lambda page: page.on("websocket", socket))
        contexts.append(context)
        return context.new_page()

    person.errors = errors  # type: ignore[attr-defined]
    yield person
    for context in contexts:
        context.close()


def replay(deployed: Layout) -> subprocess.Popen[str]:
    """Telephony events through nginx at a steady rate, calls answered by the demo handler."""
    token = integration_token(deployed)
    command = [CONTROLROOM, "replay", "--url", deployed.url, "--token", token]
    command += ["--calls", "24", "--rate", "6", "--seed", "11", "--retries", "8"]
    return subprocess.Popen(
        command,
        env={**deployed.env, "SSL_CERT_FILE": str(deployed.certificate)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outages(*pages: Any, after_ms: float) -> list[dict[str, Any]]:
    """The reconnections the pages went through since ``after_ms`` (epoch milliseconds)."""
    found = []
    for name, page in pages:
        for outage in page.evaluate("window.__outages"):
            if outage["from"] >= after_ms - 50:
                found.append({"page": name, **outage})
    return found


def wait_live(*pages: Any) -> None:
    """Wait until no page shows it is reconnecting (at most a few seconds)."""
    deadline = time.monotonic() + 10
    while any(page.evaluate("window.__stillLost()") for _, page in pages):
        assert time.monotonic() < deadline, "a page is still reconnecting after 10 s"
        time.sleep(0.1)


def evidence(deployed: Layout) -> str:
    """What nginx and the instances said went wrong, for a failure's message."""
    logs = deployed.folder / "logs"
    lines = (logs / "error.log").read_text(errors="replace").splitlines()[-20:]
    for log in sorted(logs.glob("instance-*.log")):
        lines += [
            f"{log.name}: {line}"
            for line in log.read_text(errors="replace").splitlines()
            if '" 50' in line or "WARNING" in line or "ERROR" in line or '"warning"' in line
        ][-15:]
    return "\n".join(TRACE[-30:] + lines)


def check_back_in_time(
    deployed: Layout, found: list[dict[str, Any]], went_away_ms: float, what: str
) -> list[str]:
    """Every reconnection began by ``went_away_ms`` was over within the limit: their times."""
    times = [round(outage["to"] - went_away_ms) for outage in found]
    late = [o for o, took in zip(found, times, strict=True) if took > RECONNECT_LIMIT_MS]
    assert not late, f"{what}: back later than {RECONNECT_LIMIT_MS} ms: {late}\n" + evidence(
        deployed
    )
    return [f"{o['page']} {o['what']} {took}" for o, took in zip(found, times, strict=True)]


def test_console_and_chat_reconnect_through_a_rolling_restart_and_a_kill(
    deployed: Layout, people: Any
) -> None:
    handler, visitor = people(), people()
    sign_in(handler, deployed, "handler")
    handler.goto(deployed.url + "/console/handler")
    handler.wait_for_selector("#queue")

    visitor.goto(deployed.url + "/public/chat")
    time.sleep(2.5)  # a person reads the page before writing: a faster start is refused
    visitor.fill("#f-first", "Someone keeps letting my tyres down at night")
    visitor.click("#start button")
    visitor.wait_for_selector("#chat-status:has-text('in the queue')")
    chat = visitor.evaluate(f"JSON.parse(sessionStorage.getItem('{CHAT_KEY}')).chat")
    row = handler.locator("#queue-waiting .qrow", has_text="live chat").first
    row.wait_for()
    contact = row.get_attribute("data-id")
    with handler.expect_navigation():
        row.locator("a").click()
    handler.wait_for_selector("#chat-log >> text=letting my tyres down")
    handler.keyboard.press("a")  # answer: takes the chat
    handler.wait_for_selector('#contact-state[data-state="answered"]')
    visitor.wait_for_selector("#chat-status:has-text('chatting with an operator')")
    handler.fill("#f-chat", "Before the restart: where do you park?")
    handler.press("#f-chat", "Enter")
    visitor.wait_for_selector("#chat-log >> text=where do you park?")
    visitor.fill("#f-message", "Before the restart: on Fore Street")
    visitor.click("#send button")
    handler.wait_for_selector("#chat-log .from-visitor >> text=on Fore Street")
    pages = (("handler", handler), ("visitor", visitor))

    # Each instance restarted in turn (SIGTERM) while telephony events arrive.
    calls = replay(deployed)
    time.sleep(2)
    rolling: list[str] = []
    for index in range(len(deployed.instances)):
        went_away = time.time() * 1000
        deployed.restart_instance(index)
        wait_live(*pages)
        found = outages(*pages, after_ms=went_away)
        rolling += check_back_in_time(deployed, found, went_away, f"restart of instance {index}")
        time.sleep(2)  # events reach both instances before the next goes
    out, err = calls.communicate(timeout=300)
    assert calls.returncode == 0, out + err
    lost = {o["page"] + " " + o["what"] for o in outages(*pages, after_ms=0)}
    assert lost == {"handler live-status", "handler chat-status", "visitor chat-status"}, lost

    # The same state as a page loaded now: the queue, and the chat's earlier messages.
    time.sleep(1.5)  # the last events reach the page
    fresh = handler.context.new_page()  # signed in as the handler
    fresh.goto(f"{deployed.url}/console/handler/{contact}")
    fresh.wait_for_selector("#chat-log >> text=on Fore Street")
    assert handler.evaluate(QUEUE_ROWS) == fresh.evaluate(QUEUE_ROWS)
    handler_lines = handler.eval_on_selector_all("#chat-log li", CHAT_LINES)
    assert handler_lines == fresh.eval_on_selector_all("#chat-log li", CHAT_LINES)
    fresh.close()
    assert visitor.evaluate(f"JSON.parse(sessionStorage.getItem('{CHAT_KEY}')).chat") == chat
    visitor_lines = visitor.eval_on_selector_all("#chat-log li", CHAT_LINES)
    assert len(visitor_lines) == len(set(visitor_lines))  # nothing shown twice
    assert any("where do you park?" in line for line in visitor_lines)
    visitor.fill("#f-message", "After the restart: it happened again")
    visitor.click("#send button")
    handler.wait_for_selector("#chat-log .from-visitor >> text=it happened again")
    handler.fill("#f-chat", "After the restart: officers will call round")
    handler.press("#f-chat", "Enter")
    visitor.wait_for_selector("#chat-log >> text=officers will call round")

    # A hard kill of the instance holding the pages' connections (all moved to the first when
    # the second restarted).
    victim = deployed.instances[0]
    went_away = time.time() * 1000
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(timeout=10)
    wait_live(*pages)
    found = outages(*pages, after_ms=went_away)
    assert {o["page"] + " " + o["what"] for o in found} == lost, found  # every one came back
    killed = check_back_in_time(deployed, found, went_away, "kill")
    deployed.instances[0] = deployed.start_instance(victim.port)
    visitor.fill("#f-message", "After the kill: still there?")
    visitor.click("#send button")
    handler.wait_for_selector("#chat-log .from-visitor >> text=still there?")

    assert people.errors == [], people.errors
    figures = os.environ.get("CONTROLROOM_RECONNECT_FIGURES")
    if figures:
        Path(figures).write_text(json.dumps({"rolling_ms": rolling, "kill_ms": killed}) + "\n")
