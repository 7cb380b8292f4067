"""Open311 GeoReport v2 under /open311/v2, checked against the shapes of the spec's examples,
in JSON and in XML (read with ElementTree), on each test database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from controlroom.domain.policy import Policy
from controlroom.web.open311.limits import Limiter, Rate, RateLimits
from tests.web.conftest import bearer

V2 = "/open311/v2"
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
PERSONAL = ("Ann", "Other", "ann@example.org", "900123", "High Street", "stolen from the shed")
EMERGENCY = "Someone is breaking into my house right now, he has a knife"


@pytest.fixture
def api_key(token_for: Callable[[str], str]) -> str:
    """A partner system's Open311 api_key: an integration token."""
    return token_for("integration")


CRIME_ANSWERS = {"attribute[CRIME_TYPE]": "theft", "attribute[WHEN]": "2026-01-20T22:00:00Z"}


def report(api_key: str, answers: dict[str, str] | None = None, **changes: str) -> dict[str, str]:
    """A valid form for a crime report (other answers for another type), with ``changes``."""
    form = {
        "api_key": api_key,
        "service_code": "crime",
        "lat": "50.371234",
        "long": "-4.142345",
        "address_string": "1 High Street, Plymouth PL1 1AA",
        "description": "My bike was stolen from the shed last night",
        "first_name": "Ann",
        "last_name": "Other",
        "email": "ann@example.org",
        "phone": "07700 900123",
    }
    return form | (CRIME_ANSWERS if answers is None else answers) | changes


