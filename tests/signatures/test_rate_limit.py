"""Over the per-IP signing limit, the answer is unchanged and the signature is held as
fraudulent: never counted, no email sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.signatures.models import Signature
from tests.conftest import petition_fields, signer

SIGN = "/api/v1/campaigns/stop-the-arms-trade/signatures"


@pytest.fixture
async def limited_app(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Any:
    application = create_app(settings.model_copy(update={"sign_rate_limit": "3/hour"}))
    async with application.router.lifespan_context(application):
        yield application


def _client(app: Any, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://campaign.test")


async def _statuses(factory: async_sessionmaker[AsyncSession]) -> list[str]:
    async with factory() as session:
        rows = await session.execute(select(Signature.status).order_by(Signature.id))
        return list(rows.scalars())


async def test_signatures_over_the_limit_are_held_silently(
    limited_app: Any,
    editor: dict,
    session_factory: async_sessionmaker[AsyncSession],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    async with _client(limited_app, "198.51.100.1") as client:
        await client.post("/api/v1/staff/campaigns", json=petition_fields(), headers=editor)
        await client.post("/api/v1/staff/campaigns/stop-the-arms-trade/publish", headers=editor)
        answers = [
            await client.post(SIGN, json=signer(email=f"person{n}@example.org")) for n in range(5)
        ]
        assert {(a.status_code, a.text) for a in answers} == {
            (answers[0].status_code, answers[0].text)
        }
        assert await _statuses(session_factory) == ["pending"] * 3 + ["fraudulent"] * 2
        assert len(await deliver_emails()) == 3
        counts = (await client.get("/api/v1/campaigns/stop-the-arms-trade")).json()["counts"]
        assert counts == {"confirmed": 0, "pending": 3}
        staff = await client.get("/api/v1/staff/campaigns/stop-the-arms-trade", headers=editor)
        assert staff.json()["counts"]["fraudulent"] == 2

    # Another address is not affected by the first one's limit.
    async with _client(limited_app, "198.51.100.2") as other:
        await other.post(SIGN, json=signer(email="person9@example.org"))
    assert (await _statuses(session_factory))[-1] == "pending"


async def test_a_held_signature_can_still_be_made_within_the_limit(
    limited_app: Any,
    editor: dict,
    session_factory: async_sessionmaker[AsyncSession],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    async with _client(limited_app, "198.51.100.1") as flooder:
        await flooder.post("/api/v1/staff/campaigns", json=petition_fields(), headers=editor)
        await flooder.post("/api/v1/staff/campaigns/stop-the-arms-trade/publish", headers=editor)
        for n in range(3):
            await flooder.post(SIGN, json=signer(email=f"person{n}@example.org"))
        await flooder.post(SIGN, json=signer(email="victim@example.org"))
    assert (await _statuses(session_factory))[-1] == "fraudulent"

    async with _client(limited_app, "198.51.100.2") as victim:
        await victim.post(SIGN, json=signer(email="victim@example.org"))
    assert (await _statuses(session_factory))[-1] == "pending"
    emails = await deliver_emails()
    assert emails[-1]["To"].addresses[0].addr_spec == "victim@example.org"
