"""The request id: taken from a client's or proxy's `X-Request-ID` when it is a short,
safe token, made here otherwise. It is in every log line of the request, and stored on
the outbox rows (and signature submissions) the request writes, so the worker's lines
about those emails carry it too."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

# Letters, digits and a little punctuation, up to 64: what proxies and tracing systems
# send (UUIDs, hex ids). Anything else could be a way to write into our log lines.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def new_request_id() -> str:
    return secrets.token_hex(12)


def request_id_from(header: str | None) -> str:
    """The incoming id if it is safe to log and store as it is, else a new one."""
    if header is not None and _SAFE_REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()
