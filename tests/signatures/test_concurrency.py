"""Concurrent signing on PostgreSQL: every request is accepted as a submission, and
workers resolving them side by side keep one signature per person (the unique index, not
luck) and lose no signature or email."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.outbox.models import OutboxMessage
from campaign.people.models import Person
from campaign.signatures.models import Signature, SignatureSubmission
from campaign.signatures.submissions import resolve_due_submissions
from tests.conftest import petition_fields, signer

SIGN = "/api/v1/campaigns/stop-the-arms-trade/signatures"


@pytest.fixture
async def busy_client(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    on_postgres: bool,
    editor: dict,
) -> Any:
    if not on_postgres:
        pytest.skip("concurrency is tested on PostgreSQL; SQLite serialises writers anyway")
    no_limits = {
        "sign_rate_limit": "1000000/minute",
        "sign_campaign_rate_limit": "1000000/minute",
        "sign_domain_rate_limit": "1000000/minute",
    }
    application = create_app(settings.model_copy(update=no_limits))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.9", 1))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://campaign.test", timeout=120
        ) as client:
            await client.post("/api/v1/staff/campaigns", json=petition_fields(), headers=editor)
            await client.post("/api/v1/staff/campaigns/stop-the-arms-trade/publish", headers=editor)
            yield client


async def _count(factory: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _resolve_with_workers(
    factory: async_sessionmaker[AsyncSession], settings: Settings, workers: int = 4
) -> None:
    """Several workers at once, in small batches, so they take turns on the submissions
    (SKIP LOCKED) and race each other on the same people."""
    small_batches = settings.model_copy(update={"submission_batch_size": 25})
    await asyncio.gather(*(resolve_due_submissions(factory, small_batches) for _ in range(workers)))
    # A worker stops at a short batch, which another's locks can cause: finish up.
    await resolve_due_submissions(factory, settings)
    assert await _count(factory, SignatureSubmission) == 0


async def test_200_concurrent_signatures_of_one_email_make_one_signature(
    busy_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    answers = await asyncio.gather(*(busy_client.post(SIGN, json=signer()) for _ in range(200)))
    assert {a.status_code for a in answers} == {202}
    assert await _count(session_factory, SignatureSubmission) == 200
    await _resolve_with_workers(session_factory, settings)
    assert await _count(session_factory, Signature) == 1
    assert await _count(session_factory, Person) == 1
    # One confirmation, then fresh links up to the per-signature cap, and not one more.
    assert await _count(session_factory, OutboxMessage) == settings.max_emails_per_signature


async def test_2000_concurrent_signers_are_all_kept_with_their_emails(
    busy_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    answers = await asyncio.gather(
        *(busy_client.post(SIGN, json=signer(email=f"signer{n}@example.org")) for n in range(2000))
    )
    assert {a.status_code for a in answers} == {202}
    await _resolve_with_workers(session_factory, settings)
    assert await _count(session_factory, Signature) == 2000
    assert await _count(session_factory, OutboxMessage) == 2000
    async with session_factory() as session:
        distinct_people = await session.scalar(
            select(func.count(func.distinct(Signature.person_id)))
        )
    assert distinct_people == 2000
