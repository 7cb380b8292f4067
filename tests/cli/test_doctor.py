"""``controlroom doctor`` against local servers: a tile server and a what3words API that
answer as the real ones do, Redis and PostgreSQL on loopback, closed ports for the failures.
Nothing here reaches the internet."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from controlroom.adapters.db import migrate
from controlroom.adapters.db.engine import create_engine_for
from controlroom.cli import main

GOOD_KEY = "W3WGOODKEY"
SECRET = "q8Vn3kZr7YtLw2Hc5Jd9Mf4Bx6Ps1Ga0"
#: A loopback port nothing listens on.
CLOSED = "127.0.0.1:9"


class _Fake(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/tiles/0/0/0.png":
            self._answer(200, "image/png", b"\x89PNG\r\n\x1a\n")
        elif parts.path == "/page/0/0/0.png":
            self._answer(200, "text/html", b"<html>sign in</html>")
        elif parts.path == "/w3w/available-languages":
            if parse_qs(parts.query).get("key") == [GOOD_KEY]:
                body = {"languages": [{"code": "en", "name": "English"}]}
                self._answer(200, "application/json", json.dumps(body).encode())
            else:
                body = {"error": {"code": "InvalidKey", "message": "Authentication failed"}}
                self._answer(401, "application/json", json.dumps(body).encode())
        else:
            self._answer(404, "text/plain", b"not found")

    def _answer(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def fake() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def good_env(database_url: str, fake: str) -> dict[str, str]:
    return {
        "CONTROLROOM_DATABASE_URL": database_url,
        "CONTROLROOM_DEMO": "false",
        "CONTROLROOM_SESSION_SECRET": SECRET,
        "CONTROLROOM_PUBLIC_SECRET": SECRET[::-1],
        "CONTROLROOM_SECURE_COOKIES": "true",
        "CONTROLROOM_TRUSTED_PROXIES": "127.0.0.1",
        "CONTROLROOM_REDIS_URL": "redis://127.0.0.1:6379/0",
        "CONTROLROOM_TILE_URL": fake + "/tiles/{z}/{x}/{y}.png",
        "CONTROLROOM_WHAT3WORDS_API_URL": fake + "/w3w",
        "CONTROLROOM_WHAT3WORDS_API_KEY": GOOD_KEY,
        "CONTROLROOM_CC_URL": "https://cc.example.police.uk/incidents",
        "CONTROLROOM_CC_SECRET": SECRET,
    }


def doctor(env: dict[str, str], *args: str) -> tuple[int, dict[str, tuple[str, str, str]]]:
    result = CliRunner().invoke(main, ["doctor", "--json", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    report = json.loads(result.stdout)
    assert report["ok"] is (result.exit_code == 0)
    checks = {row["name"]: (row["level"], row["found"], row["fix"]) for row in report["checks"]}
    return result.exit_code, checks


def test_a_well_configured_deployment_passes(database_url: str, fake: str) -> None:
    code, checks = doctor(good_env(database_url, fake))
    assert code == 0, checks
    expected = {
        "demo", "session secret", "public secret", "cookies", "proxy trust", "single sign-on",
        "database", "sizing",
        "schema", "clock", "redis", "tiles", "what3words", "model", "outbox", "outbox secret",
    }  # fmt: skip
    assert set(checks) == expected
    assert all(level == "ok" for level, _, _ in checks.values()), checks
    assert "the key is accepted" in checks["what3words"][1]
    assert "image/png" in checks["tiles"][1]
    assert SECRET not in json.dumps(checks)


def test_the_text_report_names_each_check_and_its_fix(database_url: str, fake: str) -> None:
    env = good_env(database_url, fake) | {"CONTROLROOM_REDIS_URL": f"redis://{CLOSED}/0"}
    result = CliRunner().invoke(main, ["doctor"], env=env)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    (redis,) = [line for line in lines if line.split()[1:2] == ["redis"]]
    assert redis.startswith("FAIL  redis ")
    assert "cannot be reached" in redis and "— check CONTROLROOM_REDIS_URL" in redis
    assert any(line.startswith("ok    tiles ") for line in lines)
    assert lines[-1] == "16 checks: 1 failed, 0 warnings"


def test_failures_say_what_to_fix(database_url: str, fake: str, tmp_path: Path) -> None:
    env = good_env(database_url, fake) | {
        "CONTROLROOM_DEMO": "true",
        "CONTROLROOM_SESSION_SECRET": "",
        "CONTROLROOM_TRUSTED_PROXIES": "*",
        "CONTROLROOM_REDIS_URL": f"redis://{CLOSED}/0",
        "CONTROLROOM_TILE_URL": fake + "/missing/{z}/{x}/{y}.png?key=TILEKEY",
        "CONTROLROOM_WHAT3WORDS_API_KEY": "WRONGKEY",
        "CONTROLROOM_MODEL_DIR": str(tmp_path / "no-model"),
        "CONTROLROOM_CC_URL": "http://cc.example.police.uk/incidents",
    }
    code, checks = doctor(env)
    assert code == 1
    failed = {name for name, (level, _, _) in checks.items() if level == "FAIL"}
    assert failed == {
        "demo", "session secret", "proxy trust", "redis", "tiles", "what3words", "model", "outbox",
    }  # fmt: skip
    assert "HTTP 404" in checks["tiles"][1] and "TILEKEY" not in checks["tiles"][1]
    assert "InvalidKey" in checks["what3words"][1] and "WRONGKEY" not in json.dumps(checks)
    assert checks["model"][2] == "run: controlroom models install"
    assert "https://" in checks["outbox"][1]
    for _, _, fix in checks.values():
        assert fix == "" or len(fix) > 10


def test_a_tile_server_answering_with_a_page_is_a_warning(database_url: str, fake: str) -> None:
    env = good_env(database_url, fake) | {"CONTROLROOM_TILE_URL": fake + "/page/{z}/{x}/{y}.png"}
    code, checks = doctor(env)
    assert code == 0 and checks["tiles"][0] == "warn" and "not an image" in checks["tiles"][1]


def test_no_redis_is_a_single_instance_warning(database_url: str, fake: str) -> None:
    env = good_env(database_url, fake) | {"CONTROLROOM_REDIS_URL": ""}
    code, checks = doctor(env)
    assert code == 0 and checks["redis"][0] == "warn"
    assert "single instance only" in checks["redis"][1]


def test_an_outbox_without_its_secret_fails(database_url: str, fake: str) -> None:
    env = good_env(database_url, fake) | {"CONTROLROOM_CC_SECRET": ""}
    code, checks = doctor(env)
    assert code == 1 and checks["outbox secret"][0] == "FAIL"


def test_an_unreachable_database(fake: str) -> None:
    env = good_env(f"postgresql://postgres@{CLOSED}/controlroom", fake)
    code, checks = doctor(env)
    assert code == 1 and checks["database"][0] == "FAIL"
    assert "cannot be reached" in checks["database"][1] and "schema" not in checks


def test_a_missing_sqlite_file(fake: str, tmp_path: Path) -> None:
    code, checks = doctor(good_env(f"sqlite:///{tmp_path / 'none.db'}", fake))
    assert code == 1 and checks["database"][2] == "run: controlroom db upgrade"
    assert not (tmp_path / "none.db").exists()  # the doctor creates nothing


def test_a_schema_behind_or_ahead_of_this_version(fake: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0008_incident_references")
    code, checks = doctor(good_env(url, fake))
    assert code == 1 and checks["schema"][0] == "FAIL"
    assert "revision 0008_incident_references" in checks["schema"][1]
    assert checks["schema"][2] == "run: controlroom db upgrade"
    engine = create_engine_for(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    code, checks = doctor(good_env(url, fake))
    assert code == 1 and "newer than this version knows" in checks["schema"][1]


def test_the_sizing_line_reports_the_pools(database_url: str, fake: str) -> None:
    _, checks = doctor(good_env(database_url, fake))
    level, found, _ = checks["sizing"]
    assert level == "ok" and "database pool" in found and "threads" in found
    assert ("allowed" in found) is database_url.startswith("postgresql")


def test_pools_beyond_postgresql_s_connections_are_a_warning(database_url: str, fake: str) -> None:
    env = good_env(database_url, fake) | {
        "CONTROLROOM_INSTANCES": "2",
        "CONTROLROOM_DB_POOL_SIZE": "400",
        "CONTROLROOM_DB_POOL_OVERFLOW": "400",
    }
    code, checks = doctor(env)
    level, found, fix = checks["sizing"]
    if database_url.startswith("sqlite"):  # no connection limit to exceed
        assert level == "ok" and "400 + 400" in found
        return
    assert code == 0 and level == "warn"
    assert "more than PostgreSQL's max_connections" in found
    assert "CONTROLROOM_DB_POOL_SIZE" in fix


def test_more_instances_than_the_machine_suits_is_a_warning(database_url: str, fake: str) -> None:
    code, checks = doctor(good_env(database_url, fake) | {"CONTROLROOM_INSTANCES": "256"})
    level, found, fix = checks["sizing"]
    assert code == 0 and level == "warn" and "256 instances here" in found
    if database_url.startswith("sqlite"):  # (on PostgreSQL their connections exceed first)
        assert fix.startswith("run at most ")
