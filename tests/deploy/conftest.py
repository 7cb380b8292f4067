"""The production layout on loopback (scripts/layout.py): nginx with TLS in front of two
instances on PostgreSQL and Redis. Without nginx, PostgreSQL or Redis the tests are skipped
with the reason, except under CI (``CI`` set), where they fail."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEPLOYMENT_MISSING

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from layout import Layout, layout  # type: ignore[import-not-found]  # noqa: E402


def _missing() -> str | None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        return "nginx is not installed (apt-get install nginx)"
    for name, port in (("PostgreSQL", 5432), ("Redis", 6379)):
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return f"{name} is not listening on 127.0.0.1:{port}"
    return None


@pytest.fixture(scope="module")
def deployed() -> Iterator[Layout]:
    """Two instances with the demo data behind nginx, for the module."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing, pytrace=False)
        pytest.skip(f"{DEPLOYMENT_MISSING}: {missing}")
    with layout(2, demo=True) as running:
        yield running
