"""Secrets, telephone numbers and free text never reach the logs.

* API keys and tokens in query strings, and credentials in ``Authorization`` values, are
  replaced by ``[redacted]``;
* telephone numbers (E.164, with or without the ``+``, and UK national numbers, with spaces or
  not) are masked to their first digits and last two: ``+447700•••13``, ``07700•••13``;
* free text in query strings (``q``, ``text``, ``narrative``, ``message``, ``note``...) is
  replaced by ``[text]``, and so are the inputs pydantic quotes in validation errors
  (``input_value=...``);

in every log record's message and arguments, and in the text of its exception. Integrations
sometimes put their key in the URL (Open311 clients send ``?api_key=``), and uvicorn's access
log writes the full path with its query string. :class:`RedactSecrets` rewrites a record in
place; :func:`install_redaction` applies it to every record made in the process (through the
log record factory, so records of loggers made later, and uvicorn's access log, are covered
however logging is configured).
"""

from __future__ import annotations

import logging
import re
from typing import Any

#: Query-string keys whose values are secrets (matched whole, case-insensitively).
SECRET_KEYS = (
    "api_key",
    "apikey",
    "api-key",
    "key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth",
    "password",
    "passwd",
    "secret",
    "client_secret",
    "signature",
    "sig",
    "code",
    "session",
)
REDACTED = "[redacted]"
_QUERY = re.compile(
    r"(?P<lead>[?&;](?:" + "|".join(re.escape(k) for k in SECRET_KEYS) + r")=)[^&;#\s\"']*",
    re.IGNORECASE,
)
_AUTHORIZATION = re.compile(
    r"(?P<lead>\b(?:authorization\b[\"']?\s*[:=]\s*[\"']?)?(?:bearer|basic|token)\s+)"
    r"[A-Za-z0-9._~+/=-]+",
    re.IGNORECASE,
)


#: Query-string keys whose values are free text a person wrote (matched whole).
TEXT_KEYS = ("q", "query", "text", "narrative", "message", "messages", "note", "notes", "body")
TEXT = "[text]"
MASK = "\u2022\u2022\u2022"
_TEXT_QUERY = re.compile(
    r"(?P<lead>[?&;](?:" + "|".join(TEXT_KEYS) + r")=)[^&;#\s\"']*", re.IGNORECASE
)
_INPUT_VALUE = re.compile(r"(?P<lead>input_value=).*?(?=, input_type=|$)", re.DOTALL)
#: A telephone number: E.164 (``+`` or ``%2B``, or a bare ``44`` and ten digits) or a UK
#: national number (``0`` and nine or ten digits), in groups split by spaces or dashes.
_PHONE = re.compile(
    r"(?<![\w+%.-])(?:(?P<plus>\+|%2B)\d(?:[ -]?\d){6,14}|44\d{10}|0\d{2,4}(?:[ -]?\d){6,8})"
    r"(?!\w)",
    re.IGNORECASE,
)


def _mask(match: re.Match[str]) -> str:
    found = match.group(0)
    plus = match.group("plus") or ""
    digits = "".join(ch for ch in found[len(plus) :] if ch.isdigit())
    if not plus and not digits.startswith("0") and len(digits) < 12:
        return found
    keep = 6 if plus or digits.startswith("44") else 5
    return f"{plus}{digits[:keep]}{MASK}{digits[-2:]}"


def mask_numbers(text: str) -> str:
    """``text`` with every telephone number in it masked (``+447700•••13``)."""
    return _PHONE.sub(_mask, text)


def redact(text: str) -> str:
    """``text`` with secrets, telephone numbers and free text redacted (module doc)."""
    if "=" in text:
        text = _QUERY.sub(lambda m: m.group("lead") + REDACTED, text)
        text = _TEXT_QUERY.sub(lambda m: m.group("lead") + TEXT, text)
        if "input_value=" in text:
            text = _INPUT_VALUE.sub(lambda m: m.group("lead") + TEXT, text)
    text = _AUTHORIZATION.sub(lambda m: m.group("lead") + REDACTED, text)
    return mask_numbers(text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        return redact(value.decode("latin-1")).encode("latin-1")
    return value


class RedactSecrets(logging.Filter):
    """A filter that redacts secrets in a record's message (never drops one).

    uvicorn's access log keeps its arguments (its formatter reads them one by one), each
    redacted; any other record whose formatted message holds a secret gets the redacted text
    as its message, so a secret split between the format and an argument is caught too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" or not record.args:
            if isinstance(record.msg, str):
                record.msg = redact(record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(_clean(arg) for arg in record.args)
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logging reports it when the record is shown
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


#: A record's own attributes: nothing a caller gave with ``extra=``.
_OWN = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}


class RedactFields(logging.Filter):
    """A handler's filter: the fields a record was given with ``extra=`` redacted too (they
    are added after the record is made, so the record factory never sees them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in list(record.__dict__.items()):
            if key not in _OWN and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


_FILTER = RedactSecrets()
_TRACEBACKS = logging.Formatter()


def install_redaction() -> None:
    """Redact every log record made from now on in this process (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "controlroom_redacts", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))
        return record

    make.__dict__.update(getattr(factory, "__dict__", {}))  # what the wrapped one has done
    make.controlroom_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)
    for name in ("uvicorn.access", "uvicorn.error"):  # and at the loggers that see URLs
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
