"""The public count of a campaign is served from a short per-process cache, and is right
once the entry expires."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from campaign.config import Settings
from campaign.db import transaction
from campaign.metrics.counts import SignatureCountCache
from campaign.signatures.service import count_signatures
from tests.conftest import signer
from tests.metrics.conftest import Factory, add_signatures, campaign_id

Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "stop-the-arms-trade"
PUBLIC = f"/api/v1/campaigns/{SLUG}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_count_cache_seconds": 0.5})


async def test_the_count_is_cached_briefly_then_correct(
    client: httpx.AsyncClient, publish_petition: Publish, session_factory: Factory
) -> None:
    await publish_petition()
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 0, "pending": 0}
    assert (await client.post(f"{PUBLIC}/signatures", json=signer())).status_code == 202
    campaign = await campaign_id(session_factory, SLUG)
    await add_signatures(session_factory, campaign, 2, status="confirmed")
    await add_signatures(session_factory, campaign, 1, status="fraudulent")

    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 0, "pending": 0}
    await asyncio.sleep(0.6)
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 2, "pending": 1}


async def test_requests_that_miss_together_share_one_count(
    publish_petition: Publish, session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    await publish_petition()
    campaign = await campaign_id(session_factory, SLUG)
    counted = 0

    async def slow_count(session: Any, campaign_id: int) -> Any:
        nonlocal counted
        counted += 1
        await asyncio.sleep(0.05)
        return await count_signatures(session, campaign_id)

    monkeypatch.setattr("campaign.metrics.counts.count_signatures", slow_count)
    cache = SignatureCountCache(ttl_seconds=60)
    async with transaction(session_factory) as session:
        answers = await asyncio.gather(*(cache.get(session, campaign) for _ in range(5)))
    assert counted == 1
    assert len({(a.confirmed, a.pending) for a in answers}) == 1
