"""Online reporting use cases on the real database (SQLite, and PostgreSQL when asked for): a
report becomes a triaged, audited online-report contact; emergencies are escalated; public
reads carry no personal data; API keys are integration tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from controlroom.adapters.db.reports import sql_reports
from controlroom.adapters.reporting_config import load_reporting_config
from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.access import AccessDenied, Principal, Unauthenticated
from controlroom.domain.contacts import Actor, Answer, Assess, Close, Refer, Role, State
from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.domain.policy import Policy
from controlroom.domain.reporting import (
    EMERGENCY_NOTICE,
    ESCALATED_NOTE,
    HandledElsewhere,
    ReportEscalated,
    ReportingConfig,
    ReportQuery,
    ReportType,
    ServiceType,
    Status,
    Submission,
)
from controlroom.domain.triage import Channel
from controlroom.services import accounts, reporting
from controlroom.services import contacts as contact_service
from controlroom.services.contacts import UowFactory

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
PARTNER = Principal("partner", Role.INTEGRATION)
HANDLER = Principal("alice", Role.CALL_HANDLER)
ADMIN = Actor("cli:test", Role.ADMIN)
THEFT = {"CRIME_TYPE": ("theft",), "WHEN": ("2026-01-20T22:00:00Z",)}
EVERYTHING = ReportQuery()
EMERGENCY = "Someone is breaking into my house right now, he has a knife"


class Recorder:
    """A publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[object] = []

    def publish(self, events: Sequence[object]) -> None:
        self.events.extend(events)


class Desk:
    """The reporting use cases on the test database and the seed force's report types."""

    def __init__(self, database_url: str, policy: Policy) -> None:
        settings = Settings(policy="dcp-p-042", database_url=database_url, demo=False)
        self.published = Recorder()
        self.factory: UowFactory = uow_factory(
            settings, publisher=self.published, migrate_first=False
        )
        self.policy = policy
        config = load_reporting_config("dcp-p-042", policy)
        self.reporting = reporting.Reporting(config, sql_reports)

    def submit(self, client: Principal = PARTNER, **changes: Any) -> reporting.ReportReceipt:
        fields: dict[str, Any] = {
            "service_code": "crime",
            "description": "My bike was stolen from the shed last night",
            "attributes": THEFT,
            "lat": 50.371234,
            "long": -4.142345,
            "first_name": "Ann",
            "last_name": "Other",
            "email": "ann@example.org",
            "phone": "07700 900123",
        }
        at = changes.pop("now", NOW)
        submission = Submission(**(fields | changes))
        return reporting.submit_report(
            self.factory, client, submission, at, self.policy, self.reporting
        )

    def search(self, query: ReportQuery = EVERYTHING, **paging: int) -> reporting.ReportPage:
        now = NOW + timedelta(hours=1)
        return reporting.list_reports(
            self.factory, query, now, self.policy, self.reporting, **paging
        )


@pytest.fixture
def desk(database_url: str, policy: Policy) -> Desk:
    return Desk(database_url, policy)


def test_a_report_becomes_an_audited_triaged_online_report_contact(desk: Desk) -> None:
    receipt = desk.submit()
    assert receipt.reference and receipt.reference.startswith("DC-")
    assert receipt.token is None and not receipt.escalated
    details = contact_service.get_contact(
        desk.factory, HANDLER, receipt.contact_id, NOW, desk.policy
    )
    record = details.contact.record
    assert record.channel is Channel.ONLINE_REPORT and record.state is State.OFFERED
    assert record.narrative == "My bike was stolen from the shed last night"
    assert (record.caller.name, record.caller.number) == ("Ann Other", "+447700900123")
    assert details.location is not None and details.location.fix is not None
    assert details.location.fix.lat == 50.371234
    assert details.suggestion is not None and details.suggestion.route.value != "emergency"
    audit = contact_service.read_audit(
        desk.factory, Principal("audrey", Role.AUDITOR), subject=f"contact:{record.id}"
    )
    offer = audit[0]
    assert offer.actor == "partner" and offer.details["reference"] == receipt.reference
    assert offer.details["service_code"] == "crime" and "escalate" not in offer.details
    assert "triage_route" in offer.details and "ann@example.org" not in str(offer.details)
    assert [entry.tag for entry in audit][1] == "contact:procedure:add_location"
    assert not any(isinstance(event, ReportEscalated) for event in desk.published.events)


