"""Reading Open311 requests by hand: the submitted form (size-limited, URL-encoded only) and the
search parameters, each problem an :class:`InvalidInput` naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from controlroom.domain.errors import InvalidInput
from controlroom.domain.reporting import ReportQuery, Status, Submission, parse_datetime

#: The largest form a report may be sent in, and the most fields it may have.
MAX_BODY_BYTES = 64 * 1024
MAX_FIELDS = 200
FORM_TYPE = "application/x-www-form-urlencoded"
#: Never accepted in a URL, where logs and proxies would keep them.
PRIVATE_FIELDS = frozenset(
    {"api_key", "email", "first_name", "last_name", "phone", "description", "device_id"}
)
_TEXTS = ("address_string", "address_id", "email", "first_name", "last_name", "phone")
#: Fields given once each (``device_id`` and ``account_id`` are read and not kept).
SINGLE_FIELDS = frozenset(
    {"api_key", "jurisdiction_id", "service_code", "lat", "long", "description", "media_url"}
    | {"device_id", "account_id", *_TEXTS}
)


class Refused(Exception):
    """An answer that is not a domain error: a body too large, too many requests."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers


def refuse_private_query(query: Mapping[str, str]) -> None:
    """Refuse a submission with a key or personal details in its URL."""
    if PRIVATE_FIELDS & set(query):
        raise InvalidInput(
            "api_key and personal details go in the form body, never in the URL",
            hint=f"send them as {FORM_TYPE}",
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as its declared or received size is over ``limit``."""
    declared = request.headers.get("content-length", "")
    too_large = Refused(413, f"the request body is over the limit of {limit:,} bytes")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def read_form(body: bytes, content_type: str) -> dict[str, Any]:
    """The form's fields, one value each, and ``attribute`` as ``{code: (values...)}``
    (``attribute[CODE]`` and ``attribute[CODE][]`` may repeat, for a multivaluelist)."""
    if content_type.split(";")[0].strip().lower() != FORM_TYPE:
        raise InvalidInput(f"send the report as {FORM_TYPE}", field="body")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise InvalidInput("the form is not valid UTF-8", field="body") from None
    except ValueError:
        raise InvalidInput(f"the form has more than {MAX_FIELDS} fields", field="body") from None
    fields: dict[str, Any] = {}
    attributes: dict[str, list[str]] = {}
    for name, value in pairs:
        if name.startswith("attribute[") and name.endswith("]"):
            code = name[len("attribute[") :].removesuffix("[]").removesuffix("]")
            attributes.setdefault(code, []).append(value)
        elif name in SINGLE_FIELDS:
            if name in fields:
                raise InvalidInput(f"{name} is given more than once", field=name)
            fields[name] = value
        else:
            raise InvalidInput(f"unknown field {name!r}", field=name, hint="see docs/open311.md")
    fields["attribute"] = {code: tuple(values) for code, values in attributes.items()}
    return fields


def key_id(api_key: str) -> str:
    """The id part of an API token (``cr_<id>_<secret>``), to count its submissions by."""
    parts = api_key.split("_")
    return parts[1] if len(parts) == 3 and len(parts[1]) == 16 else "(not a key)"


def submission(fields: Mapping[str, Any]) -> Submission:
    """The report a form describes."""
    return Submission(
        service_code=str(fields.get("service_code", "")),
        description=str(fields.get("description", "")),
        attributes=fields.get("attribute", {}),
        lat=_coordinate(fields, "lat"),
        long=_coordinate(fields, "long"),
        media_url=str(fields.get("media_url", "")),
        **{name: str(fields.get(name, "")) for name in _TEXTS},
    )


def _coordinate(fields: Mapping[str, Any], name: str) -> float | None:
    text = str(fields.get(name, "")).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{name} is not a number", field=name) from None


def search(params: Mapping[str, str]) -> tuple[ReportQuery, int | None, int | None]:
    """The search, page and page size the query parameters ask for."""
    start, end = params.get("start_date"), params.get("end_date")
    query = ReportQuery(
        references=_comma(params.get("service_request_id")),
        service_codes=_comma(params.get("service_code")),
        start=parse_datetime(start, "start_date") if start else None,
        end=parse_datetime(end, "end_date") if end else None,
        statuses=frozenset(_status(value) for value in _comma(params.get("status"))),
    )
    return query, _number(params, "page"), _number(params, "page_size")


def _comma(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _status(value: str) -> Status:
    try:
        return Status(value.lower())
    except ValueError:
        raise InvalidInput(
            f"unknown status {value!r}", field="status", hint="open, closed, or both"
        ) from None


def _number(params: Mapping[str, str], name: str) -> int | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise InvalidInput(f"{name} must be a whole number", field=name)
    return int(value)
