"""Reading the console's forms: URL-encoded bodies, size-limited, and a form as the same
procedure action the API takes (validated by the API's own schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from pydantic import TypeAdapter, ValidationError

from controlroom.domain.contacts import Action
from controlroom.domain.errors import InvalidInput
from controlroom.web.schemas_contacts import ActionIn

#: The largest form body the console accepts (a narrative is the longest field).
MAX_FORM_BYTES = 256 * 1024
#: Fields a form may send several times.
LIST_FIELDS = frozenset({"flags"})
#: Optional fields whose empty value means "not given".
_OPTIONAL = frozenset({"agency", "name", "age_band", "lat", "lon", "accuracy_m"})
#: Fields a form sends as text that the action takes as numbers (the API's JSON is strict).
_NUMBERS = frozenset({"lat", "lon", "accuracy_m"})
#: Yes/no fields a form sends as "yes" or "no" (the 4.12.3 answers); nothing chosen: not given.
_ANSWERS = frozenset({"serious", "condition_concern", "vulnerable"})
_ACTIONS: TypeAdapter[Any] = TypeAdapter(ActionIn)


async def read_form(request: Request) -> dict[str, Any]:
    """The request's URL-encoded form: one string per field, a list for :data:`LIST_FIELDS`.
    :class:`InvalidInput` for a body too large or not UTF-8."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise InvalidInput("the form is too large", field="body")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InvalidInput("the form is too large", field="body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the form is not UTF-8", field="body") from None
    form: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in LIST_FIELDS:
            form.setdefault(key, []).append(value)
        else:
            form[key] = value
    return form


def action_from_form(form: dict[str, Any], now: datetime) -> Action:
    """The procedure action a form describes (field ``action`` names it)."""
    data = {
        key: value
        for key, value in form.items()
        if key != "csrf" and not (key in _OPTIONAL and value == "")
    }
    for key in _NUMBERS & data.keys():
        data[key] = _number(data[key])
    for key in _ANSWERS & data.keys():
        data[key] = {"yes": True, "no": False}.get(data[key], data[key])
    if data.get("action") == "advise" and data.get("to") != "agency":
        data.pop("agency", None)  # the form offers the agency for "another agency" only
    try:
        parsed = _ACTIONS.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "action"
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from None
    action: Action = parsed.to_action(now)
    return action


def _number(value: Any) -> Any:
    """A form's text as a number, or as it was (then refused as not a number)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