def test_an_emergency_in_a_report_is_escalated_at_once(desk: Desk) -> None:
    answers = {"ASB_KIND": ("personal",), "ONGOING": ("first",)}
    receipt = desk.submit(service_code="asb", description=EMERGENCY, attributes=answers)
    assert receipt.escalated and receipt.decision is not None
    assert receipt.decision.route.value == "emergency"
    assert receipt.service_notice == EMERGENCY_NOTICE
    alerts = [event for event in desk.published.events if isinstance(event, ReportEscalated)]
    assert len(alerts) == 1
    assert alerts[0].contact_id == receipt.contact_id and alerts[0].reference == receipt.reference
    assert "Emergency" in alerts[0].summary
    audit = contact_service.read_audit(
        desk.factory, Principal("audrey", Role.AUDITOR), subject=f"contact:{receipt.contact_id}"
    )
    assert audit[0].details["escalate"] == "immediate"
    assert audit[0].details["triage_route"] == "emergency"
    # The contact itself is marked, in the same transaction: the consoles' alarm reads it.
    assert [entry.tag for entry in audit][-1] == "contact:procedure:escalate"
    assert audit[-1].details["source"] == "triage" and audit[-1].actor == "partner"
    with desk.factory(read_only=True) as uow:
        stored = uow.contacts.get(receipt.contact_id)
    assert stored is not None and stored.record.escalation is not None
    assert stored.state is State.OFFERED
    assert receipt.reference is not None
    public = reporting.get_report(desk.factory, receipt.reference, desk.policy, desk.reporting)
    assert public.status is Status.OPEN and public.status_notes == ESCALATED_NOTE


def test_the_public_view_of_a_report_has_no_personal_data(desk: Desk) -> None:
    receipt = desk.submit(address_string="1 High Street, Plymouth PL1 1AA")
    assert receipt.reference is not None
    public = reporting.get_report(
        desk.factory, receipt.reference.lower(), desk.policy, desk.reporting
    )
    assert public.service_request_id == receipt.reference
    assert (public.lat, public.long, public.zipcode) == (50.37, -4.14, "PL1")
    assert public.agency_responsible == "Devon & Cornwall Police"
    for private in ("Ann", "ann@example.org", "900123", "High Street", "bike"):
        assert private not in repr(public)
    for unknown in ("DC-2026-00000000", "nonsense", ""):
        with pytest.raises(NotFound):
            reporting.get_report(desk.factory, unknown, desk.policy, desk.reporting)


def test_the_whole_report_is_for_people_who_may_read_contacts(desk: Desk) -> None:
    receipt = desk.submit(attributes=THEFT | {"EVIDENCE": ("doorbell camera",)})
    record = reporting.report_for_contact(desk.factory, HANDLER, receipt.contact_id, desk.reporting)
    assert record is not None and record.report.details["email"] == "ann@example.org"
    assert record.report.details["answers"]["EVIDENCE"] == "doorbell camera"
    with pytest.raises(AccessDenied):
        reporting.report_for_contact(desk.factory, PARTNER, receipt.contact_id, desk.reporting)


def test_a_batch_type_answers_with_a_token(desk: Desk) -> None:
    attributes = {"ITEM": ("phone",), "WHEN": ("2026-01-20T22:00:00Z",)}
    receipt = desk.submit(service_code="lost-property", attributes=attributes)
    assert receipt.reference is None and receipt.token is not None
    reference = reporting.reference_for_token(desk.factory, receipt.token, desk.reporting)
    assert reference.startswith("DC-")
    for token in ("0" * 20, "not a token"):
        with pytest.raises(NotFound):
            reporting.reference_for_token(desk.factory, token, desk.reporting)


def test_a_blackbox_type_gives_nothing_to_follow_and_is_never_listed(desk: Desk) -> None:
    quiet = ReportType("quiet", "Quiet", "No reference", type=ServiceType.BLACKBOX)
    desk.reporting = reporting.Reporting(ReportingConfig((quiet,), "DC"), sql_reports)
    receipt = desk.submit(service_code="quiet", attributes={})
    assert receipt.reference is None and receipt.token is None
    contact_service.get_contact(desk.factory, HANDLER, receipt.contact_id, NOW, desk.policy)
    assert desk.search().total == 0


