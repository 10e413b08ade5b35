"""Log lines that carry the click id or conversion id they are about.

Code binds ids once, where it learns them, and every log line inside the block carries them,
whichever module logs it:

    from config.logging import log_context

    with log_context(click_id=click.click_id):
        ...  # every logger.info(...) in here has "click_id" in its JSON

The context lives in a ContextVar, so it follows the current thread or asyncio task and never
leaks between concurrent requests. `LOG_FORMAT=json` (production) writes one JSON object per
line; the default text format appends the bound ids as `key=value`.
"""

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

# The ids we bind; anything else passed to log_context is bound too, these are just documented.
KNOWN_FIELDS = ("click_id", "conversion_id", "inbox_id", "batch_id", "task_id")

_bound: ContextVar[dict[str, Any]] = ContextVar("affnet_log_context", default={})  # noqa: B039


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Bind `fields` onto every log line written inside the block (nested blocks merge)."""
    token = _bound.set({**_bound.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _bound.reset(token)


def log_context_current() -> dict[str, Any]:
    """The fields bound right now (a copy)."""
    return dict(_bound.get())


class LogContextFilter(logging.Filter):
    """Copies the bound fields onto each record, so formatters (JSON or text) can write them.

    Attached to handlers, not loggers: a logger's filter does not see records that propagate
    up from child loggers, a handler's does.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _bound.get()
        for key, value in bound.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        record.log_context_keys = tuple(bound)
        return True


class TextFormatter(logging.Formatter):
    """The human format, with the bound ids appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        keys = getattr(record, "log_context_keys", ())
        if keys:
            line += " " + " ".join(f"{key}={getattr(record, key)}" for key in keys)
        return line


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, bound ids and any `extra=`."""

    def __init__(self) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*_RESERVED, "log_context_keys"],
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        # ISO 8601 in UTC with milliseconds: sortable and unambiguous across machines.
        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")


_RESERVED = [
    "args",
    "asctime",
    "created",
    "exc_info",
    "exc_text",
    "filename",
    "funcName",
    "levelname",
    "levelno",
    "lineno",
    "module",
    "msecs",
    "message",
    "msg",
    "name",
    "pathname",
    "process",
    "processName",
    "relativeCreated",
    "stack_info",
    "taskName",
    "thread",
    "threadName",
]

LOG_FORMATS = ("text", "json")


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The LOGGING dict for settings: one console handler, the context filter, a formatter."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    formatter = "config.logging.JsonLineFormatter" if log_format == "json" else None
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"log_context": {"()": "config.logging.LogContextFilter"}},
        "formatters": {
            "main": {"()": formatter or "config.logging.TextFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["log_context"],
                "formatter": "main",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        # Django's own request logger would otherwise log every 4xx at WARNING: a click flood
        # of bad links must not become a log flood. 5xx still log at ERROR.
        "loggers": {"django.request": {"level": "ERROR"}},
    }
