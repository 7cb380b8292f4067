"""Settings, read from environment variables prefixed ``CONTROLROOM_``.

Every setting is documented in docs/configuration.md; a test keeps the two in step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """A SQLite file in the user's data directory (created on first use)."""
    data_dir = Path(user_data_dir("controlroom", appauthor=False))
    return f"sqlite:///{data_dir / 'controlroom.db'}"


def default_model_dir() -> Path:
    """Where ``controlroom models install`` puts the sentence-embedding model by default."""
    return Path(user_data_dir("controlroom", appauthor=False)) / "models" / "all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """controlroom's settings. Field names are the variable names without the prefix."""

    model_config = SettingsConfigDict(env_prefix="CONTROLROOM_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        description="SQLAlchemy URL of the database; SQLite file in the user data dir by default.",
    )
    policy: str = Field(
        default="dcp-p-042",
        description="The force policy: the name of a shipped policy or a path to a TOML file.",
    )
    model_dir: Path = Field(
        default_factory=default_model_dir,
        description="Folder of the sentence-embedding model triage's semantic layer reads "
        "(put there, checked, by `controlroom models install`).",
    )
    encoder: Literal["int8", "float32"] = Field(
        default="int8",
        description="The semantic layer's encoder: `int8` (ONNX Runtime, built by `controlroom "
        "models install`) or `float32` (with the bank's tuned route head, the same graph in "
        "single precision; without one, NumPy, the reference; three to four times slower).",
    )
    migrate_on_start: bool = Field(
        default=True,
        description="Whether `controlroom serve` brings the schema up to date itself; false "
        "when several instances run (then `controlroom db upgrade` runs once per deploy).",
    )
    host: str = Field(default="127.0.0.1", description="Address `controlroom serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `controlroom serve` uses.")
    log_level: str = Field(default="info", description="debug, info, warning or error.")
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="How `controlroom serve` writes its log: json (one object a line) or text.",
    )
    metrics_token: str | None = Field(
        default=None,
        min_length=32,
        description="The bearer token Prometheus sends to scrape /metrics (32+ characters); "
        "unset: /metrics refuses everybody.",
    )
    what3words_api_key: str | None = Field(
        default=None,
        description="The force's what3words API key; without it what3words addresses are only "
        "recognised, not converted.",
    )
    what3words_api_url: str = Field(
        default="https://api.what3words.com/v3",
        description="Base URL of the what3words API (v3).",
    )
    demo: bool = Field(
        default=True,
        description="Seed demo users, tokens and contacts when the database is empty, for "
        "trying the service locally. Set to false for any real deployment.",
    )
    aml_hmac_key: str | None = Field(
        default=None,
        description="Key for the HMAC-SHA1 of AML messages sent over HTTPS; unset: not checked.",
    )
    aml_pending_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="How long an AML SMS that arrives before its call waits for the call.",
    )
    aml_late_minutes: int = Field(
        default=60,
        ge=0,
        le=1440,
        description="How long after a call ends an AML SMS still attaches to its contact.",
    )
    token_trust_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long an API token found good is trusted again without a database "
        "look-up; a revoked token is refused by every instance within this time. 0: look up "
        "on every request.",
    )
    session_secret: str | None = Field(
        default=None,
        description="Key that signs console session cookies (32+ random characters); unset: a "
        "new random key each start, so sessions end when the service restarts.",
    )
    session_hours: int = Field(
        default=12, ge=1, le=24, description="How long a console session lasts (one shift)."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark console cookies Secure (sent over HTTPS only); set true behind HTTPS.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma list of the addresses of reverse proxies whose X-Forwarded-Proto and "
        "X-Forwarded-For are believed (e.g. the TLS terminator); unset: none.",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Wrong console passwords in a row, from one address or against one "
        "account, after which further attempts wait (1 s, doubling with each failure).",
    )
    login_lockout_minutes: int = Field(
        default=15,
        ge=1,
        le=1440,
        description="The longest an address that keeps failing waits between attempts (an "
        "account's wait is at most 1 minute, and never applies to a clean address).",
    )
    login_checks: int | None = Field(
        default=None,
        ge=1,
        le=32,
        description="Console passwords checked at once per instance (argon2, about 0.1 s of "
        "CPU each); four times as many may wait, and further attempts get 503 at once. "
        "Unset: from the machine (one per four cores an instance has, at least one).",
    )
    tile_url: str | None = Field(
        default=None,
        description="Map tiles for the console, e.g. https://tiles.example/{z}/{x}/{y}.png; "
        "unset: the map shows the offline basemap (coastline and land).",
    )
    tile_attribution: str = Field(
        default="", description="The attribution the tile server asks for, shown on the map."
    )
    force_area: Path | None = Field(
        default=None,
        description="A GeoJSON file of the force's boundary, outlined on the offline basemap.",
    )
    oidc_issuer: str | None = Field(
        default=None,
        description="Single sign-on for the console: the OpenID Connect provider's issuer URL; "
        "unset: passwords only.",
    )
    oidc_client_id: str = Field(default="", description="The console's client id there.")
    oidc_client_secret: str = Field(default="", description="The console's client secret there.")
    oidc_username_claim: str = Field(
        default="preferred_username",
        description="The ID token claim holding the controlroom user name.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for live messages shared by several app instances (console "
        "queue, live chat); unset: in process only.",
    )
    public_secret: str | None = Field(
        default=None,
        description="Key that signs the public pages' form and chat tokens (32+ random "
        "characters); give every app instance the same one. Unset: a new random key each start.",
    )
    cc_url: str | None = Field(
        default=None,
        description="The force's command-and-control endpoint logged incidents are delivered "
        "to (https://; http:// only to a loopback address); unset: nothing is sent.",
    )
    cc_secret: str | None = Field(
        default=None,
        description="The secret shared with C&C that signs each delivery (HMAC-SHA256).",
    )
    mait_url: str | None = Field(
        default=None,
        description="The MAIT hub endpoint partner agencies' messages are delivered to "
        "(https://; http:// only to a loopback address); unset: nothing is sent by MAIT.",
    )
    mait_secret: str | None = Field(
        default=None,
        description="The secret shared with the MAIT hub that signs each delivery (HMAC-SHA256).",
    )
    outbox_max_attempts: int = Field(
        default=10, ge=1, le=100, description="Attempts before an outbox message is parked."
    )
    outbox_backoff_seconds: float = Field(
        default=2.0,
        gt=0,
        le=3600,
        description="The wait after a message's first failed attempt, doubling with each one.",
    )
    outbox_backoff_max_seconds: float = Field(
        default=600.0, gt=0, le=86400, description="The longest wait between two attempts."
    )
    outbox_stuck_seconds: int = Field(
        default=300,
        ge=10,
        le=86400,
        description="/readyz reports the outbox when a message has been due this long.",
    )
    outbox_lease_seconds: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="How long a worker holds a message it is sending before another worker "
        "may send it again (a worker that died); keep it above the 10 s request timeout.",
    )
    outbox_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often the delivery worker looks for due messages when idle.",
    )
    instances: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="Instances running on this machine, which share its cores and memory; "
        "unset: as many as recommended for it (one per core, two at least).",
    )
    hosts: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Machines running instances against the same database, each as many as "
        "this one (PostgreSQL's connections are shared among them all).",
    )
    db_pool_size: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Database connections an instance keeps open; unset: from the machine "
        "and PostgreSQL's max_connections.",
    )
    db_pool_overflow: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Further connections an instance opens when busy and closes after; "
        "unset: from the machine and PostgreSQL's max_connections.",
    )
    threads: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Threads an instance does its database work in; unset: from the "
        "machine's cores (16 per core, 8 to 64).",
    )


def load_settings() -> Settings:
    """Settings from the environment."""
    return Settings()