def test_a_type_handled_elsewhere_stores_nothing(desk: Desk) -> None:
    with pytest.raises(HandledElsewhere):
        desk.submit(service_code="abandoned-vehicle", attributes={})
    with pytest.raises(InvalidInput):
        desk.submit(attributes={"WHEN": THEFT["WHEN"]})  # CRIME_TYPE is required
    page = contact_service.list_contacts(desk.factory, HANDLER, contact_service.ContactFilters())
    assert page.total == 0


def test_api_keys_are_integration_tokens(desk: Desk) -> None:
    token_id, key = accounts.create_token(desk.factory(), ADMIN, "fixmystreet", "integration")
    assert reporting.api_client(desk.factory, key, NOW).name == "fixmystreet"
    for bad in (None, "", "cr_0123456789abcdef_" + "x" * 43, key[:-1] + "?"):
        with pytest.raises(Unauthenticated):
            reporting.api_client(desk.factory, bad, NOW)
    accounts.add_user(desk.factory(), ADMIN, "alice", "call_handler")
    handler_key = accounts.create_token(desk.factory(), ADMIN, "alice")[1]
    with pytest.raises(AccessDenied):
        reporting.api_client(desk.factory, handler_key, NOW)
    with pytest.raises(AccessDenied):
        desk.submit(client=HANDLER)
    accounts.revoke_token(desk.factory(), ADMIN, token_id)
    with pytest.raises(Unauthenticated):
        reporting.api_client(desk.factory, key, NOW)


def _close(desk: Desk, contact_id: str) -> None:
    for action in (
        Answer(),
        Assess(grade="resolution_without_deployment", reason="handled elsewhere"),
        Refer(agency="council"),
        Close(),
    ):
        contact_service.do_action(desk.factory, HANDLER, contact_id, action, NOW, desk.policy)


def test_searching_by_type_status_period_and_reference_a_page_at_a_time(desk: Desk) -> None:
    found = [desk.submit(now=NOW - timedelta(days=days)) for days in (0, 1, 2, 100)]
    asb = desk.submit(
        service_code="asb",
        description="Teenagers shouting in the park every evening",
        attributes={"ASB_KIND": ("nuisance",), "ONGOING": ("repeated",)},
        now=NOW - timedelta(hours=12),
    )
    _close(desk, asb.contact_id)
    everything = desk.search()
    assert everything.total == 4  # the one from 100 days ago is outside the default 90
    references = [item.service_request_id for item in everything.items]
    newest_first = [found[0], asb, found[1], found[2]]
    assert references == [receipt.reference for receipt in newest_first]
    crime = desk.search(ReportQuery(service_codes=("crime",)))
    assert crime.total == 3 and {item.service_code for item in crime.items} == {"crime"}
    closed = desk.search(ReportQuery(statuses=frozenset({Status.CLOSED})))
    assert [item.service_request_id for item in closed.items] == [asb.reference]
    assert closed.items[0].status is Status.CLOSED
    assert desk.search(ReportQuery(statuses=frozenset({Status.OPEN}))).total == 3
    period = ReportQuery(start=NOW - timedelta(days=1, hours=1), end=NOW - timedelta(hours=13))
    assert [item.service_request_id for item in desk.search(period).items] == [found[1].reference]
    old = found[3].reference
    assert old is not None
    by_reference = desk.search(ReportQuery(references=(old, "junk"), service_codes=("asb",)))
    assert [item.service_request_id for item in by_reference.items] == [old]
    pages = [desk.search(page=number, page_size=3) for number in (1, 2, 3)]
    assert [len(page.items) for page in pages] == [3, 1, 0]
    assert pages[1].total == 4


def test_bad_searches_are_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput):
        desk.search(ReportQuery(start=NOW - timedelta(days=91), end=NOW))
    for paging in ({"page": 0}, {"page_size": 0}, {"page_size": reporting.MAX_PAGE_SIZE + 1}):
        with pytest.raises(InvalidInput):
            desk.search(**paging)
    with pytest.raises(InvalidInput):
        desk.search(ReportQuery(references=tuple(f"DC-2026-{n:08d}" for n in range(101))))
