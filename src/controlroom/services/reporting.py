"""Online reporting use cases (Digital 101 and Open311 GeoReport v2).

A report becomes an ``online_report`` contact through the contacts services, in one unit of
work: the contact offered (audited, with triage's reading of the description), its location
added, and the report stored beside it under a public reference. When triage reads an
emergency, the offer's audit row says ``escalate: immediate``, the contact is marked as an
emergency (``escalate``: an alarm at the top of every handler's Waiting list, see
``services/escalations.py``) and a :class:`ReportEscalated` event is published after the
commit.

Partner systems submit with an API key: an API token of role ``integration`` (the accounts
service's tokens, stored hashed), holding :data:`SUBMIT_PERMISSION`. Reading reports is public
and gives only :class:`PublicReport` fields.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import (
    ActionKind,
    AddLocation,
    Caller,
    Contact,
    LocationEvidence,
)
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import Conflict, InvalidInput, NotFound
from controlroom.domain.location import LocationFix, LocationSource
from controlroom.domain.policy import Policy, Route
from controlroom.domain.reporting import (
    REFERENCE_BITS,
    TOKEN,
    CheckedReport,
    PublicReport,
    ReportEscalated,
    ReportingConfig,
    ReportQuery,
    ReportRecord,
    ServiceType,
    StoredReport,
    Submission,
    check_submission,
    make_reference,
    postcode_district,
    public_view,
    read_reference,
    search_window,
)
from controlroom.domain.triage import Channel, Decision
from controlroom.services.accounts import authenticate_token
from controlroom.services.contacts import (
    UowFactory,
    new_contact_id,
    record_action,
    record_offer,
    suggest,
)
from controlroom.services.escalations import escalate_by_triage
from controlroom.services.location_matching import evidence_for_fix, evidence_for_unlocated
from controlroom.services.ports import UnitOfWork

#: What a partner system needs to submit reports: the permission of systems that feed contacts
#: in (telephony, location and reporting integrations).
SUBMIT_PERMISSION = Permission.TELEPHONY_INGEST
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_REFERENCES = 100
_ATTEMPTS = 3


class ReportRepository(Protocol):
    """Online reports, each beside the contact it made (``adapters/db/reports.py``)."""

    def add(self, report: StoredReport) -> None:
        """Store a new report; ``Conflict`` when its reference, token or contact is taken."""

    def get(self, reference: str) -> ReportRecord | None:
        """The report with ``reference``, or ``None``."""

    def by_token(self, token: str) -> ReportRecord | None:
        """The report given ``token``, or ``None``."""

    def for_contact(self, contact_id: str) -> ReportRecord | None:
        """The report that made the contact, or ``None``."""

    def list(self, query: ReportQuery, *, limit: int, offset: int) -> list[ReportRecord]:
        """Listed reports matching ``query``, newest first."""

    def count(self, query: ReportQuery) -> int:
        """How many listed reports match ``query``."""


#: The reports inside a unit of work (entered), in the same transaction as its contacts.
ReportsOf = Callable[[UnitOfWork], ReportRepository]


@dataclass(frozen=True)
class Reporting:
    """What the reporting use cases work with: the force's report types and the reports."""

    config: ReportingConfig
    reports: ReportsOf


@dataclass(frozen=True)
class ReportReceipt:
    """What a reporter is told: the reference (or a token, or neither for a blackbox type)."""

    reference: str | None
    token: str | None
    service_notice: str
    contact_id: str
    escalated: bool
    decision: Decision | None


@dataclass(frozen=True)
class ReportPage:
    """One page of public reports, newest first, and how many match in all."""

    items: list[PublicReport]
    total: int
    page: int
    page_size: int


def api_client(uow_factory: UowFactory, api_key: str | None, now: datetime) -> Principal:
    """The partner system behind an Open311 ``api_key``, if it may submit reports.

    Raises ``Unauthenticated`` for a missing, unknown or revoked key and ``AccessDenied`` for
    a key whose role may not submit.
    """
    reader, recorder = uow_factory(read_only=True), uow_factory()
    principal = authenticate_token(reader, api_key, now=now, recorder=recorder)
    access_check(principal, SUBMIT_PERMISSION)
    return principal


def submit_report(
    uow_factory: UowFactory,
    client: Principal,
    submission: Submission,
    now: datetime,
    policy: Policy,
    reporting: Reporting,
) -> ReportReceipt:
    """Turn a report into a triaged ``online_report`` contact; what to tell the reporter."""
    access_check(client, SUBMIT_PERMISSION)
    now = require_utc(now)
    checked = check_submission(reporting.config, submission, policy)
    decision = suggest(submission.description, Channel.ONLINE_REPORT, policy)
    for _ in range(_ATTEMPTS):
        try:
            return _store(uow_factory, client, checked, decision, now, policy, reporting)
        except Conflict:  # a reference or contact id drawn twice: draw again
            continue
    raise Conflict("the report could not be stored; send it again", field="service_code")


