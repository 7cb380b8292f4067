#!/usr/bin/env python3
"""Install controlroom from its wheel, with no extras, as a new user would, and use it.

    python3 scripts/smoke_install.py [--eval FILE] [--keep]

Builds the wheel, installs it into a fresh virtual environment in a temporary folder outside
the source tree (base dependencies only), then, from that environment:

1. imports every module of the installed package (the few that must not be imported are named
   in ``NOT_IMPORTED``, each with its reason);
2. checks that every data file of the source package (policies, templates, static files,
   migrations) was installed;
3. installs triage's embedding model (``controlroom models install``, hashes checked);
4. starts ``controlroom serve`` on a temporary SQLite file and a free port, with demo data,
   waits for ``/healthz`` and fetches ``/console/login``, ``/public/`` and ``/openapi.json``;
5. runs ``controlroom triage``, ``controlroom policy check`` and ``controlroom eval triage``.

Any failure prints what failed with its output and exits 1. Needs only Python 3.11+ and pip's
access to the package index (for the wheel's build backend and the dependencies).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVAL = ROOT.parent / "shared" / "eval" / "triage-dev.tsv"

#: Modules of the package not imported, by name, with the reason: one that needs an optional
#: extra says which; scripts that something else runs say what. Every other module must import
#: on a base install.
NOT_IMPORTED: dict[str, str] = {
    "controlroom.__main__": "runs the command line when imported",
    "controlroom.adapters.db.migrations.env": "run by Alembic inside a migration context",
}

#: Pages the running service must answer 200 on, with a string each must contain.
PAGES = {
    "/healthz": '"status":"ok"',
    "/console/login": "<form",
    "/public/": "999",
    "/openapi.json": '"openapi"',
}

IMPORT_ALL = """
import importlib, pkgutil, sys
import controlroom
skip = dict(arg.split("=", 1) for arg in sys.argv[1:])
where = controlroom.__file__
if "site-packages" not in where:
    sys.exit(f"controlroom was imported from {where}, not from the installed wheel")
failed, count = [], 0
for info in pkgutil.walk_packages(controlroom.__path__, "controlroom."):
    if info.name in skip:
        print(f"  not imported: {info.name} ({skip[info.name]})")
        continue
    try:
        importlib.import_module(info.name)
        count += 1
    except Exception as exc:
        failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
for line in failed:
    print("  cannot import " + line)
print(f"  imported {count} modules from {where.rsplit('/controlroom/', 1)[0]}")
sys.exit(1 if failed else 0)
"""


class SmokeFailure(Exception):
    """A step of the smoke test failed; the message says which and why."""


def step(message: str) -> None:
    print(f"smoke: {message}", flush=True)


def run(args: list[str | Path], *, cwd: Path, env: dict[str, str], what: str) -> str:
    """Run a command to completion; its output, or a SmokeFailure naming ``what``."""
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise SmokeFailure(
            f"{what} failed (exit {done.returncode}):\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
        )
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def clean_env(work: Path) -> dict[str, str]:
    """The environment for the installed commands: no CONTROLROOM_* or Python path from the
    caller, a home and data folder of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONTROLROOM_", "PYTHON", "VIRTUAL_ENV", "PIP_"))
    }
    env["HOME"] = str(work / "home")
    env["XDG_DATA_HOME"] = str(work / "home" / "data")
    env["PYTHONNOUSERSITE"] = "1"
    env["CONTROLROOM_DATABASE_URL"] = f"sqlite:///{work / 'smoke.db'}"
    return env


def build_and_install(work: Path, env: dict[str, str]) -> Path:
    """Build the wheel from the source tree and install it (no extras) into a new venv."""
    step("building the wheel ...")
    dist = work / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, ROOT],
        cwd=work,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        what="building the wheel",
    )
    wheels = sorted(dist.glob("controlroom-*.whl"))
    if not wheels:
        raise SmokeFailure(f"no controlroom wheel was built in {dist}")
    step(f"installing {wheels[-1].name} without extras into a fresh environment ...")
    venv.EnvBuilder(with_pip=True).create(work / "venv")
    bin_dir = work / "venv" / "bin"
    run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", wheels[-1]],
        cwd=work,
        env={**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        what="installing the wheel",
    )
    return bin_dir