def xml(response: Response) -> ElementTree.Element:
    assert response.headers["content-type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)


def spec_error(response: Response, status: int) -> str:
    """The description of an error answer, after checking it has the spec's shape."""
    assert response.status_code == status, response.text
    if response.headers["content-type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors" and [child.tag for child in root] == ["error"]
        assert [child.tag for child in root[0]] == ["code", "description"]
        assert root.findtext("error/code") == str(status)
        return root.findtext("error/description") or ""
    body = response.json()
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status
    return str(body[0]["description"])


def submit(client: TestClient, form: dict[str, str], fmt: str = "json") -> Response:
    return client.post(f"{V2}/requests.{fmt}", data=form)


# -- services ---------------------------------------------------------------------------------


def test_the_services_list_is_the_policys_report_types(anonymous: TestClient, app: FastAPI) -> None:
    types = app.state.open311.reporting.config.report_types
    body = anonymous.get(f"{V2}/services.json").json()
    assert [list(item) for item in body] == [SERVICE_FIELDS] * len(types)
    assert [item["service_code"] for item in body] == [t.service_code for t in types]
    crime = body[0]
    assert crime["service_name"] == "Report a crime that has already happened"
    assert crime["metadata"] is True and crime["type"] == "realtime"
    assert crime["keywords"].startswith("theft, burglary") and crime["group"] == "Crime"
    by_code = {item["service_code"]: item for item in body}
    assert by_code["lost-property"]["type"] == "batch"
    assert by_code["abandoned-vehicle"]["metadata"] is False
    root = xml(anonymous.get(f"{V2}/services.xml"))
    assert root.tag == "services" and [child.tag for child in root] == ["service"] * len(types)
    assert [child.tag for child in root[0]] == SERVICE_FIELDS
    assert root.findtext("service/metadata") == "true"
    assert [node.text for node in root.iter("service_code")] == [t.service_code for t in types]


def test_a_service_definition_lists_its_attributes(anonymous: TestClient) -> None:
    body = anonymous.get(f"{V2}/services/crime.json").json()
    assert list(body) == ["service_code", "attributes"] and body["service_code"] == "crime"
    first = body["attributes"][0]
    assert list(first) == ATTRIBUTE_FIELDS
    assert first["variable"] is True and first["code"] == "CRIME_TYPE"
    assert first["datatype"] == "singlevaluelist" and first["required"] is True
    assert first["order"] == 1 and first["datatype_description"] is None
    assert first["values"][0] == {"key": "theft", "name": "Theft"}
    assert [a["order"] for a in body["attributes"]] == sorted(
        a["order"] for a in body["attributes"]
    )
    root = xml(anonymous.get(f"{V2}/services/crime.xml"))
    assert root.tag == "service_definition"
    assert [child.tag for child in root] == ["service_code", "attributes"]
    attribute = root.find("attributes/attribute")
    assert attribute is not None and [child.tag for child in attribute] == ATTRIBUTE_FIELDS
    assert root.findtext("attributes/attribute/values/value/key") == "theft"
    assert root.findtext("attributes/attribute/values/value/name") == "Theft"
    assert root.findtext("attributes/attribute/required") == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_404(anonymous: TestClient, fmt: str) -> None:
    description = spec_error(anonymous.get(f"{V2}/services/nothing.{fmt}"), 404)
    assert "nothing" in description


def test_unknown_formats_paths_and_jurisdictions_are_404(anonymous: TestClient) -> None:
    assert "format" in spec_error(anonymous.get(f"{V2}/services.html"), 404)
    assert "endpoint" in spec_error(anonymous.get(f"{V2}/discovery.xml"), 404)
    assert "endpoint" in spec_error(anonymous.post(f"{V2}/services.json"), 404)
    response = anonymous.get(f"{V2}/services.json?jurisdiction_id=elsewhere")
    assert "jurisdiction" in spec_error(response, 404)
    assert anonymous.get(f"{V2}/services.json?jurisdiction_id=devon-cornwall").status_code == 200


# -- submitting -----------------------------------------------------------------------------


def test_a_submission_answers_as_the_spec_shows(anonymous: TestClient, api_key: str) -> None:
    response = submit(anonymous, report(api_key))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.json()
    assert [list(item) for item in body] == [["service_request_id", "service_notice", "account_id"]]
    assert body[0]["service_request_id"].startswith("DC-") and body[0]["account_id"] is None
    assert "999" in body[0]["service_notice"]
    root = xml(submit(anonymous, report(api_key), "xml"))
    assert root.tag == "service_requests" and [child.tag for child in root] == ["request"]
    assert [child.tag for child in root[0]] == [
        "service_request_id",
        "service_notice",
        "account_id",
    ]
    assert root.findtext("request/account_id") in (None, "")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_missing_required_attribute_is_400(anonymous: TestClient, api_key: str, fmt: str) -> None:
    form = report(api_key)
    del form["attribute[WHEN]"]
    assert "attribute[WHEN] is required" in spec_error(submit(anonymous, form, fmt), 400)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"service_code": "nothing"}, "no report type"),
        ({"description": "x" * 4001}, "4,001 characters"),
        ({"lat": "north"}, "lat is not a number"),
        ({"attribute[NOPE]": "1"}, "no attribute 'NOPE'"),
        ({"colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_bad_submissions_are_refused_in_the_spec_format(
    anonymous: TestClient, api_key: str, changes: dict[str, str], words: str
) -> None:
    response = submit(anonymous, report(api_key, **changes))
    assert words in spec_error(response, 404 if "report type" in words else 400)


def test_bad_api_keys_are_403(anonymous: TestClient, api_key: str) -> None:
    response = submit(anonymous, report("cr_0123456789abcdef_" + "x" * 43), "xml")
    assert "api_key" in spec_error(response, 403)
    no_key = report(api_key)
    del no_key["api_key"]
    assert "api_key" in spec_error(submit(anonymous, no_key), 403)


def test_a_type_handled_elsewhere_points_to_the_agency(anonymous: TestClient, api_key: str) -> None:
    response = submit(anonymous, report(api_key, {}, service_code="abandoned-vehicle"))
    description = spec_error(response, 400)
    assert "Your local council" in description
    assert "https://www.gov.uk/find-local-council" in description


def test_keys_and_personal_data_never_travel_in_the_url(
    anonymous: TestClient, api_key: str
) -> None:
    response = anonymous.post(f"{V2}/requests.json?api_key={api_key}", data=report(api_key))
    assert "URL" in spec_error(response, 400)
    response = anonymous.post(f"{V2}/requests.json", json=report(api_key))
    assert "x-www-form-urlencoded" in spec_error(response, 400)


def test_a_body_over_the_limit_is_413(anonymous: TestClient, api_key: str) -> None:
    response = submit(anonymous, report(api_key, attribute_padding="x" * 70_000))
    assert "limit" in spec_error(response, 413)


def test_a_batch_type_answers_with_a_token_to_look_up(anonymous: TestClient, api_key: str) -> None:
    answers = {"attribute[ITEM]": "phone", "attribute[WHEN]": "2026-01-20T22:00:00Z"}
    form = report(api_key, answers, service_code="lost-property")
    body = submit(anonymous, form).json()
    assert list(body[0]) == ["token", "service_notice", "account_id"]
    token = body[0]["token"]
    looked_up = anonymous.get(f"{V2}/tokens/{token}.json").json()
    assert list(looked_up[0]) == ["service_request_id", "token"]
    assert looked_up[0]["token"] == token and looked_up[0]["service_request_id"].startswith("DC-")
    root = xml(anonymous.get(f"{V2}/tokens/{token}.xml"))
    assert [child.tag for child in root[0]] == ["service_request_id", "token"]
    spec_error(anonymous.get(f"{V2}/tokens/{'0' * 20}.json"), 404)


# -- reading requests ----------------------------------------------------------------------


def test_a_request_reads_as_the_spec_shows_without_personal_data(
    anonymous: TestClient, api_key: str
) -> None:
    reference = submit(anonymous, report(api_key)).json()[0]["service_request_id"]
    response = anonymous.get(f"{V2}/requests/{reference}.json")
    body = response.json()
    assert [list(item) for item in body] == [REQUEST_FIELDS]
    item = body[0]
    assert item["service_request_id"] == reference and item["status"] == "open"
    assert item["service_code"] == "crime" and item["agency_responsible"].startswith("Devon")
    assert (item["lat"], item["long"], item["zipcode"]) == (50.37, -4.14, "PL1")
    assert item["description"] == item["address"] == item["media_url"] == ""
    assert item["expected_datetime"] is None
    requested = datetime.fromisoformat(item["requested_datetime"])
    assert requested.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - requested) < timedelta(minutes=5)
    root = xml(anonymous.get(f"{V2}/requests/{reference.lower()}.xml"))
    assert root.tag == "service_requests" and [child.tag for child in root[0]] == REQUEST_FIELDS
    assert root.findtext("request/service_request_id") == reference
    for text in (response.text, ElementTree.tostring(root, encoding="unicode")):
        for private in PERSONAL:
            assert private not in text
    spec_error(anonymous.get(f"{V2}/requests/DC-2026-00000000.xml"), 404)


