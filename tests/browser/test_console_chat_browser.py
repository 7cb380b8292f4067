"""Live chat in the console, in a real browser: a member of the public starts a chat on the
public site; a handler signed in to the console (no API token anywhere) sees it in the Waiting
list, takes it by answering it, chats from the keyboard and ends it; the visitor sees the
replies and the end. An auditor follows the same chat and cannot write in it. An emergency
typed while waiting raises the console's alarm, whose link opens the chat's contact.

With ``CONTROLROOM_SCREENSHOTS=<folder>`` the pages are saved there as ``console-chat-*.png``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import VIEWPORT, LiveServer, sign_in

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("CONTROLROOM_SCREENSHOTS")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"console-chat-{name}.png"), full_page=True)


@pytest.fixture
def site(live_server: LiveServer) -> LiveServer:
    """The live server, taking forms as soon as they are sent (people are slower)."""
    live_server.app.state.public.guard.min_age = 0
    return live_server


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """``new_page()``: another person's browser (a context of its own)."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport=VIEWPORT, locale="en-GB")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def start_chat(visitor: Any, site: LiveServer, text: str) -> str:
    """The visitor starts a chat on the public site; its contact's id."""
    visitor.goto(site.url + "/public/chat")
    visitor.fill("#f-first", text)
    visitor.click("#start button")
    visitor.wait_for_selector("#chat-status:has-text('in the queue')")
    chat_id = visitor.evaluate("JSON.parse(sessionStorage.getItem('controlroom.chat')).chat")
    with ThreadPoolExecutor(1) as pool:  # Playwright's own event loop runs in this thread
        chat = pool.submit(asyncio.run, site.app.state.chats.store.get(chat_id)).result()
    assert chat is not None
    return str(chat.contact_id)


def test_a_handler_takes_a_public_chat_in_the_console_and_chats_from_the_keyboard(
    browser_page: Any, new_page: Any, site: LiveServer
) -> None:
    visitor = browser_page
    handler = new_page()
    sign_in(handler, site, "handler")
    handler.goto(site.url + "/console/handler")
    assert handler.locator("input[type=password]").count() == 0  # no token asked for

    contact = start_chat(visitor, site, "Someone has been letting down my tyres every night")
    row = f'#queue-waiting .qrow[data-id="{contact}"]'
    handler.wait_for_selector(row)  # the Waiting list, live
    assert "live chat" in handler.inner_text(row).lower()
    with handler.expect_navigation():  # loaded, so its keys work
        handler.click(f"{row} a")
    handler.wait_for_selector("#chat-log >> text=letting down my tyres")
    assert handler.locator("#f-chat").count() == 0  # not taken yet

    handler.keyboard.press("a")  # answer: takes the chat
    handler.wait_for_selector('#contact-state[data-state="answered"]')
    visitor.wait_for_selector("#chat-status:has-text('chatting with an operator')")
    handler.wait_for_selector("#chat-log >> text=An operator has joined the chat.")

    handler.keyboard.press("Escape")  # out of the box the page focused after answering
    handler.keyboard.press("r")  # the shortcut to the message box
    assert handler.evaluate("document.activeElement.id") == "f-chat"
    handler.keyboard.type("I'm sorry to hear that. Where do you park?")
    handler.keyboard.press("Enter")  # Enter sends
    visitor.wait_for_selector("#chat-log >> text=Where do you park?")
    handler.wait_for_selector("#chat-log .from-operator >> text=Where do you park?")
    assert handler.input_value("#f-chat") == ""

    visitor.fill("#f-message", "On Fore Street, outside number 12")
    visitor.click("#send button")
    handler.wait_for_selector("#chat-log .from-visitor >> text=outside number 12")

    auditor = new_page()  # a read-only role follows the chat and cannot write in it
    sign_in(auditor, site, "auditor")
    auditor.goto(f"{site.url}/console/handler/{contact}")
    auditor.wait_for_selector("#chat-log >> text=outside number 12")
    assert auditor.locator("#f-chat").count() == 0
    assert auditor.locator("#chat-end").count() == 0
    shot(handler, "handler")

    handler.click("#chat-end-summary, .chat-end summary")
    handler.select_option("#f-chat-outcome", "advised")
    with handler.expect_navigation():
        handler.click("#chat-end button[type=submit]")
    handler.wait_for_selector('#contact-state[data-state="closed"]')
    visitor.wait_for_selector("#chat-status:has-text('This chat has ended')")
    visitor.wait_for_selector("#chat-log >> text=This chat has ended. Thank you")
    assert visitor.is_hidden("#send")
    texts = visitor.eval_on_selector_all("#chat-log li", "items => items.map(i => i.textContent)")
    assert len(texts) == len(set(texts))  # nothing repeated
    assert "Live chat transcript" in handler.inner_text(".notes")
    shot(visitor, "visitor")


def test_an_emergency_typed_while_waiting_raises_the_alarm_that_opens_the_chat(
    browser_page: Any, new_page: Any, site: LiveServer
) -> None:
    visitor = browser_page
    handler = new_page()
    sign_in(handler, site, "handler")
    handler.goto(site.url + "/console/handler")
    contact = start_chat(visitor, site, "I need to talk about my neighbour")
    visitor.reload()  # the chat survives a reload
    visitor.wait_for_selector("#chat-log >> text=talk about my neighbour")
    visitor.fill("#f-message", "He's back and he has a knife, he is threatening me now")
    visitor.click("#send button")
    visitor.wait_for_selector("#alert999:not([hidden])")

    link = f'#alarm .alarm-item[data-id="{contact}"] a.take-chat'
    handler.wait_for_selector(link)
    with handler.expect_navigation():
        handler.click(link)
    handler.wait_for_selector("#chat-log .emergency")
    handler.keyboard.press("a")
    handler.wait_for_selector('#contact-state[data-state="answered"]')
    visitor.wait_for_selector("#chat-status:has-text('chatting with an operator')")
    handler.wait_for_selector("#f-chat")
    handler.fill("#f-chat", "Police are on the way. Are you somewhere safe?")
    handler.press("#f-chat", "Enter")
    visitor.wait_for_selector("#chat-log >> text=Are you somewhere safe?")
    shot(handler, "emergency")