def import_everything(bin_dir: Path, work: Path, env: dict[str, str]) -> None:
    step("importing every module of the installed package ...")
    print(
        run(
            [
                bin_dir / "python",
                "-I",
                "-c",
                IMPORT_ALL,
                *(f"{k}={v}" for k, v in NOT_IMPORTED.items()),
            ],
            cwd=work,
            env=env,
            what="importing the installed package",
        ),
        end="",
    )


def check_package_data(bin_dir: Path, work: Path, env: dict[str, str]) -> None:
    """Every file the source package holds besides Python (policies, rulebooks, templates,
    static files, migrations) is in the installed package."""
    step("checking the installed package carries every data file ...")
    where = run(
        [bin_dir / "python", "-I", "-c", "import controlroom; print(controlroom.__path__[0])"],
        cwd=work,
        env=env,
        what="finding the installed package",
    ).strip()
    source = ROOT / "src" / "controlroom"
    wanted = [
        path.relative_to(source)
        for path in sorted(source.rglob("*"))
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    missing = [str(name) for name in wanted if not (Path(where) / name).is_file()]
    if missing:
        raise SmokeFailure("the wheel lacks these package files: " + ", ".join(missing))
    print(f"  all {len(wanted)} data files are installed")


def install_model(bin_dir: Path, work: Path, env: dict[str, str]) -> None:
    """``controlroom models install`` as dev.py runs it: triage's embedding model, checked."""
    step("installing the embedding model (controlroom models install) ...")
    cli = bin_dir / "controlroom"
    run([cli, "models", "install"], cwd=work, env=env, what="controlroom models install")
    run([cli, "models", "check"], cwd=work, env=env, what="controlroom models check")
    print("  the model's files match their published hashes")


def serve_and_fetch(bin_dir: Path, work: Path, env: dict[str, str]) -> None:
    port = free_port()
    step(f"starting controlroom serve on 127.0.0.1:{port} with demo data ...")
    log = (work / "serve.log").open("w")
    server = subprocess.Popen(
        [bin_dir / "controlroom", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=work,
        env={**env, "CONTROLROOM_DEMO": "true"},
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        while True:
            if server.poll() is not None:
                raise SmokeFailure(
                    f"controlroom serve exited with {server.returncode} before answering:\n"
                    + (work / "serve.log").read_text()[-4000:]
                )
            try:
                if fetch(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - started > 60:
                raise SmokeFailure(
                    "/healthz did not answer within 60 s:\n"
                    + (work / "serve.log").read_text()[-4000:]
                )
            time.sleep(0.25)
        step(f"/healthz answered after {time.monotonic() - started:.1f} s")
        for path, needle in PAGES.items():
            status, body = fetch(base + path)
            if status != 200 or needle not in body:
                raise SmokeFailure(f"GET {path} answered {status} without {needle!r}")
            print(f"  GET {path}: {status}")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def commands(bin_dir: Path, work: Path, env: dict[str, str], eval_file: Path) -> None:
    cli = bin_dir / "controlroom"
    step("running the command-line tools ...")
    out = run(
        [cli, "triage", "Someone is breaking into my neighbour's house right now"],
        cwd=work,
        env=env,
        what="controlroom triage",
    )
    if "emergency" not in out:
        raise SmokeFailure(f"controlroom triage did not call a break-in now an emergency:\n{out}")
    print("  controlroom triage: ok")
    run([cli, "policy", "check", "dcp-p-042"], cwd=work, env=env, what="controlroom policy check")
    print("  controlroom policy check dcp-p-042: ok")
    if not eval_file.is_file():
        raise SmokeFailure(f"{eval_file} is missing: pass --eval FILE (a triage TSV)")
    run([cli, "eval", "triage", eval_file], cwd=work, env=env, what="controlroom eval triage")
    print(f"  controlroom eval triage {eval_file.name}: ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="a triage TSV to score")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="controlroom-smoke-"))
    env = clean_env(work)
    started = time.monotonic()
    try:
        bin_dir = build_and_install(work, env)
        import_everything(bin_dir, work, env)
        check_package_data(bin_dir, work, env)
        install_model(bin_dir, work, env)
        serve_and_fetch(bin_dir, work, env)
        commands(bin_dir, work, env, args.eval.resolve())
    except (SmokeFailure, subprocess.TimeoutExpired) as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        print(f"smoke: the environment is kept in {work}", file=sys.stderr)
        return 1
    step(f"the installed wheel works ({time.monotonic() - started:.0f} s)")
    if args.keep:
        step(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
