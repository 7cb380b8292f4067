"""A report as submitted, and the checks it must pass before it becomes a contact.

Open311 GeoReport v2 limits: the description to 4,000 characters; a location as ``lat`` and
``long``, an ``address_string`` or an ``address_id``; answers to the report type's attributes
by datatype (required ones present, list answers among the allowed keys).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy
from controlroom.domain.reporting.config import (
    Attribute,
    Datatype,
    HandledElsewhere,
    ReportingConfig,
    ReportType,
)
from controlroom.domain.time_range import RANGE_TEXT, out_of_range

MAX_DESCRIPTION_CHARS = 4000
MAX_STRING_CHARS = 255
MAX_NAME_CHARS = 100
MAX_ADDRESS_CHARS = 500
MAX_URL_CHARS = 2048
MAX_ATTRIBUTES = 50
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9 ().-]{3,32}")
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_ADDRESS_ID = re.compile(r"[A-Za-z0-9._:/-]{1,128}")
#: A UK postcode; its first group is the outward code (the district, e.g. ``PL1``).
POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b", re.IGNORECASE)

Answer = str | tuple[str, ...]


@dataclass(frozen=True)
class Submission:
    """A report as a reporter (or a partner system on their behalf) sent it."""

    service_code: str
    description: str
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lat: float | None = None
    long: float | None = None
    address_string: str = ""
    address_id: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    media_url: str = ""


@dataclass(frozen=True)
class CheckedReport:
    """A submission that passed every check, with its answers normalised."""

    report_type: ReportType
    submission: Submission
    answers: Mapping[str, Answer]
    caller_number: str | None  # the phone as E.164, when it can be read as one
    zipcode: str  # the postcode district of the address, when it has a postcode

    @property
    def name(self) -> str:
        """The reporter's name as given (may be empty)."""
        parts = (self.submission.first_name.strip(), self.submission.last_name.strip())
        return " ".join(part for part in parts if part)


def check_submission(
    config: ReportingConfig, submission: Submission, policy: Policy
) -> CheckedReport:
    """``submission`` checked against its report type; raises :class:`NotFound` for an
    unknown type, :class:`HandledElsewhere` for one the force points elsewhere, and
    :class:`InvalidInput` naming the field for anything else."""
    report_type = config.report_type(submission.service_code)
    if report_type.agency is not None:
        raise HandledElsewhere(report_type, policy.agencies[report_type.agency])
    limit = min(MAX_DESCRIPTION_CHARS, policy.limits.max_text_chars)
    _text(submission.description, "description", limit, required=True)
    _location(submission)
    _contact_details(submission)
    return CheckedReport(
        report_type=report_type,
        submission=submission,
        answers=MappingProxyType(check_answers(report_type, submission.attributes)),
        caller_number=uk_e164(submission.phone),
        zipcode=postcode_district(submission.address_string),
    )


def check_answers(
    report_type: ReportType, given: Mapping[str, tuple[str, ...]]
) -> dict[str, Answer]:
    """The answers to ``report_type``'s attributes, checked and normalised by datatype."""
    if len(given) > MAX_ATTRIBUTES:
        raise InvalidInput(f"more than {MAX_ATTRIBUTES} attributes", field="attribute")
    answers: dict[str, Answer] = {}
    for code, values in given.items():
        attribute = report_type.attribute(code)
        where = f"attribute[{code}]"
        if attribute is None:
            known = ", ".join(item.code for item in report_type.attributes) or "none"
            raise InvalidInput(
                f"{report_type.service_code} has no attribute {code!r}",
                field=where,
                hint=f"its attributes: {known}",
            )
        if not attribute.variable:
            raise InvalidInput(f"{where} is information only: send no value", field=where)
        present = tuple(value for value in values if value.strip())
        if present:
            answers[code] = _answer(attribute, present, where)
    for attribute in sorted(report_type.attributes, key=lambda item: item.order):
        if attribute.required and attribute.code not in answers:
            raise InvalidInput(
                f"attribute[{attribute.code}] is required: {attribute.description}",
                field=f"attribute[{attribute.code}]",
                hint=f"GET services/{report_type.service_code}.json describes it",
            )
    return answers


