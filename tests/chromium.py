"""The one headless Chromium of a test process, driven by Playwright's sync API.

Registered by the root conftest so that every folder's tests share it: Playwright's sync API
runs an event loop in the process's main thread while it is open, and cannot be started a
second time beside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CONTROLROOM_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_MISSING = "browser test skipped, no Chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's), shared by the session's tests."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM_MISSING}: {CHROMIUM} is not installed"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
    except Exception as exc:
        playwright.stop()
        pytest.fail(f"Chromium did not start: {exc}", pytrace=False)
    try:
        yield launched
    finally:
        launched.close()
        playwright.stop()