def _submitted(
    client: TestClient,
    api_key: str,
    count: int,
    answers: dict[str, str] | None = None,
    **changes: str,
) -> list[str]:
    return [
        submit(client, report(api_key, answers, **changes)).json()[0]["service_request_id"]
        for _ in range(count)
    ]


def test_requests_are_searched_by_the_standard_filters_a_page_at_a_time(
    anonymous: TestClient, api_key: str
) -> None:
    crimes = _submitted(anonymous, api_key, 3)
    asb = _submitted(
        anonymous,
        api_key,
        1,
        {"attribute[ASB_KIND]": "nuisance", "attribute[ONGOING]": "first"},
        service_code="asb",
    )
    everything = anonymous.get(f"{V2}/requests.json")
    assert everything.headers["x-total-count"] == "4"
    assert [item["service_request_id"] for item in everything.json()] == (asb + crimes[::-1])
    by_code = anonymous.get(f"{V2}/requests.json?service_code=asb").json()
    assert [item["service_request_id"] for item in by_code] == asb
    by_ids = anonymous.get(f"{V2}/requests.json?service_request_id={crimes[0]},{crimes[2]}")
    assert {item["service_request_id"] for item in by_ids.json()} == {crimes[0], crimes[2]}
    assert anonymous.get(f"{V2}/requests.json?status=closed").json() == []
    assert len(anonymous.get(f"{V2}/requests.json?status=open,closed").json()) == 4
    now = datetime.now(UTC)
    window = {"start_date": (now - timedelta(hours=1)).isoformat(), "end_date": now.isoformat()}
    assert len(anonymous.get(f"{V2}/requests.json", params=window).json()) == 4
    past = {"end_date": (now - timedelta(days=1)).isoformat()}
    assert anonymous.get(f"{V2}/requests.json", params=past).json() == []
    pages = [anonymous.get(f"{V2}/requests.xml?page={number}&page_size=3") for number in (1, 2)]
    assert [len(xml(page)) for page in pages] == [3, 1]
    assert all(page.headers["x-total-count"] == "4" for page in pages)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("status=pending", "unknown status"),
        ("page=first", "page must be a whole number"),
        ("page_size=1000", "page_size must be"),
        ("start_date=yesterday", "start_date is not an ISO 8601"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "90 days"),
    ],
)
def test_bad_searches_are_400(anonymous: TestClient, query: str, words: str) -> None:
    assert words in spec_error(anonymous.get(f"{V2}/requests.json?{query}"), 400)