def _answer(attribute: Attribute, values: tuple[str, ...], where: str) -> Answer:
    kind = attribute.datatype
    if kind is Datatype.MULTIVALUELIST:
        keys = tuple(dict.fromkeys(value.strip() for value in values))
        for key in keys:
            _key(attribute, key, where)
        return keys
    if len(values) > 1:
        raise InvalidInput(f"{where} takes one value, not {len(values)}", field=where)
    value = values[0]
    if kind is Datatype.SINGLEVALUELIST:
        return _key(attribute, value.strip(), where)
    if kind is Datatype.NUMBER:
        text = value.strip()
        if not _NUMBER.fullmatch(text) or not math.isfinite(float(text)):
            raise InvalidInput(f"{where} must be a number", field=where, hint="e.g. 2 or 10.5")
        return text
    if kind is Datatype.DATETIME:
        return parse_datetime(value, where).isoformat()
    if kind is Datatype.STRING:
        if _LINE_BREAK.search(value):
            raise InvalidInput(f"{where} must be one line", field=where)
        return _text(value, where, MAX_STRING_CHARS)
    return _text(value, where, MAX_DESCRIPTION_CHARS)


def _key(attribute: Attribute, key: str, where: str) -> str:
    if attribute.value(key) is None:
        keys = ", ".join(value.key for value in attribute.values)
        raise InvalidInput(f"{where}: {key!r} is not one of the choices", field=where, hint=keys)
    return key


def parse_datetime(value: str, field: str) -> datetime:
    """An ISO 8601 date and time with a time zone, in UTC; :class:`InvalidInput` otherwise."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(
            f"{field} is not an ISO 8601 date and time",
            field=field,
            hint="e.g. 2026-01-23T21:00:00Z or 2026-01-23T21:00:00+00:00",
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{field} has no time zone", field=field, hint="add Z or +00:00")
    why = out_of_range(moment)
    if why is not None:
        raise InvalidInput(f"{field}: {why}", field=field, hint=f"give a time {RANGE_TEXT}")
    return moment.astimezone(UTC)


def _text(value: str, field: str, limit: int, *, required: bool = False) -> str:
    if required and not value.strip():
        raise InvalidInput(f"{field} is empty", field=field, hint=f"give the {field}")
    if len(value) > limit:
        raise InvalidInput(
            f"{field} is {len(value):,} characters long; the limit is {limit:,}", field=field
        )
    if _CONTROL.search(value):
        raise InvalidInput(
            f"{field} contains a control character",
            field=field,
            hint="only tab and line breaks are allowed",
        )
    return value


def _line(value: str, field: str, limit: int) -> None:
    _text(value, field, limit)
    if _LINE_BREAK.search(value):
        raise InvalidInput(f"{field} must be one line", field=field)


def _location(submission: Submission) -> None:
    lat, long = submission.lat, submission.long
    if (lat is None) != (long is None):
        raise InvalidInput(
            "give both lat and long, or neither", field="long" if long is None else "lat"
        )
    for name, value, bound in (("lat", lat, 90.0), ("long", long, 180.0)):
        if value is not None and not (math.isfinite(value) and -bound <= value <= bound):
            raise InvalidInput(f"{name} is out of range", field=name, hint=f"-{bound} to {bound}")
    _text(submission.address_string, "address_string", MAX_ADDRESS_CHARS)
    address_id = submission.address_id
    if address_id and not _ADDRESS_ID.fullmatch(address_id):
        raise InvalidInput("address_id is not valid", field="address_id")
    if lat is None and not submission.address_string.strip() and not address_id:
        raise InvalidInput(
            "a location is required",
            field="lat",
            hint="send lat and long, an address_string or an address_id",
        )


def _contact_details(submission: Submission) -> None:
    for name in ("first_name", "last_name"):
        _line(getattr(submission, name), name, MAX_NAME_CHARS)
    email = submission.email
    if email and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        raise InvalidInput("email is not an email address", field="email")
    if submission.phone and not _PHONE.fullmatch(submission.phone):
        raise InvalidInput("phone is not a telephone number", field="phone")
    url = submission.media_url
    if url and (len(url) > MAX_URL_CHARS or not _URL.fullmatch(url)):
        raise InvalidInput("media_url must be an http or https address", field="media_url")


def uk_e164(phone: str) -> str | None:
    """A UK (or already international) number as E.164, or ``None`` when it cannot be read."""
    digits = re.sub(r"[^0-9+]", "", phone.replace("(0)", ""))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0") and len(digits) in (10, 11):
        digits = "+44" + digits[1:]
    if re.fullmatch(r"\+[1-9][0-9]{6,14}", digits):
        return digits
    return None


def postcode_district(address: str) -> str:
    """The outward code (district, e.g. ``PL1``) of the first UK postcode in ``address``."""
    match = POSTCODE.search(address)
    return "" if match is None else match.group(1).upper()
