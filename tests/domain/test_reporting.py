"""Online reporting in the domain: report types, checks on a submission, references, status
and the public view of a report."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from controlroom.domain.contacts import State
from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.domain.policy import Limits, Policy
from controlroom.domain.reporting import (
    MAX_DESCRIPTION_CHARS,
    Attribute,
    AttributeValue,
    Datatype,
    HandledElsewhere,
    ReportingConfig,
    ReportQuery,
    ReportRecord,
    ReportType,
    ServiceType,
    Status,
    StoredReport,
    Submission,
    check_answers,
    check_submission,
    make_reference,
    postcode_district,
    public_status,
    public_view,
    read_reference,
    search_window,
    uk_e164,
)

NOW = datetime(2026, 1, 23, 21, 0, tzinfo=UTC)
CHOICES = (AttributeValue("bike", "Bicycle"), AttributeValue("phone", "Phone"))
LOST = ReportType(
    service_code="lost",
    service_name="Lost property",
    description="Something lost",
    type=ServiceType.BATCH,
    attributes=(
        Attribute("ITEM", Datatype.SINGLEVALUELIST, "What?", required=True, values=CHOICES),
        Attribute("WHEN", Datatype.DATETIME, "When?", required=True, order=2),
        Attribute("ALSO", Datatype.MULTIVALUELIST, "Anything else?", order=3, values=CHOICES),
        Attribute("VALUE", Datatype.NUMBER, "Worth?", order=4),
        Attribute("COLOUR", Datatype.STRING, "Colour?", order=5),
        Attribute("MORE", Datatype.TEXT, "More?", order=6),
        Attribute("NOTE", Datatype.STRING, "Read this first", order=7, variable=False),
    ),
)
VEHICLE = ReportType("abandoned", "Abandoned vehicle", "Council", agency="council")
CONFIG = ReportingConfig(report_types=(LOST, VEHICLE), reference_prefix="DC")
GOOD = {"ITEM": ("bike",), "WHEN": ("2026-01-20T10:00:00+01:00",)}


def submission(**changes: object) -> Submission:
    fields: dict[str, object] = {
        "service_code": "lost",
        "description": "I lost my bike near the station",
        "attributes": GOOD,
        "lat": 50.3712,
        "long": -4.1423,
    }
    fields |= changes
    return Submission(**fields)  # type: ignore[arg-type]


# -- references -------------------------------------------------------------------------------


def test_a_reference_is_prefix_year_and_eight_crockford_characters() -> None:
    assert make_reference("DC", 2026, 0) == "DC-2026-00000000"
    assert make_reference("DC", 2026, 2**40 - 1) == "DC-2026-ZZZZZZZZ"
    reference = make_reference("ESC", 2026, 123_456_789_012)
    assert read_reference(reference) == reference
    with pytest.raises(InvalidInput):
        make_reference("DC", 2026, 2**40)


def test_a_reference_is_read_forgivingly_and_garbage_is_not() -> None:
    assert read_reference(" dc-2026-0o1il23k ") == "DC-2026-0011123K"
    for text in ("", "DC-2026", "DC-26-00000000", "<script>", "DC-2026-0000000U", "x" * 500):
        assert read_reference(text) is None


# -- checks on a submission ------------------------------------------------------------------


def test_a_good_submission_is_checked_and_normalised(policy: Policy) -> None:
    checked = check_submission(
        CONFIG,
        submission(
            attributes=GOOD | {"ALSO": ("phone", "bike", "phone"), "VALUE": ("12.5",)},
            first_name="Ann",
            last_name=" Other ",
            phone="07700 900123",
            address_string="1 High Street, Plymouth pl1 1aa",
        ),
        policy,
    )
    assert checked.answers == {
        "ITEM": "bike",
        "WHEN": "2026-01-20T09:00:00+00:00",
        "ALSO": ("phone", "bike"),
        "VALUE": "12.5",
    }
    assert checked.name == "Ann Other"
    assert checked.caller_number == "+447700900123"
    assert checked.zipcode == "PL1"


def test_an_unknown_report_type_is_not_found(policy: Policy) -> None:
    with pytest.raises(NotFound):
        check_submission(CONFIG, submission(service_code="nope"), policy)


def test_a_type_handled_elsewhere_is_refused_with_the_agencys_contact(policy: Policy) -> None:
    with pytest.raises(HandledElsewhere) as caught:
        check_submission(CONFIG, submission(service_code="abandoned"), policy)
    council = policy.agencies["council"]
    assert council.name in caught.value.message and council.contact[0].value in caught.value.message
    assert isinstance(caught.value, InvalidInput)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"description": "  "}, "description"),
        ({"description": "x" * (MAX_DESCRIPTION_CHARS + 1)}, "description"),
        ({"description": "bad \x00 byte"}, "description"),
        ({"lat": None, "long": None}, "lat"),
        ({"long": None}, "long"),
        ({"lat": 91.0}, "lat"),
        ({"long": float("nan")}, "long"),
        ({"address_id": "has spaces in it"}, "address_id"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"first_name": "two\nlines"}, "first_name"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
    ],
)
def test_a_bad_submission_names_the_field(
    policy: Policy, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_submission(CONFIG, submission(**changes), policy)
    assert caught.value.field == field


def test_a_description_of_exactly_4000_characters_and_an_address_alone_are_accepted(
    policy: Policy,
) -> None:
    long_text = "x" * MAX_DESCRIPTION_CHARS
    given = submission(description=long_text, lat=None, long=None, address_string="Plymouth")
    assert check_submission(CONFIG, given, policy).submission.description == long_text


def test_a_force_with_a_lower_text_limit_keeps_it_for_descriptions(policy: Policy) -> None:
    strict = replace(policy, limits=Limits(max_text_chars=100))
    check_submission(CONFIG, submission(description="x" * 100), strict)
    with pytest.raises(InvalidInput, match="the limit is 100"):
        check_submission(CONFIG, submission(description="x" * 101), strict)


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"WHEN": GOOD["WHEN"]}, "attribute[ITEM]"),  # a required one missing
        ({"ITEM": ("  ",), "WHEN": GOOD["WHEN"]}, "attribute[ITEM]"),  # blank counts as missing
        (GOOD | {"NOPE": ("1",)}, "attribute[NOPE]"),
        (GOOD | {"ITEM": ("car",)}, "attribute[ITEM]"),
        (GOOD | {"ITEM": ("bike", "phone")}, "attribute[ITEM]"),
        (GOOD | {"ALSO": ("bike", "car")}, "attribute[ALSO]"),
        (GOOD | {"WHEN": ("2026-01-20T10:00:00",)}, "attribute[WHEN]"),  # no time zone
        (GOOD | {"WHEN": ("yesterday",)}, "attribute[WHEN]"),
        (GOOD | {"VALUE": ("lots",)}, "attribute[VALUE]"),
        (GOOD | {"VALUE": ("inf",)}, "attribute[VALUE]"),
        (GOOD | {"COLOUR": ("red\nand blue",)}, "attribute[COLOUR]"),
        (GOOD | {"COLOUR": ("r" * 256,)}, "attribute[COLOUR]"),
        (GOOD | {"MORE": ("m" * 4001,)}, "attribute[MORE]"),
        (GOOD | {"NOTE": ("read it",)}, "attribute[NOTE]"),  # information only
    ],
)
def test_answers_are_checked_by_datatype(answers: dict[str, tuple[str, ...]], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_answers(LOST, answers)
    assert caught.value.field == field


def test_a_missing_required_answer_says_what_the_question_is() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_answers(LOST, {"ITEM": ("bike",)})
    assert "attribute[WHEN] is required: When?" in caught.value.message


def test_phone_numbers_and_postcodes() -> None:
    assert uk_e164("07700 900123") == "+447700900123"
    assert uk_e164("+44 (0)7700-900123") == "+447700900123"
    assert uk_e164("0044 7700 900123") == "+447700900123"
    assert uk_e164("01632 960001") == "+441632960001"
    assert uk_e164("12345") is None
    assert postcode_district("Flat 2, 10 Armada Way, Plymouth PL1 1EA") == "PL1"
    assert postcode_district("sw1a 1aa") == "SW1A"
    assert postcode_district("Somewhere with no postcode") == ""


# -- configuration ---------------------------------------------------------------------------


def test_the_configuration_check_finds_each_mistake(policy: Policy) -> None:
    bad = ReportingConfig(
        reference_prefix="dc",
        location_decimals=7,
        report_types=(
            ReportType("a b", "A", "A", agency="nowhere"),
            ReportType(
                "x",
                "X",
                "X",
                attributes=(
                    Attribute("L", Datatype.SINGLEVALUELIST, "list"),
                    Attribute("L", Datatype.STRING, "string", values=CHOICES),
                    Attribute("Q", Datatype.STRING, "q", required=True, variable=False),
                ),
            ),
            ReportType("x", "X again", "X"),
        ),
    )
    problems = "\n".join(bad.check(policy))
    for expected in (
        "reference_prefix",
        "location_decimals",
        "report_types[0].service_code",
        "report_types[0].agency: no agency 'nowhere'",
        "report_types[1].attributes[0].values: a singlevaluelist needs values",
        "report_types[1].attributes[1].code: 'L' is used twice",
        "report_types[1].attributes[1].values: only list datatypes have values",
        "report_types[1].attributes[2].required",
        "report_types[2].service_code: 'x' is used twice",
    ):
        assert expected in problems
    assert CONFIG.check(policy) == []


def test_notices() -> None:
    assert CONFIG.notice(LOST) == CONFIG.service_notice
    own = ReportType("own", "Own", "Own", service_notice="Ours.")
    assert CONFIG.notice(own) == "Ours."
    assert "999" in CONFIG.notice(own, emergency=True)


# -- status, search and the public view ------------------------------------------------------


def test_status_follows_the_contacts_state() -> None:
    assert public_status(State.OFFERED) == (Status.OPEN, public_status(State.OFFERED)[1])
    assert "Marked as an emergency" in public_status(State.OFFERED, escalated=True)[1]
    assert public_status(State.INCIDENT_LOGGED)[0] is Status.OPEN
    for state in (State.CLOSED, State.ABANDONED, State.TERMINATED, State.TRANSFERRED):
        assert public_status(state) == (Status.CLOSED, "Closed.")
    for state in State:
        assert public_status(state)[1]


def test_a_status_filter_names_the_states_it_covers() -> None:
    assert ReportQuery().states is None
    assert ReportQuery(statuses=frozenset(Status)).states is None
    closed = ReportQuery(statuses=frozenset({Status.CLOSED})).states
    opened = ReportQuery(statuses=frozenset({Status.OPEN})).states
    assert closed and opened and State.CLOSED in closed and State.OFFERED in opened
    assert not closed & opened and closed | opened == set(State)


def test_the_search_window_is_at_most_90_days() -> None:
    day = timedelta(days=1)
    assert search_window(None, None, NOW) == (NOW - 90 * day, NOW)
    assert search_window(NOW - day, None, NOW) == (NOW - day, NOW + 89 * day)
    assert search_window(None, NOW, NOW) == (NOW - 90 * day, NOW)
    assert search_window(NOW - 90 * day, NOW, NOW) == (NOW - 90 * day, NOW)
    with pytest.raises(InvalidInput):
        search_window(NOW - 91 * day, NOW, NOW)
    with pytest.raises(InvalidInput):
        search_window(NOW, NOW - day, NOW)


def _record(**changes: object) -> ReportRecord:
    fields: dict[str, object] = {
        "reference": "DC-2026-00000001",
        "contact_id": "C-1",
        "service_code": "lost",
        "requested_at": NOW,
        "details": {
            "lat": 50.371234,
            "long": -4.142345,
            "zipcode": "PL1",
            "email": "ann@example.org",
            "first_name": "Ann",
            "phone": "07700900123",
            "address_string": "1 High Street, Plymouth PL1 1AA",
            "media_url": "https://example.org/photo.jpg",
            "answers": {"ITEM": "bike"},
        },
    }
    fields |= changes
    report = StoredReport(**fields)  # type: ignore[arg-type]
    return ReportRecord(report, State.ANSWERED, NOW + timedelta(hours=1))


def test_the_public_view_carries_no_personal_data() -> None:
    view = public_view(_record(), CONFIG, "Devon & Cornwall Police")
    assert (view.lat, view.long, view.zipcode) == (50.37, -4.14, "PL1")
    assert (view.status, view.service_name) == (Status.OPEN, "Lost property")
    assert view.updated_datetime == NOW + timedelta(hours=1)
    shown = repr(view)
    for private in ("ann@example.org", "Ann", "07700900123", "High Street", "photo", "bike"):
        assert private not in shown
    assert view.description == view.address == view.media_url == ""


def test_the_public_view_of_a_removed_type_and_of_an_unlisted_report() -> None:
    view = public_view(_record(service_code="gone"), CONFIG, "Force")
    assert (view.service_name, view.service_notice) == ("gone", CONFIG.service_notice)
    with pytest.raises(NotFound):
        public_view(_record(listed=False), CONFIG, "Force")
