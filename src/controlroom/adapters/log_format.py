"""How log records are written: one JSON object per line (:class:`JsonFormatter`) or one
line of text (:class:`TextFormatter`), and the logging configuration ``controlroom serve``
gives uvicorn (:func:`logging_config`).

Each JSON line has ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
``message``, ``request_id`` and ``contact_id`` (``null`` when unknown), then the fields the
record adds: the access log's ``method``, ``path``, ``status`` and ``client``, anything given
with ``extra=``, and ``exception`` (the traceback, as text) when there is one. Records arrive
here already redacted (``web/log_redaction.py``): secrets, telephone numbers and free text
were masked when the record was made, the traceback too (as ``exc_text``).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

#: Attributes every LogRecord has: not copied into the JSON line as extra fields.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
    "taskName",
    "request_id",
    "contact_id",
    "context_contact_id",
}
LOG_FORMATS = ("json", "text")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (module doc)."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "contact_id": _contact_id(record),
        }
        line |= _access_fields(record)
        for key, value in _extras(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a record was given with ``extra=``."""
    return {
        key: value if isinstance(value, str | int | float | bool) or value is None else str(value)
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


def _contact_id(record: logging.LogRecord) -> str | None:
    """The contact a record is about: given with ``extra``, or its request's."""
    found = getattr(record, "contact_id", None) or getattr(record, "context_contact_id", None)
    return None if found is None else str(found)


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """uvicorn's access log line as fields: ``'%s - "%s %s HTTP/%s" %d'`` and its arguments."""
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != 5:
        return {}
    client, method, path, _, status = args
    return {"method": str(method), "path": str(path), "status": status, "client": str(client)}


class TextFormatter(logging.Formatter):
    """``time level logger: message`` and, in brackets, the request and contact ids when
    known and the record's other fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        found = {"request_id": getattr(record, "request_id", None)}
        found["contact_id"] = _contact_id(record)
        ids = [f"{key}={value}" for key, value in found.items() if value]
        ids += [f"{key}={value}" for key, value in _extras(record).items()]
        return f"{text} [{' '.join(ids)}]" if ids else text


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` configuration: every record of the process (the
    service's and uvicorn's, the access log included) at ``level`` or above, written to stderr
    in ``log_format`` (``json`` or ``text``)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r}: use json or text")
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    name = f"{formatter.__module__}.{formatter.__qualname__}"
    handler = {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}
    logger = {"handlers": ["main"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": {"()": name}},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level.upper()},
        "loggers": {
            "uvicorn": logger,
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": logger,
            # the schema check at start-up: the migration tool's notes are not an operator's
            "alembic": {"level": "WARNING"},
        },
    }
