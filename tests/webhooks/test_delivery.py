"""Outgoing webhooks, delivered by the worker's step to a real HTTP receiver on
127.0.0.1: signed as the README says, retried after a failure with the same batch and
idempotency key, replayed from a cursor, never a longer batch after a crash."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.webhooks.models import FeedEvent, WebhookEndpoint
from campaign.webhooks.service import claim_endpoint, deliver_due, verify


class Receiver:
    """Records each POST; answers `failures` of them 500 first."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.failures = 0
        # Hold the first request open (a worker is killed while it waits).
        self.hold_first = False
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                if receiver.hold_first and not receiver.first_arrived.is_set():
                    receiver.first_arrived.set()
                    receiver.release.wait(timeout=30)
                failing = receiver.failures > 0
                receiver.failures -= 1 if failing else 0
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def bodies(self) -> list[list[dict[str, Any]]]:
        return [json.loads(body) for _, body in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        receiver.server.shutdown()


def osdi(headers: dict[str, str]) -> dict[str, str]:
    return {"OSDI-API-Token": headers["Authorization"].removeprefix("Bearer ")}


def signature_body(n: int) -> dict[str, Any]:
    return {
        "person": {
            "given_name": "Signer",
            "family_name": f"Number {n}",
            "email_addresses": [{"address": f"signer{n}@example.org"}],
            "postal_addresses": [{"country": "GB"}],
        }
    }


async def _register(client: httpx.AsyncClient, admin: dict[str, str], url: str) -> dict[str, Any]:
    answer = await client.post("/api/v1/staff/webhooks", json={"url": url}, headers=admin)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Events are delivered as soon as they are written: nothing else is committing here.
    return settings.model_copy(update={"webhook_settle_seconds": 0})


async def _deliver(factory: async_sessionmaker[AsyncSession], settings: Settings) -> int:
    async with httpx.AsyncClient() as http:
        return await deliver_due(factory, settings, http)


async def _make_due(factory: async_sessionmaker[AsyncSession]) -> None:
    """Time passing: the backoff (or a lease) has run out."""
    async with transaction(factory) as session:
        await session.execute(
            update(WebhookEndpoint).values(
                next_attempt_at=utcnow() - timedelta(seconds=1), leased_until=None
            )
        )


async def test_a_signature_is_posted_signed_as_osdi_json(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    receiver: Receiver,
) -> None:
    petition = await publish_petition()
    endpoint = await _register(client, admin, receiver.url)
    path = f"/osdi/v1/petitions/{petition['id']}/signatures"
    assert (
        await client.post(path, json=signature_body(1), headers=osdi(editor))
    ).status_code == 201

    assert await _deliver(session_factory, settings) == 1
    [(headers, body)] = receiver.requests
    # As a receiver checks it, from the README: HMAC-SHA256 over "<t>.<body>".
    parts = dict(item.split("=", 1) for item in headers["X-Campaign-Signature"].split(","))
    expected = hmac.new(
        endpoint["secret"].encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert verify(endpoint["secret"], headers["X-Campaign-Signature"], body)
    assert not verify("whsec_wrong", headers["X-Campaign-Signature"], body)
    assert not verify(endpoint["secret"], headers["X-Campaign-Signature"], body + b" ")
    assert headers["Idempotency-Key"].startswith(f"campaign-webhook-{endpoint['id']}-")

    items = json.loads(body)
    kinds = [next(iter(item)) for item in items]
    assert "osdi:signature" in kinds and "osdi:person" in kinds
    [signature] = [item["osdi:signature"] for item in items if "osdi:signature" in item]
    assert signature["_links"]["osdi:petition"]["href"].endswith(
        f"/osdi/v1/petitions/{petition['id']}"
    )

    # Acknowledged: nothing is sent again.
    assert await _deliver(session_factory, settings) == 0
    assert len(receiver.requests) == 1


async def test_a_failed_delivery_is_retried_with_the_same_batch(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    receiver: Receiver,
) -> None:
    petition = await publish_petition()
    await _register(client, admin, receiver.url)
    path = f"/osdi/v1/petitions/{petition['id']}/signatures"
    await client.post(path, json=signature_body(1), headers=osdi(editor))
    receiver.failures = 1

    assert await _deliver(session_factory, settings) == 0
    async with session_factory() as session:
        [endpoint] = list(await session.scalars(select(WebhookEndpoint)))
    assert endpoint.attempts == 1 and endpoint.last_error == "the endpoint answered 500"
    assert endpoint.next_attempt_at > utcnow() + timedelta(seconds=10)  # backoff
    assert await _deliver(session_factory, settings) == 0  # not yet due

    # Meanwhile another signature: the retry is the first batch, exactly.
    await client.post(path, json=signature_body(2), headers=osdi(editor))
    await _make_due(session_factory)
    assert await _deliver(session_factory, settings) == 2  # the retry, then the new one
    (first_headers, first_body), (retry_headers, retry_body), (_, later_body) = receiver.requests
    assert retry_body == first_body
    assert retry_headers["Idempotency-Key"] == first_headers["Idempotency-Key"]
    assert later_body != first_body


async def test_a_batch_left_unacknowledged_by_a_crash_is_resent_as_it_was(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    receiver: Receiver,
) -> None:
    petition = await publish_petition()
    await _register(client, admin, receiver.url)
    path = f"/osdi/v1/petitions/{petition['id']}/signatures"
    await client.post(path, json=signature_body(1), headers=osdi(editor))
    # A worker claimed the endpoint and fixed its batch, then died before recording.
    claimed = await claim_endpoint(session_factory, settings)
    assert claimed is not None and claimed.batch_end is not None
    await client.post(path, json=signature_body(2), headers=osdi(editor))
    await _make_due(session_factory)

    assert await _deliver(session_factory, settings) == 2
    first, second = receiver.bodies()
    assert "signer1@example.org" in json.dumps(first) and "signer2@example.org" not in json.dumps(
        first
    )
    assert "signer2@example.org" in json.dumps(second)


async def test_replay_from_a_cursor_sends_again_what_followed_it(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    receiver: Receiver,
) -> None:
    petition = await publish_petition()
    endpoint = await _register(client, admin, receiver.url)
    path = f"/osdi/v1/petitions/{petition['id']}/signatures"
    for n in (1, 2):
        await client.post(path, json=signature_body(n), headers=osdi(editor))
    assert await _deliver(session_factory, settings) == 1
    async with session_factory() as session:
        events = int(await session.scalar(select(func.count()).select_from(FeedEvent)) or 0)
    assert events >= 4  # two people and two signatures at least

    replayed = await client.post(
        f"/api/v1/staff/webhooks/{endpoint['id']}/replay", json={"after_event": 0}, headers=admin
    )
    assert replayed.status_code == 200 and replayed.json()["cursor"] == 0
    assert await _deliver(session_factory, settings) == 1
    first, again = receiver.bodies()
    assert again == first


async def test_only_https_endpoints_except_loopback_outside_production(
    client: httpx.AsyncClient, admin: dict[str, str], editor: dict[str, str]
) -> None:
    refused = await client.post(
        "/api/v1/staff/webhooks", json={"url": "http://example.org/hook"}, headers=admin
    )
    assert refused.status_code == 422 and refused.json()["field"] == "url"
    ok = await client.post(
        "/api/v1/staff/webhooks", json={"url": "https://example.org/hook"}, headers=admin
    )
    assert ok.status_code == 201 and ok.json()["secret"].startswith("whsec_")
    listed = await client.get("/api/v1/staff/webhooks", headers=admin)
    assert "secret" not in listed.json()[0]
    not_admin = await client.get("/api/v1/staff/webhooks", headers=editor)
    assert not_admin.status_code == 403


async def test_a_worker_killed_mid_delivery_leaves_no_second_different_batch(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    receiver: Receiver,
) -> None:
    """A real worker process gets SIGKILL while its request is at the receiver (which
    holds it open); the next worker, once the lease is over, sends that batch again,
    the same bytes under the same key, and the newer change in a batch of its own."""
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL here")
    from tests.emails.test_faults import worker_process

    fast = settings.model_copy(
        update={"worker_claim_lease_seconds": 1.0, "worker_poll_seconds": 0.05}
    )
    petition = await publish_petition()
    await _register(client, admin, receiver.url)
    path = f"/osdi/v1/petitions/{petition['id']}/signatures"
    await client.post(path, json=signature_body(1), headers=osdi(editor))

    receiver.hold_first = True
    first_worker = worker_process(fast)
    try:
        assert receiver.first_arrived.wait(timeout=30), "the worker never delivered"
    finally:
        first_worker.kill()
        first_worker.join(timeout=10)
    receiver.release.set()
    await client.post(path, json=signature_body(2), headers=osdi(editor))

    second_worker = worker_process(fast)
    try:
        deadline = time.monotonic() + 30
        while len(receiver.requests) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        second_worker.kill()
        second_worker.join(timeout=10)
    (held_headers, held_body), (again_headers, again_body), *rest = receiver.requests
    assert again_body == held_body
    assert again_headers["Idempotency-Key"] == held_headers["Idempotency-Key"]
    assert "signer2@example.org" not in held_body.decode()
    assert rest and "signer2@example.org" in rest[0][1].decode()
    keys = [headers["Idempotency-Key"] for headers, _ in receiver.requests]
    assert len(set(keys)) == len(keys) - 1  # one batch sent twice, the rest once each
