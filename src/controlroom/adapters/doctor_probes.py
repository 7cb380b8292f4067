"""``controlroom doctor``'s probes: reach the database, Redis, the tile server and what3words,
and check the model files. Every network call has a short timeout; no probe raises, each
returns a finding (:mod:`controlroom.domain.doctor`)."""

from __future__ import annotations

import time
from datetime import UTC
from pathlib import Path

import redis
import requests
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from controlroom.adapters.db import migrate
from controlroom.adapters.db.engine import create_engine_for, normalise_url
from controlroom.adapters.embeddings.model_files import MODEL_FILES, ModelIntegrityError, verify
from controlroom.adapters.signed_http import check_endpoint
from controlroom.domain import doctor
from controlroom.domain.doctor import Finding, fail, ok, warn
from controlroom.domain.errors import InvalidInput

#: Seconds a probe waits for an answer.
TIMEOUT_SECONDS = 3.0


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by whatever uses it
        return "the configured URL"


def _reason(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def probe_database(url: str) -> list[Finding]:
    """Reachable, at this version's schema revision, and its clock against this machine's."""
    try:
        parsed = normalise_url(url)
        kind = parsed.get_backend_name()
        path = parsed.database or ""
        if kind == "sqlite" and path not in ("", ":memory:") and not Path(path).exists():
            return [fail("database", f"{path} does not exist", "run: controlroom db upgrade")]
        engine = create_engine_for(url)
    except Exception as exc:  # a URL that is not one
        return [fail("database", f"CONTROLROOM_DATABASE_URL: {exc}", "give a valid URL")]
    try:
        with engine.connect() as connection:
            skew: float | None = None
            if kind == "postgresql":
                before = time.time()
                server = connection.execute(text("SELECT now()")).scalar_one()
                after = time.time()
                skew = (before + after) / 2 - server.astimezone(UTC).timestamp()
            connection.rollback()
        revision = migrate.current(url, engine=engine)
    except SQLAlchemyError as exc:
        return [
            fail(
                "database",
                f"{_shown(url)} cannot be reached: {_reason(exc)}",
                "check CONTROLROOM_DATABASE_URL and that the server is running",
            )
        ]
    finally:
        engine.dispose()
    head = migrate.head_revision()
    note = "" if kind == "postgresql" else " (SQLite: one instance only)"
    return [
        ok("database", f"{_shown(url)} reachable{note}"),
        doctor.check_schema(revision, head, _known(revision)),
        doctor.check_clock(skew, "SQLite"),
    ]


def _known(revision: str | None) -> bool:
    if revision is None:
        return True
    try:
        scripts = ScriptDirectory.from_config(migrate.alembic_config())
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def probe_redis(url: str | None) -> Finding:
    if not url:
        return warn(
            "redis",
            "CONTROLROOM_REDIS_URL is not set: single instance only",
            "several instances need a Redis to share the live queue and chats",
        )
    try:
        client = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, ValueError) as exc:
        return fail(
            "redis",
            f"{_shown(url)} cannot be reached: {_reason(exc)}",
            "check CONTROLROOM_REDIS_URL and that Redis is running",
        )
    return ok("redis", f"{_shown(url)} answers")


def probe_tiles(tile_url: str | None) -> Finding:
    """The tile at zoom 0, fetched with a short timeout."""
    if not tile_url:
        return ok("tiles", "no tile server: the console shows the offline basemap")
    url = tile_url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
    shown = url.split("?", 1)[0]  # a query may carry the tile server's key
    fix = "check CONTROLROOM_TILE_URL and that this machine may reach the server"
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, stream=True)
        response.close()
    except requests.RequestException as exc:
        return fail("tiles", f"{shown} cannot be reached ({type(exc).__name__})", fix)
    if response.status_code >= 400:
        return fail("tiles", f"{shown} answered HTTP {response.status_code}", fix)
    kind = response.headers.get("content-type", "")
    if not kind.startswith("image/"):
        return warn("tiles", f"{shown} answered {kind or 'no content type'}, not an image", fix)
    return ok("tiles", f"tile 0/0/0 fetched ({kind})")


def probe_what3words(api_url: str, key: str | None) -> Finding:
    """The key tried with ``available-languages``, a documented call that converts nothing."""
    if not key:
        return ok("what3words", "no key: what3words addresses are recognised, not converted")
    fix = "check CONTROLROOM_WHAT3WORDS_API_KEY (and CONTROLROOM_WHAT3WORDS_API_URL)"
    try:
        response = requests.get(
            api_url.rstrip("/") + "/available-languages",
            params={"key": key},
            timeout=TIMEOUT_SECONDS,
        )
        data = response.json()
    except requests.RequestException as exc:
        return fail("what3words", f"{api_url} cannot be reached ({type(exc).__name__})", fix)
    except ValueError:
        return fail("what3words", f"{api_url} answered HTTP {response.status_code}, not JSON", fix)
    error = data.get("error") if isinstance(data, dict) else None
    if response.status_code >= 400 or error or not isinstance(data, dict):
        message = error.get("message", "") if isinstance(error, dict) else ""
        code = error.get("code", "") if isinstance(error, dict) else ""
        return fail(
            "what3words",
            f"the key was refused: HTTP {response.status_code} {code} {message}".strip(),
            fix,
        )
    return ok("what3words", "the key is accepted")


def probe_model(folder: Path, encoder: str) -> Finding:
    """``models check``: each file against its published hash, the 8-bit encoder (where it is
    built) against its record."""
    fix = "run: controlroom models install"
    try:
        for pinned in MODEL_FILES:
            verify(folder, pinned)
        from controlroom.adapters.embeddings.int8_model import MANIFEST_FILE, verify_int8

        # built only for a bank without its tuned route head (`models install` says)
        if encoder == "int8" and (folder / MANIFEST_FILE).exists():
            verify_int8(folder)
    except ModelIntegrityError as exc:
        return fail("model", str(exc), fix)
    except OSError as exc:
        return fail("model", f"{folder}: {exc.strerror or exc}", fix)
    return ok("model", f"{folder}: every file matches its hash ({encoder} encoder)")


def check_outbox(cc_url: str | None, cc_secret: str | None) -> list[Finding]:
    if not cc_url:
        return [ok("outbox", "no C&C URL: nothing is sent to command and control")]
    try:
        check_endpoint(cc_url, "CONTROLROOM_CC_URL")
    except InvalidInput as exc:
        return [fail("outbox", exc.message, exc.hint or "")]
    return [
        ok("outbox", f"C&C URL {cc_url.split('?')[0]}"),
        doctor.check_secret(
            "outbox secret", "CONTROLROOM_CC_SECRET", cc_secret, "deliveries cannot be signed"
        ),
    ]
