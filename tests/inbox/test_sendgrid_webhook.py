"""SendGrid's signed event webhook, with a P-256 key pair made here: verified, stored
once, statuses only moving forward, suppressions recorded; forgeries change nothing."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.db import transaction
from campaign.inbox.models import EmailEvent
from campaign.outbox.models import EmailKind, OutboxMessage, Suppression
from campaign.outbox.service import enqueue_email

URL = "/webhooks/sendgrid"


def _new_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, base64.b64encode(der).decode()


SIGNING_KEY, PUBLIC_KEY = _new_key()
OTHER_KEY, _ = _new_key()


def signed(
    body: bytes, key: ec.EllipticCurvePrivateKey = SIGNING_KEY, at: int | None = None
) -> dict:
    timestamp = str(at if at is not None else int(time.time()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "Content-Type": "application/json",
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
    }


@pytest.fixture
async def webhook(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Any:
    application = create_app(
        settings.model_copy(update={"sendgrid_webhook_public_key": PUBLIC_KEY})
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://campaign.test"
        ) as client:
            yield client


@pytest.fixture
async def message_id(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with transaction(session_factory) as session:
        await enqueue_email(
            session,
            EmailKind.ALREADY_SIGNED,
            to_address="Ada@Example.org",
            to_name="Ada",
            context={"given_name": "Ada", "campaign_title": "T", "campaign_slug": "t"},
        )
    async with session_factory() as session:
        return int(await session.scalar(select(OutboxMessage.id)) or 0)


def event(kind: str, message: int, event_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": "ada@example.org",
        "timestamp": int(time.time()),
        "event": kind,
        "sg_event_id": event_id,
        "sg_message_id": "abc.filter0001",
        "outbox_id": str(message),
        **extra,
    }


async def post(client: httpx.AsyncClient, events: Any, **sign: Any) -> httpx.Response:
    body = json.dumps(events).encode()
    return await client.post(URL, content=body, headers=signed(body, **sign))


async def _status(factory: async_sessionmaker[AsyncSession], message: int) -> str:
    async with factory() as session:
        return str(
            await session.scalar(
                select(OutboxMessage.delivery_status).where(OutboxMessage.id == message)
            )
        )


async def test_events_move_the_status_forward_only(
    webhook: httpx.AsyncClient, message_id: int, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    answer = await post(
        webhook, [event("delivered", message_id, "e2"), event("processed", message_id, "e1")]
    )
    assert answer.status_code == 200
    assert answer.json() == {"new": 2, "repeated": 0, "malformed": 0}
    assert await _status(session_factory, message_id) == "delivered"


async def test_a_replayed_event_changes_nothing(
    webhook: httpx.AsyncClient, message_id: int, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await post(webhook, [event("processed", message_id, "e1")])
    again = await post(webhook, [event("processed", message_id, "e1")])
    assert again.json() == {"new": 0, "repeated": 1, "malformed": 0}
    async with session_factory() as session:
        assert len(list((await session.execute(select(EmailEvent))).scalars())) == 1


@pytest.mark.parametrize(
    ("events", "reasons"),
    [
        ([("bounce", {"type": "bounce"})], {"hard_bounce"}),
        ([("bounce", {"type": "blocked"})], set()),
        ([("spamreport", {})], {"spam_report"}),
        ([("unsubscribe", {}), ("group_unsubscribe", {})], {"unsubscribe"}),
        ([("open", {}), ("click", {})], set()),
    ],
)
async def test_suppressions_follow_bounces_complaints_and_unsubscribes(
    webhook: httpx.AsyncClient,
    message_id: int,
    session_factory: async_sessionmaker[AsyncSession],
    events: list,
    reasons: set,
) -> None:
    payload = [event(kind, message_id, f"e{n}", **extra) for n, (kind, extra) in enumerate(events)]
    assert (await post(webhook, payload)).status_code == 200
    async with session_factory() as session:
        rows = list((await session.execute(select(Suppression))).scalars())
    assert {r.reason for r in rows} == reasons
    assert {r.email_normalised for r in rows} <= {"ada@example.org"}


async def test_unsigned_forged_tampered_and_stale_requests_change_nothing(
    webhook: httpx.AsyncClient, message_id: int, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    body = json.dumps([event("delivered", message_id, "e1")]).encode()
    unsigned = await webhook.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    forged = await webhook.post(URL, content=body, headers=signed(body, key=OTHER_KEY))
    assert forged.status_code == 403
    tampered = await webhook.post(
        URL, content=body.replace(b"delivered", b"bounce"), headers=signed(body)
    )
    assert tampered.status_code == 403
    stale = await webhook.post(URL, content=body, headers=signed(body, at=int(time.time()) - 3600))
    assert stale.status_code == 403
    garbage = signed(body) | {"X-Twilio-Email-Event-Webhook-Signature": "not base64!"}
    assert (await webhook.post(URL, content=body, headers=garbage)).status_code == 403
    assert await _status(session_factory, message_id) == "queued"


async def test_a_signed_body_that_is_not_events_is_refused(webhook: httpx.AsyncClient) -> None:
    for body in (b"{not json", b'{"event": "delivered"}', b"[1, 2]"):
        answer = await webhook.post(URL, content=body, headers=signed(body))
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"


async def test_malformed_events_are_counted_not_stored(webhook: httpx.AsyncClient) -> None:
    answer = await post(webhook, [{"event": "delivered"}, {"sg_event_id": 5, "event": "x"}])
    assert answer.json() == {"new": 0, "repeated": 0, "malformed": 2}


async def test_without_a_key_the_webhook_refuses_everything(client: httpx.AsyncClient) -> None:
    body = b"[]"
    answer = await client.post(URL, content=body, headers=signed(body))
    assert answer.status_code == 403
