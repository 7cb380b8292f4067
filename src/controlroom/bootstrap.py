"""The composition root: builds the policy, the database and the units of work the
interfaces use, and the nuisance configuration and document renderer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from controlroom.adapters.basemap import basemap
from controlroom.adapters.chat_store import InProcessChatStore, RedisChatStore
from controlroom.adapters.contact_log import CONTACT_LOG
from controlroom.adapters.db import migrate
from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.gazetteer import SqlGazetteer
from controlroom.adapters.db.login_attempts import SqlAttemptStore
from controlroom.adapters.db.outage import reason
from controlroom.adapters.db.reports import sql_reports
from controlroom.adapters.db.uow import Publisher, SqlUnitOfWork, observe_commits
from controlroom.adapters.documents import build_document_data, render_html, render_pdf
from controlroom.adapters.embeddings.index import SemanticIndex
from controlroom.adapters.embeddings.minilm import MiniLM
from controlroom.adapters.embeddings.model_files import ModelIntegrityError
from controlroom.adapters.location_reader import TypedLocationReader
from controlroom.adapters.login_attempts_redis import RedisAttemptStore
from controlroom.adapters.metrics import EVENT_COUNTER, AppMetrics, PrometheusInstruments
from controlroom.adapters.nuisance_config import load_nuisance_config
from controlroom.adapters.oidc import OidcProvider
from controlroom.adapters.policy_file import load_policy
from controlroom.adapters.pubsub import InProcessBroker, RedisBroker
from controlroom.adapters.reporting_config import load_reporting_config
from controlroom.adapters.secrets import Argon2Hasher
from controlroom.adapters.spent_tokens import RedisSpentTokens
from controlroom.adapters.what3words_client import What3WordsService
from controlroom.config import Settings
from controlroom.domain.contacts import Actor
from controlroom.domain.nuisance import (
    CallerHistory,
    CaseRecord,
    DocumentKind,
    Ladder,
    NuisanceConfig,
    NuisanceFlag,
)
from controlroom.domain.policy import Policy
from controlroom.domain.reporting import ReportingConfig
from controlroom.services.chat_store import ChatStore
from controlroom.services.instruments import install_instruments
from controlroom.services.live import Broker
from controlroom.services.login_limits import AttemptStore
from controlroom.services.reporting import Reporting
from controlroom.services.triage import attach_semantic_layer

log = logging.getLogger(__name__)


class UowFactory(Protocol):
    """Makes a new unit of work; ``read_only=True`` for one that only reads."""

    def __call__(self, *, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork: ...


@lru_cache(maxsize=8)
def _policy(reference: str) -> Policy:
    return load_policy(reference)


def policy_for(settings: Settings) -> Policy:
    """The force policy the settings name, loaded once per process, with triage's semantic
    layer attached (built on first use, from the model in ``settings.model_dir``)."""
    policy = _policy(settings.policy)
    attach_semantic_layer(policy, lambda: semantic_layer_for(settings, policy))
    return policy


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    return create_engine_for(url)


def engine_for(settings: Settings) -> Engine:
    """The engine for the configured database, one per process and URL."""
    return _engine(settings.database_url)


_migrated: set[str] = set()


def prepare_database(settings: Settings) -> None:
    """Bring the configured database's schema up to date (once per process and URL)."""
    url = settings.database_url
    if url not in _migrated:
        migrate.upgrade(url, engine=engine_for(settings))
        _migrated.add(url)


def readiness_for(settings: Settings) -> Callable[[], list[str]]:
    """A readiness check of the configured database: what stops the service from serving
    (unreachable, or a schema revision other than this version's), empty when ready."""
    head = migrate.head_revision()

    def check() -> list[str]:
        try:
            revision = migrate.current(settings.database_url, engine=engine_for(settings))
        except SQLAlchemyError as exc:
            log.warning("readiness: database unavailable: %s", reason(exc))
            return ["database: cannot be reached"]
        if revision != head:
            return [
                f"database: schema at revision {revision or 'none'}, this version needs "
                f"{head} (run `controlroom db upgrade`)"
            ]
        return []

    return check