def _store(
    uow_factory: UowFactory,
    client: Principal,
    checked: CheckedReport,
    decision: Decision | None,
    now: datetime,
    policy: Policy,
    reporting: Reporting,
) -> ReportReceipt:
    config, report_type = reporting.config, checked.report_type
    reference = make_reference(config.reference_prefix, now.year, secrets.randbits(REFERENCE_BITS))
    token = secrets.token_hex(10) if report_type.type is ServiceType.BATCH else None
    listed = report_type.type is not ServiceType.BLACKBOX
    escalated = decision is not None and decision.route is Route.EMERGENCY
    actor = client.actor
    contact, events = Contact.offer(
        contact_id=new_contact_id(now),
        channel=Channel.ONLINE_REPORT,
        caller=Caller(number=checked.caller_number, name=checked.name),
        actor=actor,
        now=now,
        policy=policy,
        narrative=checked.submission.description,
    )
    audit: dict[str, Any] = {"reference": reference, "service_code": report_type.service_code}
    if escalated:
        audit["escalate"] = "immediate"
    report = StoredReport(
        reference=reference,
        contact_id=contact.id,
        service_code=report_type.service_code,
        requested_at=now,
        listed=listed,
        escalated=escalated,
        token=token,
        details=_details(checked),
    )
    with uow_factory() as uow:
        record_offer(uow, contact, events, actor, now, policy, **audit)
        evidence = _evidence(checked.submission, now)
        action = AddLocation(evidence)
        record_action(uow, contact, action, actor=actor, now=now, policy=policy)
        reporting.reports(uow).add(report)
        if escalated and decision is not None:
            escalate_by_triage(uow, contact, decision, principal=client, now=now, policy=policy)
            alert = ReportEscalated(
                contact_id=contact.id,
                seq=1,
                action=ActionKind.OFFER,
                actor=actor,
                at=now,
                reference=reference if listed else None,
                service_code=report_type.service_code,
                summary=decision.summary,
            )
            uow.collect([alert])
        uow.commit()
    return ReportReceipt(
        reference=reference if listed and token is None else None,
        token=token,
        service_notice=config.notice(report_type, emergency=escalated),
        contact_id=contact.id,
        escalated=escalated,
        decision=decision,
    )


def _details(checked: CheckedReport) -> dict[str, Any]:
    """The private part of a stored report: answers, location and contact details given."""
    given = checked.submission
    answers = {
        code: list(value) if isinstance(value, tuple) else value
        for code, value in checked.answers.items()
    }
    details: dict[str, Any] = {"answers": answers, "lat": given.lat, "long": given.long}
    for name in ("address_string", "address_id", "email", "first_name", "last_name", "phone"):
        details[name] = getattr(given, name)
    details |= {"media_url": given.media_url, "zipcode": checked.zipcode}
    return {key: value for key, value in details.items() if value not in (None, "", {})}


def _evidence(given: Submission, now: datetime) -> LocationEvidence:
    """Where the report says it happened, as the contact's location evidence."""
    extra = {"given_in": "online report"}
    extra |= {name: getattr(given, name) for name in ("address_string", "address_id")}
    extra = {key: value for key, value in extra.items() if value}
    if given.lat is not None and given.long is not None:
        source = LocationSource.COORDINATES
        fix = LocationFix(source=source, lat=given.lat, lon=given.long, extra=extra)
        return evidence_for_fix(fix, now)
    text = given.address_string.strip() or f"address id {given.address_id}"
    source = LocationSource.POSTCODE if postcode_district(text) else LocationSource.COORDINATES
    return evidence_for_unlocated(source, text, "given in an online report; not geocoded", now)


def get_report(
    uow_factory: UowFactory, reference: str, policy: Policy, reporting: Reporting
) -> PublicReport:
    """The public view of one report; :class:`NotFound` for an unknown or unlisted one."""
    wanted = read_reference(reference)
    record = None
    if wanted is not None:
        with uow_factory(read_only=True) as uow:
            record = reporting.reports(uow).get(wanted)
    if record is None:
        raise NotFound(f"no report {reference!r}", field="service_request_id")
    return public_view(record, reporting.config, policy.force.name)


def reference_for_token(uow_factory: UowFactory, token: str, reporting: Reporting) -> str:
    """The reference of the report given ``token``; :class:`NotFound` when there is none."""
    record = None
    if TOKEN.fullmatch(token):
        with uow_factory(read_only=True) as uow:
            record = reporting.reports(uow).by_token(token)
    if record is None or not record.report.listed:
        raise NotFound(f"no token {token!r}", field="token")
    return record.report.reference


def list_reports(
    uow_factory: UowFactory,
    query: ReportQuery,
    now: datetime,
    policy: Policy,
    reporting: Reporting,
    *,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> ReportPage:
    """A page of public reports matching ``query``, newest first. References, when given,
    override every other filter; otherwise the period is at most 90 days (the last 90 by
    default), as Open311 says."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page_size must be 1-{MAX_PAGE_SIZE}", field="page_size")
    if not 1 <= page <= 100_000:
        raise InvalidInput("page must be 1 or more", field="page")
    if query.references:
        if len(query.references) > MAX_REFERENCES:
            raise InvalidInput(
                f"at most {MAX_REFERENCES} service_request_id values", field="service_request_id"
            )
        found = (read_reference(reference) for reference in query.references)
        query = ReportQuery(references=tuple(item for item in found if item))
        if not query.references:  # none of them could be a reference
            return ReportPage([], 0, page, page_size)
    else:
        start, end = search_window(query.start, query.end, require_utc(now))
        query = replace(query, start=start, end=end)
    with uow_factory(read_only=True) as uow:
        reports = reporting.reports(uow)
        records = reports.list(query, limit=page_size, offset=(page - 1) * page_size)
        total = reports.count(query)
    items = [public_view(record, reporting.config, policy.force.name) for record in records]
    return ReportPage(items, total, page, page_size)


def report_for_contact(
    uow_factory: UowFactory, principal: Principal, contact_id: str, reporting: Reporting
) -> ReportRecord | None:
    """The whole report behind an online contact (answers and contact details included), for
    people who may read contacts; ``None`` when the contact did not come from a report."""
    access_check(principal, Permission.CONTACT_READ)
    with uow_factory(read_only=True) as uow:
        return reporting.reports(uow).for_contact(contact_id)
