"""Secrets never reach the logs: API keys and tokens in query strings, and credentials in
``Authorization`` values, are replaced by ``[redacted]`` in every log record.

Integrations sometimes put their key in the URL (Open311 clients send ``?api_key=``), and
uvicorn's access log writes the full path with its query string. :class:`RedactSecrets`
rewrites a record's message and arguments in place; :func:`install_redaction` applies it to
every record made in the process (through the log record factory, so records of loggers made
later, and uvicorn's access log, are covered however logging is configured).
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


def redact(text: str) -> str:
    """``text`` with secret query-string values and Authorization credentials redacted."""
    if "=" in text:
        text = _QUERY.sub(lambda m: m.group("lead") + REDACTED, text)
    return _AUTHORIZATION.sub(lambda m: m.group("lead") + REDACTED, text)


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


_FILTER = RedactSecrets()


def install_redaction() -> None:
    """Redact every log record made from now on in this process (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "controlroom_redacts", False):
        return

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    make.controlroom_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make)
    for name in ("uvicorn.access", "uvicorn.error"):  # and at the loggers that see URLs
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
