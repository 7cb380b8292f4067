"""Incident references, finding contacts, THRIVE and whole numbers in a real browser at
1280x720: a handler logs an incident and sees its reference, finds the contact again by the
reference, by the number and by words, reads THRIVE with the evidence marked in the triage
panel, and sees every number in the queue in full."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_console_browser import offer, row, shot, submit

pytestmark = pytest.mark.slow
KNIFE = "A man is waving a knife outside the chip shop on Fore Street right now"
REFERENCE = re.compile(r"DC-\d{8}-\d{4}")


def _search(page: Any, text: str) -> list[str]:
    """Go to the top bar's search box with "/", type ``text`` key by key (the console's
    single-key shortcuts must not fire), press Enter, and give the ids of the contacts found."""
    page.locator("body").click(position={"x": 5, "y": 700})  # nothing focused that takes text
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-q"
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    with page.expect_navigation():
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    page.wait_for_selector("#search-summary")
    found: list[str] = page.eval_on_selector_all(".hit", "els => els.map(el => el.dataset.id)")
    return found


def test_a_logged_incident_shows_its_reference_and_is_found_again(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    contact = offer(live_server, "+447700900113")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    submit(page, "answer")
    page.fill("#f-narrative", KNIFE)
    submit(page, "update_narrative")
    submit(page, "assess")
    assert page.locator("#incident-reference").count() == 0  # none before it is logged
    page.select_option("#f-incident-grade", "immediate")
    submit(page, "log_incident")
    assert page.get_attribute("#contact-state", "data-state") == "incident_logged"
    shown = page.inner_text("#incident-reference .ref")
    assert REFERENCE.fullmatch(shown), shown
    assert page.is_visible("#incident-reference")
    shot(page, "incident-reference")

    assert _search(page, shown.lower()) == [contact]  # typed in lower case: still found
    hit = page.inner_text(f'.hit[data-id="{contact}"]')
    assert shown in hit and "07700 900113" in hit
    shot(page, "search-reference")
    assert contact in _search(page, "07700 900113")
    assert "number 07700 900113" in page.inner_text("#search-summary")
    assert _search(page, "chip shop knife") == [contact]
    marked = page.eval_on_selector_all(
        f'.hit[data-id="{contact}"] .excerpt mark', "els => els.map(el => el.textContent)"
    )
    assert {word.lower() for word in marked} == {"chip", "shop", "knife"}
    with page.expect_navigation():
        page.click(f'.hit[data-id="{contact}"] a')
    assert page.get_attribute(".contact-head", "data-contact") == contact
    assert page.inner_text("#incident-reference .ref") == shown


def test_a_search_with_nothing_to_find_says_what_to_give(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    page.click("#search-q")
    with page.expect_navigation():
        page.keyboard.type("?!")
        page.keyboard.press("Enter")
    alert = page.inner_text("#search-error")
    assert "nothing to search for" in alert and "telephone number" in alert
    assert _search(page, "DC-20200101-0001") == []
    assert "Nothing found" in page.inner_text(".found")


def test_the_triage_panel_shows_thrive_and_the_evidence(
    browser_page: Any, live_server: LiveServer
) -> None:
    page = browser_page
    sign_in(page, live_server, "handler")
    contact = offer(live_server, "+447700900114")
    page.goto(f"{live_server.url}/console/handler/{contact}")
    submit(page, "answer")
    page.fill("#f-narrative", KNIFE)
    submit(page, "update_narrative")
    factors = page.eval_on_selector_all(
        ".triage .tf", "els => els.map(el => [el.dataset.factor, el.dataset.level])"
    )
    names = [name for name, _ in factors]
    assert names == ["threat", "harm", "risk", "investigation", "vulnerability", "engagement"]
    assert dict(factors)["threat"] == "high"
    assert all(level in ("low", "medium", "high") for _, level in factors)
    panel = page.locator(".triage")
    assert panel.locator(".thrive").is_visible()
    box = panel.locator(".thrive").bounding_box()
    assert box is not None and box["height"] < 220  # compact: six short lines
    evidence = page.eval_on_selector_all(
        ".triage .reasons mark.evidence", "els => els.map(el => el.textContent)"
    )
    assert evidence and any("knife" in text.lower() for text in evidence)
    assert panel.locator(".reasons mark.evidence").first.is_visible()  # open, not folded away
    colour = page.eval_on_selector(
        ".triage .reasons mark.evidence", "el => getComputedStyle(el).backgroundColor"
    )
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    shot(page, "thrive")


def test_numbers_are_shown_in_full_in_the_queue(browser_page: Any, live_server: LiveServer) -> None:
    page = browser_page
    calls = [
        (offer(live_server, "+447496881234"), "07496 881234"),
        (offer(live_server, "+33123456789"), "+33 1 23 45 67 89"),
        (offer(live_server, "+447700900181", channel="silent_solution_55"), "07700 900181"),
        (offer(live_server, "+447700900182", channel="emergency_sms"), "07700 900182"),
    ]
    sign_in(page, live_server, "handler")
    assert page.viewport_size == {"width": 1280, "height": 720}
    for contact, _ in calls:
        page.wait_for_selector(row(contact))
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)  # the clocks have started: rows are laid out as people see them
    for contact, shown in calls:
        caller = page.locator(f"{row(contact)} .caller")
        assert caller.inner_text() == shown
        # the whole number is inside its row, clear of the clock, on one line, not clipped
        whole = caller.locator(".tel").evaluate(
            """el => {
                const box = el.getBoundingClientRect();
                const rowBox = el.closest('a').getBoundingClientRect();
                const clock = el.closest('a').querySelector('.clock').getBoundingClientRect();
                const clear = box.right <= clock.left + 0.5 || box.top >= clock.bottom - 0.5;
                const oneLine = box.height < 2 * parseFloat(getComputedStyle(el).lineHeight);
                return clear && oneLine && box.left >= rowBox.left && box.right <= rowBox.right;
            }"""
        )
        boxes = caller.locator(".tel").evaluate(
            "el => [el, el.closest('a'), el.closest('a').querySelector('.clock')]"
            ".map(e => e.getBoundingClientRect().toJSON())"
        )
        assert whole, f"{shown} is cut off or overlapped: number, row, clock at {boxes}"
    shot(page, "numbers")
    page.goto(f"{live_server.url}/console/handler/{calls[0][0]}")
    assert "07496 881234" in page.inner_text(".contact-head")
