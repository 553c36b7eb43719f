"""Log lines: one per request with its route template, status, time and request id; the
request id taken from a safe X-Request-ID or made, returned, stored on the emails the
request caused and named in the worker's lines about them; and no email address or staff
token in any line, whatever a message, a field or an exception holds."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from campaign.observability.logs import logging_config, mask
from campaign.outbox.models import EmailKind, OutboxMessage
from tests.conftest import signer

Publish = Callable[..., Awaitable[dict[str, Any]]]
SIGN = "/api/v1/campaigns/stop-the-arms-trade/signatures"


def test_addresses_keep_only_their_domain_and_tokens_their_prefix() -> None:
    assert mask("to ada.lovelace+news@example.org, now") == "to ***@example.org, now"
    assert mask("<zéphyrine_o'neil@mail.example.co.uk>") == "<***@mail.example.co.uk>"
    assert mask("a@b.org;c.d@e.org") == "***@b.org;***@e.org"
    assert mask("token cmp_AbCdEf0123456789-_xyz revoked") == "token cmp_*** revoked"
    assert mask("no address @ here, 3@4") == "no address @ here, 3@4"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The real configuration (the one `campaign serve` and `campaign worker` use),
    writing to a buffer instead of standard error."""
    config = logging_config("json", "INFO")
    config["handlers"]["default"]["stream"] = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logging.config.dictConfig(config)
    try:
        yield root.handlers[0].stream  # type: ignore[attr-defined]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_no_line_names_an_address_whatever_holds_it(json_lines: io.StringIO) -> None:
    log = logging.getLogger("campaign.test")
    log.warning("could not send to %s", "ada@example.org", extra={"to": "grace@example.net"})
    try:
        raise ValueError("duplicate key (email)=(linus@example.com)")
    except ValueError:
        log.exception("insert failed for %s", "linus@example.com")
    logging.getLogger("uvicorn.error").info("client says hi from eve@evil.example")
    text = json_lines.getvalue()
    for address in ("ada@", "grace@", "linus@", "eve@"):
        assert address not in text
    first, second, third = _lines(json_lines)
    assert first["message"] == "could not send to ***@example.org"
    assert first["to"] == "***@example.net"
    assert first["level"] == "WARNING"
    assert "***@example.com" in second["exception"]
    assert third["logger"] == "uvicorn.error"


async def test_each_request_is_one_line_with_its_route_and_id(
    client: httpx.AsyncClient, publish_petition: Publish, json_lines: io.StringIO
) -> None:
    await publish_petition()
    given = await client.post(SIGN, json=signer(), headers={"X-Request-ID": "edge-7f3a.1:2"})
    assert given.headers["x-request-id"] == "edge-7f3a.1:2"
    made = []
    for unsafe in ("two words", "x" * 65, "<script>", 'a"b', ""):
        answer = await client.get("/healthz", headers={"X-Request-ID": unsafe})
        made.append(answer.headers["x-request-id"])
        assert answer.headers["x-request-id"] != unsafe
    plain = await client.get("/api/v1/campaigns/no-such-petition")
    made.append(plain.headers["x-request-id"])
    assert len(set(made)) == len(made)

    requests = [line for line in _lines(json_lines) if line["logger"] == "campaign.requests"]
    signed = next(line for line in requests if line["request_id"] == "edge-7f3a.1:2")
    assert signed["method"] == "POST"
    assert signed["route"] == "/api/v1/campaigns/{slug}/signatures"
    assert signed["status"] == 202
    assert signed["duration_ms"] >= 0
    missing = next(line for line in requests if line["request_id"] == made[-1])
    assert missing["route"] == "/api/v1/campaigns/{slug}"
    assert missing["status"] == 404
    assert "no-such-petition" not in json_lines.getvalue()
    assert "ada@example.org" not in json_lines.getvalue()


async def test_the_worker_names_the_request_that_caused_an_email(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    settle_submissions: Callable[[], Awaitable[None]],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
    session_factory: Any,
    json_lines: io.StringIO,
) -> None:
    await publish_petition()
    await client.post(SIGN, json=signer(), headers={"X-Request-ID": "signing-request-1"})
    await settle_submissions()
    # A request that writes its email itself: the link to a person's own data.
    await client.post(
        "/my-data", data={"email": "ada@example.org"}, headers={"X-Request-ID": "my-data-2"}
    )
    async with session_factory() as session:
        rows = {m.kind: m for m in await session.scalars(select(OutboxMessage))}
    assert rows[EmailKind.SIGNATURE_CONFIRMATION].request_id == "signing-request-1"
    assert rows[EmailKind.DATA_RIGHTS_LINK].request_id == "my-data-2"

    await deliver_emails()
    sent = {
        line["request_id"]: line
        for line in _lines(json_lines)
        if line["message"].startswith("email sent")
    }
    confirmation = sent["signing-request-1"]
    assert confirmation["outbox_id"] == rows[EmailKind.SIGNATURE_CONFIRMATION].id
    assert confirmation["kind"] == "signature_confirmation"
    assert sent["my-data-2"]["kind"] == "data_rights_link"
    assert "ada@example.org" not in json_lines.getvalue()
