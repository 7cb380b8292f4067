#!/usr/bin/env python3
"""Bring the production layout up on this machine's loopback: nginx terminating TLS in front of
several controlroom instances on PostgreSQL and Redis.

    .venv/bin/python scripts/layout.py [--instances 2] [--demo]

A self-signed certificate, ports chosen free, a fresh PostgreSQL database (dropped at the end),
the schema migrated once, then the instances, each checked on /readyz, then nginx from
deploy/nginx/controlroom.conf. It prints the address and runs until Ctrl-C, then stops
everything. Tests use :class:`Layout` directly. Needs nginx (Debian: ``apt-get install nginx``),
PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (``--database-admin-url`` and
``--redis-url`` say otherwise).
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "controlroom.conf"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"
#: The pause between two instances' restarts in :meth:`Layout.rolling_restart`.
BETWEEN_RESTARTS_SECONDS = 1


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, valid for a day, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "controlroom.crt", folder / "controlroom.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def render_site(upstreams: list[int], http: int, https: int, cert: Path, key: Path) -> str:
    """deploy/nginx/controlroom.conf with this layout's values."""
    values = {
        "UPSTREAMS": "\n    ".join(f"server 127.0.0.1:{port} max_fails=0;" for port in upstreams),
        "HTTP_LISTEN": f"127.0.0.1:{http}",
        "HTTPS_LISTEN": f"127.0.0.1:{https}",
        "HTTPS_PORT": str(https),
        "SERVER_NAME": "localhost",
        "CERTIFICATE": str(cert),
        "KEY": str(key),
    }
    lines = [
        line for line in SITE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    text = "\n".join(lines)
    for name, value in values.items():
        text = text.replace(f"@@{name}@@", value)
    if "@@" in text:
        raise SystemExit(f"{SITE}: a placeholder was left unfilled")
    return text


def nginx_conf(prefix: Path, site: str) -> str:
    """A whole nginx.conf around the site, everything kept under ``prefix``."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'logs' / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    access_log {prefix / 'logs' / 'access.log'};\n{temp}\n"
        "    default_type application/octet-stream;\n"
        f"{site}\n}}\n"
    )


def _wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2, verify=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {seconds:.0f} s")


@dataclass
class Instance:
    """One ``controlroom serve`` process of the layout."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Layout:
    """The running layout: ``url`` is the HTTPS address through nginx."""

    folder: Path
    env: dict[str, str]
    http_port: int
    https_port: int
    certificate: Path
    instances: list[Instance] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def start_instance(self, port: int | None = None) -> Instance:
        """Start one instance (on ``port``, or a free one) and wait for its /readyz."""
        port = port or free_port()
        log = self.folder / "logs" / f"instance-{port}.log"
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "controlroom"), "serve", "--port", str(port)],
            env=self.env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        instance = Instance(port, process, log)
        try:
            _wait_ready(instance.url + "/readyz", process)
        except RuntimeError as exc:  # never leave a half-started instance behind
            process.kill()
            process.wait(timeout=30)
            last = log.read_text(errors="replace").splitlines()[-5:]
            raise RuntimeError(f"{exc}; the instance's last lines:\n" + "\n".join(last)) from exc
        return instance

    def stop_instance(self, instance: Instance, *, kill: bool = False) -> int:
        """Stop an instance: SIGTERM (graceful) or SIGKILL; its exit code."""
        instance.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        return instance.process.wait(timeout=40)

    def restart_instance(self, index: int) -> Instance:
        """Stop instance ``index`` gracefully and start it again on the same port."""
        old = self.instances[index]
        self.stop_instance(old)
        self.instances[index] = self.start_instance(old.port)
        return self.instances[index]

    def rolling_restart(self) -> None:
        """Restart every instance in turn, as a deploy does: the next one once the last answers
        ``/readyz`` again. nginx needs no time to take it back: with ``max_fails=0`` it never
        sets an instance aside, and sends each request that finds one refusing to the next."""
        for index in range(len(self.instances)):
            self.restart_instance(index)
            time.sleep(BETWEEN_RESTARTS_SECONDS)


def _create_database(admin_url: str) -> tuple[str, str]:
    name = f"controlroom_layout_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = psycopg.conninfo.conninfo_to_dict(admin_url)
    host, port, user = url.get("host", "127.0.0.1"), url.get("port", "5432"), url.get("user", "")
    return name, f"postgresql+psycopg://{user}@{host}:{port}/{name}"


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def layout(
    instances: int = 2,
    *,
    demo: bool = False,
    admin_url: str = ADMIN_URL,
    redis_url: str = REDIS_URL,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Layout]:
    """The whole layout, up for the ``with`` block and torn down after it."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is not installed (Debian: apt-get install nginx)")
    folder = Path(tempfile.mkdtemp(prefix="controlroom-layout-"))
    for sub in ("logs", "tmp"):
        (folder / sub).mkdir()
    name, database_url = _create_database(admin_url)
    try:
        cert, key = self_signed(folder)
        env = {
            **os.environ,
            "CONTROLROOM_DATABASE_URL": database_url,
            "CONTROLROOM_REDIS_URL": redis_url,
            "CONTROLROOM_TRUSTED_PROXIES": "127.0.0.1",
            "CONTROLROOM_SECURE_COOKIES": "true",
            "CONTROLROOM_MIGRATE_ON_START": "false",  # `db upgrade` runs once, below
            "CONTROLROOM_SESSION_SECRET": secrets.token_urlsafe(48),
            "CONTROLROOM_PUBLIC_SECRET": secrets.token_urlsafe(48),
            "CONTROLROOM_DEMO": "true" if demo else "false",
            **(extra_env or {}),
        }
        running = Layout(folder, env, free_port(), free_port(), cert)
        # The schema is brought up to date once, before any instance starts.
        subprocess.run(
            [str(Path(sys.executable).parent / "controlroom"), "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        try:
            for _ in range(instances):
                running.instances.append(running.start_instance())
            site = render_site(
                [i.port for i in running.instances],
                running.http_port,
                running.https_port,
                cert,
                key,
            )
            conf = folder / "nginx.conf"
            conf.write_text(nginx_conf(folder, site), encoding="utf-8")
            running.nginx = subprocess.Popen(
                [nginx, "-c", str(conf), "-p", str(folder), "-g", "daemon off;"],
                stdout=(folder / "logs" / "nginx.out").open("ab"),
                stderr=subprocess.STDOUT,
            )
            _wait_ready(running.url + "/readyz", running.nginx)
            yield running
        finally:
            if running.nginx is not None:
                running.nginx.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
                running.nginx.wait(timeout=30)
            for instance in running.instances:
                if instance.process.poll() is None:
                    running.stop_instance(instance)
    finally:
        _drop_database(admin_url, name)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--demo", action="store_true", help="load the demo data and users")
    parser.add_argument("--database-admin-url", default=ADMIN_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    args = parser.parse_args(argv)
    with layout(
        args.instances, demo=args.demo, admin_url=args.database_admin_url, redis_url=args.redis_url
    ) as running:
        print(f"controlroom at {running.url} (self-signed certificate {running.certificate})")
        for instance in running.instances:
            print(f"  instance {instance.url} (pid {instance.process.pid}, log {instance.log})")
        print(f"  nginx http://127.0.0.1:{running.http_port} redirects to HTTPS")
        print("Ctrl-C stops everything and drops the database.", flush=True)
        try:
            while all(i.process.poll() is None for i in running.instances):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
