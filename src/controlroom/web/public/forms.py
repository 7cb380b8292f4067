"""Reading the public pages' forms: URL-encoded bodies only, size-limited, fields checked."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fastapi import Request

from controlroom.domain.errors import InvalidInput
from controlroom.domain.reporting import Submission
from controlroom.web.public.guard import Refused

MAX_FORM_BYTES = 32 * 1024
MAX_FIELDS = 60
FORM_TYPE = "application/x-www-form-urlencoded"
LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?")
#: The public pages' times are the force's local time.
LOCAL_ZONE = ZoneInfo("Europe/London")
_CONTACT = ("address_string", "first_name", "last_name", "email", "phone")

Form = dict[str, list[str]]


async def read_form(request: Request) -> Form:
    """The posted fields, each with its values; ``Refused`` for a body too large or of
    another type."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise Refused(415, "Please send the form from our page.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise Refused(413, "That is too long to send. Please shorten it and try again.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Refused(413, "That is too long to send. Please shorten it and try again.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "The form could not be read. Please reload the page.") from None
    form: Form = {}
    for name, value in pairs:
        form.setdefault(name, []).append(value)
    return form


def one(form: Form, name: str) -> str:
    """The first value of ``name`` ("" when absent)."""
    return form.get(name, [""])[0]


def submission(service_code: str, form: Form) -> Submission:
    """The report the public form describes. Local times become ISO 8601 with the offset."""
    attributes: dict[str, tuple[str, ...]] = {}
    for name, values in form.items():
        if name.startswith("attribute[") and name.endswith("]"):
            code = name[len("attribute[") : -1]
            given = tuple(_iso(value.strip()) for value in values if value.strip())
            if given:
                attributes[code] = given
        elif name not in {"description", "form_token", *_CONTACT}:
            raise InvalidInput(f"unknown field {name!r}", field=name)
    description = one(form, "description")
    if not description.strip():
        raise InvalidInput("Tell us what happened", field="description")
    return Submission(
        service_code=service_code,
        description=description,
        attributes=attributes,
        address_string=one(form, "address_string").strip(),
        first_name=one(form, "first_name").strip(),
        last_name=one(form, "last_name").strip(),
        email=one(form, "email").strip(),
        phone=one(form, "phone").strip(),
    )


def _iso(value: str) -> str:
    if LOCAL_TIME.fullmatch(value):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=LOCAL_ZONE).isoformat()
        except ValueError:
            return value
    return value
