"""The composition root: builds the policy, the database and the units of work the
interfaces use, and the nuisance configuration and document renderer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from controlroom.adapters.basemap import basemap
from controlroom.adapters.chat_store import InProcessChatStore, RedisChatStore
from controlroom.adapters.contact_log import CONTACT_LOG
from controlroom.adapters.db import migrate
from controlroom.adapters.db.gazetteer import SqlGazetteer
from controlroom.adapters.db.login_attempts import SqlAttemptStore
from controlroom.adapters.db.outage import reason
from controlroom.adapters.db.reports import sql_reports
from controlroom.adapters.db.uow import Publisher, SqlUnitOfWork, observe_commits
from controlroom.adapters.documents import build_document_data, render_html, render_pdf
from controlroom.adapters.location_reader import TypedLocationReader
from controlroom.adapters.login_attempts_redis import RedisAttemptStore
from controlroom.adapters.mait.partners_file import load_mait_directory
from controlroom.adapters.mait.xml_codec import from_xml, parse_acknowledgement, to_xml
from controlroom.adapters.metrics import EVENT_COUNTER, AppMetrics, PrometheusInstruments
from controlroom.adapters.nuisance_config import load_nuisance_config
from controlroom.adapters.oidc import OidcProvider
from controlroom.adapters.pubsub import InProcessBroker, RedisBroker
from controlroom.adapters.reporting_config import load_reporting_config
from controlroom.adapters.secrets import Argon2Hasher
from controlroom.adapters.signed_http import SignedHttpTransport
from controlroom.adapters.spent_tokens import RedisSpentTokens
from controlroom.adapters.what3words_client import What3WordsService
from controlroom.bootstrap.outbox_metrics import add_outbox_gauge, count_delivery_round
from controlroom.bootstrap.sizing import engine_for as engine_for
from controlroom.bootstrap.sizing import sizing_for as sizing_for
from controlroom.config import Settings
from controlroom.domain.contacts import Actor
from controlroom.domain.errors import DomainError, SchemaMismatch
from controlroom.domain.mait import MaitDirectory
from controlroom.domain.mait.delivery import destination_for
from controlroom.domain.nuisance import (
    CallerHistory,
    CaseRecord,
    DocumentKind,
    Ladder,
    NuisanceConfig,
    NuisanceFlag,
)
from controlroom.domain.outbox import RetryPolicy
from controlroom.domain.policy import Policy
from controlroom.domain.reporting import ReportingConfig
from controlroom.services import cc_handoff
from controlroom.services.chat_store import ChatStore
from controlroom.services.instruments import install_instruments
from controlroom.services.live import Broker
from controlroom.services.login_limits import AttemptStore
from controlroom.services.outbox import overdue as outbox_overdue
from controlroom.services.outbox_worker import DeliveryWorker
from controlroom.services.partner_handoff import PartnerSetup, attach_partners
from controlroom.services.reporting import Reporting
from controlroom.triage_setup import loaded_policy
from controlroom.triage_setup import policy_for as triage_policy_for
from controlroom.triage_setup import semantic_layer_for as semantic_layer_for

log = logging.getLogger(__name__)


class UowFactory(Protocol):
    """Makes a new unit of work; ``read_only=True`` for one that only reads."""

    def __call__(self, *, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork: ...


def policy_for(settings: Settings) -> Policy:
    """The force policy the settings name, loaded once per process, with triage's semantic
    layer attached (:mod:`controlroom.triage_setup`) and its MAIT partners."""
    policy = triage_policy_for(settings)
    attach_mait(settings, policy)
    return policy


_migrated: set[str] = set()


def prepare_database(settings: Settings) -> None:
    """Make sure the configured database's schema is this version's (once per process and
    URL): upgrade it when ``migrate_on_start`` allows, else refuse to go on. A schema newer
    than this version knows is always refused (:class:`SchemaMismatch`)."""
    url = settings.database_url
    if url in _migrated:
        return
    engine = engine_for(settings)
    found, head = migrate.current(url, engine=engine), migrate.head_revision()
    if found is not None and not migrate.is_known(found):
        raise SchemaMismatch(
            f"the database's schema is at revision {found}, which this version of controlroom "
            f"(schema {head}) does not know: a newer version wrote it",
            hint="run the newer version, or restore a backup taken with this one",
        )
    if found != head:
        if not settings.migrate_on_start:
            raise SchemaMismatch(
                f"the database's schema is at revision {found or 'none'}, this version needs "
                f"{head}",
                hint="run `controlroom db upgrade` once, then start the instances "
                "(CONTROLROOM_MIGRATE_ON_START is false)",
            )
        migrate.upgrade(url, engine=engine)
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
        return outbox_readiness(settings)

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

    destinations = outbox_destinations(settings)

    def make(*, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            engine,
            publisher,
            read_only=read_only,
            snapshot=snapshot,
            outbox_destinations=destinations,
        )

    return make


def metrics_for(settings: Settings) -> AppMetrics:
    """The application's metrics (``adapters/metrics.py``) on the configured database; the
    process's instruments, and the commit observers counting events and writing the contacts'
    lifecycle lines in the log (``adapters/contact_log.py``), are installed (once)."""
    install_instruments(PrometheusInstruments())
    observe_commits(EVENT_COUNTER)
    observe_commits(CONTACT_LOG)
    metrics = AppMetrics(engine_for(settings))
    add_outbox_gauge(metrics, uow_factory(settings, migrate_first=False))
    return metrics


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


@lru_cache(maxsize=8)
def _mait_directory(reference: str) -> MaitDirectory | None:
    return load_mait_directory(reference, loaded_policy(reference))


def attach_mait(settings: Settings, policy: Policy) -> None:
    """Give ``policy`` the MAIT partners of the settings' policy file and the XML codec (none
    without a ``[mait]`` table): the partner handoff reads them (``services/partner_handoff``)."""
    directory = _mait_directory(settings.policy)
    setup = (
        None
        if directory is None
        else PartnerSetup(directory, to_xml, from_xml, parse_acknowledgement)
    )
    attach_partners(policy, setup)


def _partner_destinations(settings: Settings) -> list[str]:
    """``partner:<agency>`` for each MAIT partner, when ``CONTROLROOM_MAIT_URL`` is set."""
    directory = _mait_directory(settings.policy) if settings.mait_url else None
    return [] if directory is None else [destination_for(p.agency) for p in directory.partners]


def outbox_destinations(settings: Settings) -> frozenset[str]:
    """The outbox destinations configured: ``cc`` when ``CONTROLROOM_CC_URL`` is set, and
    ``partner:<agency>`` for each MAIT partner when ``CONTROLROOM_MAIT_URL`` is."""
    found = set(_partner_destinations(settings))
    if settings.cc_url:
        found.add(cc_handoff.DESTINATION)
    return frozenset(found)


def outbox_transports(settings: Settings) -> dict[str, SignedHttpTransport]:
    """A transport for each configured destination (one, to the MAIT hub, shared by every
    partner); :class:`InvalidInput` for a setting that cannot work (a URL that is not HTTPS,
    no secret)."""
    transports = {}
    if settings.cc_url:
        transports[cc_handoff.DESTINATION] = SignedHttpTransport(
            settings.cc_url, settings.cc_secret or "", setting="CONTROLROOM_CC_URL"
        )
    partners = _partner_destinations(settings)
    if settings.mait_url and partners:
        hub = SignedHttpTransport(
            settings.mait_url, settings.mait_secret or "", setting="CONTROLROOM_MAIT_URL"
        )
        transports |= dict.fromkeys(partners, hub)
    return transports


def retry_policy(settings: Settings) -> RetryPolicy:
    """How often and how patiently outbox messages are attempted."""
    return RetryPolicy(
        max_attempts=settings.outbox_max_attempts,
        base_seconds=min(settings.outbox_backoff_seconds, settings.outbox_backoff_max_seconds),
        max_seconds=settings.outbox_backoff_max_seconds,
    )


def delivery_worker(settings: Settings, factory: Any) -> DeliveryWorker | None:
    """The outbox's delivery worker over ``factory``'s units of work, when a destination is
    configured (not started)."""
    transports = outbox_transports(settings)
    if not transports:
        return None
    return DeliveryWorker(
        factory,
        transports,
        retry_policy(settings),
        poll_seconds=settings.outbox_poll_seconds,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        on_round=count_delivery_round,
    )


def outbox_readiness(settings: Settings) -> list[str]:
    """``outbox: N messages overdue`` when delivery is stuck (nothing when no destination)."""
    if not outbox_destinations(settings):
        return []
    stuck = timedelta(seconds=settings.outbox_stuck_seconds)
    factory = uow_factory(settings, migrate_first=False)
    try:
        problem = outbox_overdue(factory, datetime.now(UTC), stuck)
    except (DomainError, SQLAlchemyError):
        return ["outbox: cannot be read"]
    return [] if problem is None else [problem]
