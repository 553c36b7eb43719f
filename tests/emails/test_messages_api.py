"""Staff see every email with its delivery, filter the list, and retry failed ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.outbox.models import OutboxMessage
from tests.conftest import signer

MESSAGES = "/api/v1/staff/messages"


async def test_staff_list_and_read_messages_without_their_secrets(
    client: httpx.AsyncClient,
    viewer: dict,
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    petition = await publish_petition()
    await client.post("/api/v1/campaigns/stop-the-arms-trade/signatures", json=signer())
    await client.post(
        "/api/v1/campaigns/stop-the-arms-trade/signatures",
        json=signer(email="grace@example.org"),
    )
    await settle_submissions()
    listed = await client.get(MESSAGES, params={"campaign_id": petition["id"]}, headers=viewer)
    assert listed.status_code == 200
    assert [m["to_address"] for m in listed.json()] == ["grace@example.org", "ada@example.org"]
    assert all(m["delivery_status"] == "queued" for m in listed.json())
    assert "token" not in listed.text and "context" not in listed.text

    one = await client.get(f"{MESSAGES}/{listed.json()[0]['id']}", headers=viewer)
    assert one.json()["events"] == []
    by_status = await client.get(MESSAGES, params={"status": "failed"}, headers=viewer)
    assert by_status.json() == []


async def test_a_failed_message_can_be_retried_once_it_failed(
    client: httpx.AsyncClient,
    editor: dict,
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition()
    await client.post("/api/v1/campaigns/stop-the-arms-trade/signatures", json=signer())
    await settle_submissions()
    [message] = (await client.get(MESSAGES, headers=editor)).json()
    not_yet = await client.post(f"{MESSAGES}/{message['id']}/retry", headers=editor)
    assert not_yet.status_code == 409

    async with transaction(session_factory) as session:
        await session.execute(
            update(OutboxMessage).values(status="failed", attempts=5, last_error="boom")
        )
    retried = await client.post(f"{MESSAGES}/{message['id']}/retry", headers=editor)
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)


async def test_bad_filters_name_the_field(client: httpx.AsyncClient, viewer: dict) -> None:
    answer = await client.get(MESSAGES, params={"kind": "spam"}, headers=viewer)
    assert answer.status_code == 422
    assert answer.json()["field"] == "kind"
