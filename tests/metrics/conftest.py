"""Helpers for the metrics tests: signatures and other rows written straight into the
database with chosen times, and a rollup pass without the safety lag."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.models import Campaign
from campaign.db import transaction
from campaign.metrics.rollup import RollupPass, update_rollups
from campaign.people.models import Person
from campaign.signatures.models import Signature

_people = itertools.count(1)

Factory = async_sessionmaker[AsyncSession]


async def campaign_id(factory: Factory, slug: str) -> int:
    async with transaction(factory) as session:
        found = await session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    assert found is not None
    return int(found)


async def add_signatures(
    factory: Factory,
    campaign: int,
    count: int = 1,
    *,
    at: datetime | None = None,
    status: str = "pending",
    confirmed_at: datetime | None = None,
    **fields: Any,
) -> list[int]:
    """Signatures of new people, as signing would write them, at a chosen time."""
    created_at = at or datetime.now(UTC) - timedelta(minutes=5)
    ids = []
    async with transaction(factory) as session:
        for _ in range(count):
            number = next(_people)
            person = Person(
                email_normalised=f"p{number}@example.org",
                email=f"p{number}@example.org",
                given_name="Grace",
                family_name="Hopper",
                country=fields.get("country", "GB"),
            )
            session.add(person)
            await session.flush()
            values: dict[str, Any] = {
                "given_name": "Grace",
                "family_name": "Hopper",
                "country": "GB",
                "email_updates": False,
                "channel": "api",
                **fields,
            }
            signature = Signature(
                campaign_id=campaign,
                person_id=person.id,
                status=status,
                email=person.email,
                created_at=created_at,
                confirmed_at=confirmed_at,
                **values,
            )
            session.add(signature)
            await session.flush()
            ids.append(signature.id)
    return ids


async def set_status(
    factory: Factory, ids: list[int], status: str, confirmed_at: datetime | None = None
) -> None:
    values: dict[str, Any] = {"status": status}
    if confirmed_at is not None:
        values["confirmed_at"] = confirmed_at
    async with transaction(factory) as session:
        await session.execute(update(Signature).where(Signature.id.in_(ids)).values(values))


RunPass = Callable[..., Awaitable[RollupPass]]


@pytest.fixture
def run_pass(session_factory: Factory) -> RunPass:
    """An incremental pass with no safety lag, as of now (or a given time)."""

    async def run(now: datetime | None = None) -> RollupPass:
        async with transaction(session_factory) as session:
            return await update_rollups(session, now=now, lag=timedelta(0))

    return run
