"""A force's online report types (Open311 services) and their questions (attributes).

The report types are data in the policy file (``[online_reporting]``, docs/open311.md). A type
with an ``agency`` is one the force points elsewhere (abandoned vehicles to the council, fraud
to Action Fraud): it is listed, so a reporting app can say where to go, but a report of it is
refused with the agency's contact details from the policy's directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.domain.policy import Agency, Policy

#: What a service code, an attribute code and a value key may look like (safe in a URL path).
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
PREFIX = re.compile(r"[A-Z]{1,4}")
DEFAULT_NOTICE = (
    "Thank you: your report has been received and will be read by a member of our team. "
    "If it is happening now, or anyone is in danger, call 999."
)
EMERGENCY_NOTICE = (
    "What you describe may be an emergency. Your report is now at the top of every call "
    "handler's list in the control room, marked as an emergency, until one of them takes it. "
    "It is not a 999 call: if anyone is in danger now, call 999."
)


class ServiceType(StrEnum):
    """How a report of this type is acknowledged (Open311 ``type``)."""

    REALTIME = "realtime"  # the reference is given at once
    BATCH = "batch"  # a token is given; the reference is looked up with it
    BLACKBOX = "blackbox"  # no reference: the report cannot be followed


class Datatype(StrEnum):
    """What an attribute's answer is (Open311 ``datatype``)."""

    STRING = "string"  # one line, at most 255 characters
    NUMBER = "number"
    DATETIME = "datetime"  # ISO 8601 with a time zone
    TEXT = "text"  # free text, at most 4,000 characters
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"

    @property
    def is_list(self) -> bool:
        """True for the two list types, whose answers are keys of ``values``."""
        return self in (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)


@dataclass(frozen=True)
class AttributeValue:
    """One choice of a list attribute: the key sent, the name shown."""

    key: str
    name: str


@dataclass(frozen=True)
class Attribute:
    """A question a report type asks. ``variable`` false: information to show, no answer."""

    code: str
    datatype: Datatype
    description: str
    required: bool = False
    order: int = 1
    variable: bool = True
    datatype_description: str = ""
    values: tuple[AttributeValue, ...] = ()

    def value(self, key: str) -> AttributeValue | None:
        """The choice with ``key``, or ``None``."""
        return next((value for value in self.values if value.key == key), None)


@dataclass(frozen=True)
class ReportType:
    """One kind of report a force takes online: an Open311 service."""

    service_code: str
    service_name: str
    description: str
    group: str = ""
    keywords: tuple[str, ...] = ()
    type: ServiceType = ServiceType.REALTIME
    agency: str | None = None  # handled elsewhere: reports are refused with this pointer
    service_notice: str = ""
    attributes: tuple[Attribute, ...] = ()

    @property
    def metadata(self) -> bool:
        """True when the type asks questions (Open311 ``metadata``)."""
        return bool(self.attributes)

    def attribute(self, code: str) -> Attribute | None:
        """The attribute with ``code``, or ``None``."""
        return next((item for item in self.attributes if item.code == code), None)


@dataclass(frozen=True)
class ReportingConfig:
    """A force's online reporting: its report types, reference prefix and public notices.

    ``location_decimals`` is how many decimal places of latitude and longitude a public
    answer shows (2: about a kilometre).
    """

    report_types: tuple[ReportType, ...] = ()
    reference_prefix: str = "CR"
    service_notice: str = DEFAULT_NOTICE
    emergency_notice: str = EMERGENCY_NOTICE
    location_decimals: int = 2

    def report_type(self, service_code: str) -> ReportType:
        """The report type with ``service_code``; :class:`NotFound` when there is none."""
        for item in self.report_types:
            if item.service_code == service_code:
                return item
        raise NotFound(
            f"no report type {service_code!r}",
            field="service_code",
            hint="GET services.json lists the report types",
        )

    def notice(self, report_type: ReportType, *, emergency: bool = False) -> str:
        """What a reporter of ``report_type`` is told on submitting (triage having read an
        emergency in the report, when ``emergency``)."""
        if emergency:
            return self.emergency_notice
        return report_type.service_notice or self.service_notice

    def check(self, policy: Policy) -> list[str]:
        """Every problem, as ``field: message``; empty when the configuration is sound."""
        problems: list[str] = []
        if not PREFIX.fullmatch(self.reference_prefix):
            problems.append("reference_prefix: use 1-4 capital letters, e.g. 'DC'")
        if not 0 <= self.location_decimals <= 4:
            problems.append("location_decimals: use 0 to 4")
        seen: set[str] = set()
        for index, item in enumerate(self.report_types):
            where = f"report_types[{index}]"
            if item.service_code in seen:
                problems.append(f"{where}.service_code: {item.service_code!r} is used twice")
            seen.add(item.service_code)
            problems += [f"{where}.{line}" for line in _check_type(item, policy)]
        return problems


def _check_type(item: ReportType, policy: Policy) -> list[str]:
    problems: list[str] = []
    if not CODE.fullmatch(item.service_code):
        problems.append("service_code: use 1-64 letters, digits, '.', '_' or '-'")
    if item.agency is not None and item.agency not in policy.agencies:
        problems.append(f"agency: no agency {item.agency!r} in the policy's [[agencies]]")
    codes: set[str] = set()
    for index, attribute in enumerate(item.attributes):
        where = f"attributes[{index}]"
        if not CODE.fullmatch(attribute.code):
            problems.append(f"{where}.code: use 1-64 letters, digits, '.', '_' or '-'")
        if attribute.code in codes:
            problems.append(f"{where}.code: {attribute.code!r} is used twice")
        codes.add(attribute.code)
        keys = [value.key for value in attribute.values]
        if attribute.datatype.is_list and not keys:
            problems.append(f"{where}.values: a {attribute.datatype.value} needs values")
        if not attribute.datatype.is_list and keys:
            problems.append(f"{where}.values: only list datatypes have values")
        if len(set(keys)) != len(keys):
            problems.append(f"{where}.values: a key is used twice")
        if not attribute.variable and attribute.required:
            problems.append(f"{where}.required: an attribute with variable = false has no answer")
    return problems


class HandledElsewhere(InvalidInput):
    """A report of a type the force points to another agency: where to go instead."""

    code = "handled_elsewhere"

    def __init__(self, report_type: ReportType, agency: Agency) -> None:
        ways = "; ".join(
            f"{method.label}: {method.value}" if method.label else method.value
            for method in agency.contact
        )
        advice = f" {agency.public_advice}" if agency.public_advice else ""
        super().__init__(
            f"{report_type.service_name}: this is dealt with by {agency.name}, not the "
            f"police.{advice} Contact: {ways}",
            field="service_code",
            hint="if it is happening now and anyone is in danger, call 999",
        )
        self.agency = agency
