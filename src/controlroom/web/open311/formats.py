"""Open311 GeoReport v2 answers in JSON and XML, and its error format.

XML follows the spec's examples: a root element (``services``, ``service_definition``,
``service_requests``, ``errors``) holding one element per item (``service``, ``request``,
``error``), with ``attributes``/``attribute`` and ``values``/``value`` inside a definition.
Text is escaped by the XML writer; characters XML cannot carry are replaced. JSON escapes
``<``, ``>`` and ``&`` too, so an answer is inert even if a browser is tricked into reading it
as HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from fastapi import Response

from controlroom.domain.reporting import PublicReport, ReportType

FORMATS = ("json", "xml")
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml; charset=utf-8"}
#: The element each item of a list is written as, by the list's name.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
}
#: Sent with every answer: no sniffing of the media type, nothing cached by shared caches.
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_HTML_SENSITIVE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}

Item = Mapping[str, Any]


def timestamp(moment: datetime | None) -> str | None:
    """A time as Open311 writes it: ISO 8601 to the second, with the offset (UTC here)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def render(
    fmt: str,
    root: str,
    data: Sequence[Item] | Item,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``data`` (a list of items, or one object) in ``fmt``, under ``root`` for XML."""
    body = to_xml(root, data) if fmt == "xml" else to_json(data)
    return Response(
        body,
        status_code=status,
        media_type=MEDIA_TYPES.get(fmt, MEDIA_TYPES["json"]),
        headers={**SAFE_HEADERS, **(headers or {})},
    )


def error(
    fmt: str, status: int, description: str, *, headers: Mapping[str, str] | None = None
) -> Response:
    """The spec's error answer: ``[{"code": status, "description": ...}]``."""
    fmt = fmt if fmt in FORMATS else "json"
    items = [{"code": status, "description": description}]
    return render(fmt, "errors", items, status=status, headers=headers)


def to_json(data: Sequence[Item] | Item) -> bytes:
    """JSON with ``<``, ``>`` and ``&`` escaped as ``\\u003c``, ``\\u003e``, ``\\u0026``."""
    text = json.dumps(_plain(data), separators=(",", ":"))
    for char, escaped in _HTML_SENSITIVE.items():
        text = text.replace(char, escaped)
    return text.encode("ascii")


def to_xml(root: str, data: Sequence[Item] | Item) -> bytes:
    """The XML document for ``data`` under ``root``, UTF-8 with its declaration."""
    element = ElementTree.Element(root)
    if isinstance(data, Mapping):
        _fill(element, data)
    else:
        for item in data:
            _fill(ElementTree.SubElement(element, ITEM_NAMES.get(root, "item")), item)
    return XML_DECLARATION + ElementTree.tostring(element, encoding="unicode").encode("utf-8")


def _fill(parent: ElementTree.Element, item: Item) -> None:
    for key, value in item.items():
        child = ElementTree.SubElement(parent, key)
        if isinstance(value, Mapping):
            _fill(child, value)
        elif isinstance(value, list | tuple):
            for entry in value:
                grandchild = ElementTree.SubElement(child, ITEM_NAMES.get(key, "item"))
                if isinstance(entry, Mapping):
                    _fill(grandchild, entry)
                else:
                    grandchild.text = _text(entry)
        else:
            child.text = _text(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return timestamp(value)
    return _XML_ILLEGAL.sub("\ufffd", str(value))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


# -- the spec's items ------------------------------------------------------------------------


def service_item(item: ReportType) -> dict[str, Any]:
    """A report type as the spec's ``service``."""
    return {
        "service_code": item.service_code,
        "service_name": item.service_name,
        "description": item.description,
        "metadata": item.metadata,
        "type": item.type.value,
        "keywords": ", ".join(item.keywords),
        "group": item.group,
    }


def definition(item: ReportType) -> dict[str, Any]:
    """A report type's questions as the spec's ``service_definition``."""
    attributes = [
        {
            "variable": attribute.variable,
            "code": attribute.code,
            "datatype": attribute.datatype.value,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description or None,
            "order": attribute.order,
            "description": attribute.description,
            "values": [{"key": value.key, "name": value.name} for value in attribute.values],
        }
        for attribute in sorted(item.attributes, key=lambda attribute: attribute.order)
    ]
    return {"service_code": item.service_code, "attributes": attributes}


def request_item(report: PublicReport) -> dict[str, Any]:
    """A report as the spec's ``request``, its fields in the spec's order."""
    return {
        "service_request_id": report.service_request_id,
        "status": report.status.value,
        "status_notes": report.status_notes,
        "service_name": report.service_name,
        "service_code": report.service_code,
        "description": report.description,
        "agency_responsible": report.agency_responsible,
        "service_notice": report.service_notice,
        "requested_datetime": report.requested_datetime,
        "updated_datetime": report.updated_datetime,
        "expected_datetime": report.expected_datetime,
        "address": report.address,
        "address_id": report.address_id,
        "zipcode": report.zipcode,
        "lat": report.lat,
        "long": report.long,
        "media_url": report.media_url,
    }
