"""Log lines: one JSON object a line for machines (CAMPAIGN_LOG_FORMAT=json, the default
outside development), or plain text for people (text, development's default). The same
configuration serves `campaign serve` (uvicorn's own loggers included) and `campaign
worker`. Every line passes a filter that masks email addresses, keeping the domain
(`***@example.org`), and staff API tokens, so a log line never names a person or
holds a secret, whatever a message or an exception quotes."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from campaign.observability.request_ids import current_request_id

# An address's local part (Unicode letters too, as people type them) and its domain.
_EMAIL_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@((?:[\w-]+\.)+[\w-]+)")
# Staff API tokens are marked with a prefix so that leaked ones are easy to find.
_STAFF_TOKEN = re.compile(r"cmp_[A-Za-z0-9_-]{8,}")

# The attributes every LogRecord has; anything else on a record came as `extra`.
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    # uvicorn's copy of its message with terminal colour codes: the message says it.
    "color_message",
}


def mask(text: str) -> str:
    """Email addresses reduced to their domain, staff tokens to their prefix."""
    if "@" in text:
        text = _EMAIL_ADDRESS.sub(r"***@\1", text)
    if "cmp_" in text:
        text = _STAFF_TOKEN.sub("cmp_***", text)
    return text


class MaskPersonalData(logging.Filter):
    """On the handler, so it sees every record, whichever logger made it. The message is
    formatted here and masked, and so are the extra fields and the exception's text (a
    database error quotes the values of its statement)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        for name, value in record.__dict__.items():
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                record.__dict__[name] = mask(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def _record_only_what_is_written() -> None:
    """The logging module's documented switches for what a record gathers and our lines
    never print: the caller's file and line (a walk up the stack), the thread, the process
    and its name. A line per request, at thousands a second, spent a third of its time on
    them. Called where our formatters are made, which is in every process that logs,
    uvicorn's server processes included (they build the configuration afresh)."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def _request_id_of(record: logging.LogRecord) -> str | None:
    # A line about an email names the request that caused it; any other line logged
    # while a request is answered names that request.
    given = record.__dict__.get("request_id")
    return given if isinstance(given, str) else current_request_id.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id, any extra
    fields, and the exception's traceback as one string."""

    def __init__(self) -> None:
        super().__init__()
        _record_only_what_is_written()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id_of(record)
        if request_id is not None:
            line["request_id"] = request_id
        for name, value in record.__dict__.items():
            if name not in _STANDARD_ATTRIBUTES and name not in line:
                line[name] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Time, level, logger and message, then the extra fields as name=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        _record_only_what_is_written()

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {
            name: value
            for name, value in record.__dict__.items()
            if name not in _STANDARD_ATTRIBUTES and name != "request_id"
        }
        request_id = _request_id_of(record)
        if request_id is not None:
            fields = {"request_id": request_id, **fields}
        if not fields:
            return text
        first, newline, rest = text.partition("\n")
        extra = " ".join(f"{name}={value}" for name, value in fields.items())
        return f"{first} [{extra}]{newline}{rest}"


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` configuration: one handler on standard error, with
    the masking filter, for the root logger and for uvicorn's loggers (which uvicorn
    configures in each of its server processes from this same dictionary)."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask": {"()": MaskPersonalData}},
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["mask"],
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Off in `campaign serve` (paths hold tokens); our own line per request is
            # campaign.requests. Kept quiet here should anyone turn it on.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            # httpx logs each request's URL at INFO: an outgoing webhook's URL can hold
            # its receiver's secret (campaign/webhooks).
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }


def configure_logging(log_format: str, level: str = "INFO") -> None:
    import logging.config

    logging.config.dictConfig(logging_config(log_format, level))
