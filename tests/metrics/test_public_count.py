"""The public count of a campaign is served from a short per-process cache, and is right
once the entry expires."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from campaign.config import Settings
from campaign.db import transaction
from campaign.metrics.counts import SignatureCountCache
from campaign.metrics.queries import current_signature_counts
from campaign.signatures.service import count_signatures
from tests.conftest import signer
from tests.metrics.conftest import Factory, RunPass, add_signatures, campaign_id, set_status

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
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 0}
    assert (await client.post(f"{PUBLIC}/signatures", json=signer())).status_code == 202
    campaign = await campaign_id(session_factory, SLUG)
    await add_signatures(session_factory, campaign, 2, status="confirmed")
    await add_signatures(session_factory, campaign, 1, status="fraudulent")

    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 0}
    await asyncio.sleep(0.6)
    assert (await client.get(PUBLIC)).json()["counts"] == {"confirmed": 2}


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
        return await current_signature_counts(session, campaign_id)

    monkeypatch.setattr("campaign.metrics.counts.current_signature_counts", slow_count)
    cache = SignatureCountCache(ttl_seconds=60)
    async with transaction(session_factory) as session:
        answers = await asyncio.gather(*(cache.get(session, campaign) for _ in range(5)))
    assert counted == 1
    assert len({(a.confirmed, a.pending) for a in answers}) == 1


async def test_counts_from_rollups_and_the_rows_past_them_match_counting_rows(
    publish_petition: Publish, session_factory: Factory, run_pass: RunPass
) -> None:
    await publish_petition()
    campaign = await campaign_id(session_factory, SLUG)

    async def agree() -> None:
        async with transaction(session_factory) as session:
            fast = await current_signature_counts(session, campaign)
            slow = await count_signatures(session, campaign)
        assert fast == slow

    first = await add_signatures(session_factory, campaign, 6)
    [held] = await add_signatures(session_factory, campaign, 1, status="fraudulent")
    await agree()  # before any pass: counted from the rows
    await run_pass()
    await agree()
    # Past the high-water marks: new rows, a late confirmation, staff invalidating a
    # confirmed and a pending signature, a held signature pending again.
    second = await add_signatures(session_factory, campaign, 3)
    await set_status(session_factory, first[:3] + second[:1], "confirmed", datetime.now(UTC))
    await agree()
    await set_status(session_factory, [first[0], first[5]], "invalidated")
    await set_status(session_factory, [held], "pending")
    await agree()
    await run_pass()
    await agree()
    async with transaction(session_factory) as session:
        counts = await current_signature_counts(session, campaign)
    assert (counts.confirmed, counts.pending, counts.fraudulent, counts.invalidated) == (
        3,
        5,
        0,
        2,
    )