# -- triage, escaping and limits ------------------------------------------------------------


def test_an_emergency_in_a_report_is_triaged_and_flagged_for_escalation(
    anonymous: TestClient, api_key: str, token_for: Callable[[str], str]
) -> None:
    form = report(api_key, description=EMERGENCY)
    answer = submit(anonymous, form).json()[0]
    assert "may be an emergency" in answer["service_notice"]
    assert "999" in answer["service_notice"]
    public = anonymous.get(f"{V2}/requests/{answer['service_request_id']}.json").json()[0]
    assert public["status_notes"].startswith("Marked as an emergency")
    handler = bearer(token_for("call_handler"))
    listed = anonymous.get("/api/contacts?channel=online_report", headers=handler).json()
    contact = anonymous.get(f"/api/contacts/{listed['items'][0]['id']}", headers=handler).json()
    assert contact["triage"]["suggestion"]["route"] == "emergency"
    audit = anonymous.get(
        f"/api/audit?subject=contact:{contact['id']}", headers=bearer(token_for("auditor"))
    ).json()["entries"]
    assert audit[0]["details"]["escalate"] == "immediate"
    assert audit[0]["details"]["reference"] == answer["service_request_id"]
    assert audit[-1]["tag"] == "contact:procedure:escalate"


def test_hostile_text_is_escaped_in_xml_and_json(anonymous: TestClient, api_key: str) -> None:
    hostile = "<script>alert('x')</script>"
    response = anonymous.get(f"{V2}/services/<script>alert(1).xml")
    assert "<script>alert(1)" in spec_error(response, 404)
    assert b"<script>" not in response.content and b"&lt;script&gt;" in response.content
    response = submit(anonymous, report(api_key, **{"attribute[CRIME_TYPE]": hostile}))
    assert hostile in spec_error(response, 400)
    assert b"<script>" not in response.content and b"\\u003cscript\\u003e" in response.content
    response = submit(anonymous, report(api_key, **{"attribute[CRIME_TYPE]": hostile}), "xml")
    assert hostile in spec_error(response, 400) and b"<script>" not in response.content


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_submissions_and_reads_are_rate_limited(
    app: FastAPI, anonymous: TestClient, api_key: str
) -> None:
    clock = Clock()
    limits = RateLimits(
        submit_per_key=Rate(60, 5), submit_per_ip=Rate(30, 2), read_per_ip=Rate(60, 3)
    )
    app.state.open311.limiter = Limiter(limits, clock)
    assert [submit(anonymous, report(api_key)).status_code for _ in range(2)] == [200, 200]
    refused = submit(anonymous, report(api_key), "xml")
    assert "too many requests" in spec_error(refused, 429)
    assert refused.headers["retry-after"] == "2"
    clock.now += 2.0
    assert submit(anonymous, report(api_key)).status_code == 200
    reads = [anonymous.get(f"{V2}/services.json").status_code for _ in range(4)]
    assert reads == [200, 200, 200, 429]


def test_the_limiter_counts_per_key_per_ip_and_overall() -> None:
    clock = Clock()
    limits = RateLimits(
        submit_per_key=Rate(60, 2), submit_per_ip=Rate(60, 10), submit_overall=Rate(60, 3)
    )
    limiter = Limiter(limits, clock)
    assert limiter.submit("1.1.1.1", "a") is None and limiter.submit("2.2.2.2", "a") is None
    assert limiter.submit("3.3.3.3", "a") == pytest.approx(1.0)  # key a is spent
    assert limiter.submit("3.3.3.3", "b") is None
    assert limiter.submit("4.4.4.4", "c") == pytest.approx(1.0)  # the overall cap
    clock.now += 1.0
    assert limiter.submit("4.4.4.4", "c") is None


def test_openapi_documents_the_open311_routes(anonymous: TestClient) -> None:
    paths: dict[str, Any] = anonymous.get("/openapi.json").json()["paths"]
    assert "/open311/v2/requests.{fmt}" in paths
    form = paths["/open311/v2/requests.{fmt}"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in form


def test_the_services_match_the_policy_file(app: FastAPI, policy: Policy) -> None:
    config = app.state.open311.reporting.config
    assert config.check(policy) == [] and config.reference_prefix == "DC"