def uow_factory(
    settings: Settings, *, publisher: Publisher | None = None, migrate_first: bool = True
) -> UowFactory:
    """A function making a new :class:`SqlUnitOfWork` on the configured database each call.

    The schema is upgraded first (once per process), unless ``migrate_first`` is false.
    """
    if migrate_first:
        prepare_database(settings)
    engine = engine_for(settings)

    def make(*, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(engine, publisher, read_only=read_only, snapshot=snapshot)

    return make


def metrics_for(settings: Settings) -> AppMetrics:
    """The application's metrics (``adapters/metrics.py``) on the configured database; the
    process's instruments, and the commit observers counting events and writing the contacts'
    lifecycle lines in the log (``adapters/contact_log.py``), are installed (once)."""
    install_instruments(PrometheusInstruments())
    observe_commits(EVENT_COUNTER)
    observe_commits(CONTACT_LOG)
    return AppMetrics(engine_for(settings))


def broker_for(settings: Settings) -> Broker:
    """The live-message broker: Redis pub/sub when ``CONTROLROOM_REDIS_URL`` is set (shared by
    every app instance using it), otherwise one in this process."""
    if settings.redis_url:
        return RedisBroker(settings.redis_url)
    return InProcessBroker()


def chat_store_for(settings: Settings) -> ChatStore:
    """Where live chats are kept while they run: Redis when ``CONTROLROOM_REDIS_URL`` is set
    (shared by every app instance), otherwise this process's memory."""
    if settings.redis_url:
        return RedisChatStore(settings.redis_url)
    return InProcessChatStore()


def spent_tokens_for(settings: Settings) -> RedisSpentTokens | None:
    """Where used public form tokens are remembered (each serves one submission): Redis when
    ``CONTROLROOM_REDIS_URL`` is set (shared by every app instance); ``None``: this process."""
    return RedisSpentTokens(settings.redis_url) if settings.redis_url else None


@lru_cache(maxsize=4)
def _identity_provider(issuer: str, client_id: str, client_secret: str) -> OidcProvider:
    return OidcProvider(issuer, client_id, client_secret)


def identity_provider(settings: Settings) -> OidcProvider | None:
    """The console's single sign-on provider, when ``CONTROLROOM_OIDC_ISSUER`` is set."""
    if not settings.oidc_issuer:
        return None
    return _identity_provider(
        settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret
    )


def attempt_store(settings: Settings) -> AttemptStore:
    """Where sign-in failures are counted: Redis when ``CONTROLROOM_REDIS_URL`` is set, the
    database otherwise (either way shared by every app instance using it)."""
    if settings.redis_url:
        return RedisAttemptStore(settings.redis_url)
    return SqlAttemptStore(engine_for(settings))


def password_hasher() -> Argon2Hasher:
    """The password hasher (argon2id)."""
    return Argon2Hasher()


_nuisance: dict[str, NuisanceConfig] = {}


def reporting_for(
    settings: Settings, policy: Policy, config: ReportingConfig | None = None
) -> Reporting:
    """Online reporting for the force: its report types (from the policy file unless given),
    with reports kept in the database."""
    return Reporting(config or load_reporting_config(settings.policy, policy), sql_reports)


def nuisance_for(settings: Settings, policy: Policy) -> NuisanceConfig:
    """The force's nuisance configuration (the policy file's ``[nuisance]`` table), checked
    against ``policy`` and loaded once per process."""
    if settings.policy not in _nuisance:
        _nuisance[settings.policy] = load_nuisance_config(settings.policy, policy)
    return _nuisance[settings.policy]


class TemplateDocuments:
    """The ``DocumentRenderer`` port over ``adapters.documents``, with the force's templates."""

    def __init__(self, templates: str | None) -> None:
        self.templates = templates

    def render(
        self,
        kind: DocumentKind,
        fmt: str,
        case: CaseRecord,
        history: CallerHistory,
        *,
        policy: Policy,
        ladder: Ladder,
        generated_at: datetime,
        reference: str,
        prepared_by: Actor,
        flags: Sequence[NuisanceFlag] = (),
        caller_name: str = "",
        incident_references: Mapping[str, str] | None = None,
    ) -> bytes:
        """The document as PDF, or as HTML in UTF-8."""
        data = build_document_data(
            kind,
            case,
            history,
            policy,
            ladder,
            generated_at=generated_at,
            reference=reference,
            prepared_by=prepared_by,
            flags=flags,
            caller_name=caller_name,
            incident_references=incident_references,
        )
        if fmt == "pdf":
            return render_pdf(data, self.templates)
        return render_html(data, self.templates).encode("utf-8")


def document_renderer(config: NuisanceConfig) -> TemplateDocuments:
    """The renderer for the force's nuisance documents."""
    return TemplateDocuments(config.templates)


def semantic_layer_for(settings: Settings, policy: Policy) -> SemanticIndex | None:
    """Triage's semantic layer for ``policy``: the embedding model in ``settings.model_dir``,
    checked against its published hashes, over the policy's exemplar bank. None, with one
    warning in the log (on stderr), when the policy has no bank or the model is missing or not
    the published one: triage then runs on its rules alone."""
    if policy.exemplars is None:
        return None
    try:
        encoder = MiniLM(settings.model_dir)
    except ModelIntegrityError as exc:
        log.warning("triage's semantic layer is off: %s", exc)
        return None
    return SemanticIndex(encoder, policy.exemplars, cache_dir=settings.model_dir)


def gazetteer_for(settings: Settings) -> SqlGazetteer:
    """The force's gazetteer, in the configured database (shared by every instance)."""
    return SqlGazetteer(engine_for(settings))


def location_reader_for(settings: Settings) -> TypedLocationReader:
    """Reads what a handler types in the location box: the recogniser, what3words with the
    configured key, and the gazetteer (settings read now, so a changed key applies at once)."""
    return TypedLocationReader(What3WordsService.from_settings(settings), gazetteer_for(settings))


def basemap_for(settings: Settings) -> dict[str, Any]:
    """The console's offline basemap (coastline and land), with the force area when
    ``CONTROLROOM_FORCE_AREA`` names a GeoJSON file of it."""
    return basemap(Path(settings.force_area) if settings.force_area else None)
