"""CAMPAIGN_READ_DATABASE_URL: exports and staff figures read through a second session
factory (the replica's, or the primary's when none is set), in read-only transactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from campaign.config import Settings
from campaign.db import read_only
from tests.conftest import signer

Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "stop-the-arms-trade"


async def test_without_a_replica_reads_use_the_primary(app: Any) -> None:
    assert app.state.read_session_factory is app.state.session_factory


async def test_with_a_replica_exports_and_figures_read_through_it(
    settings: Settings,
    session_factory: Any,
    client: httpx.AsyncClient,
    publish_petition: Publish,
    viewer: dict[str, str],
    settle_submissions: Callable[[], Awaitable[None]],
    on_postgres: bool,
) -> None:
    if not on_postgres:
        pytest.skip("SQLite has no replica: one file, one writer")
    await publish_petition()
    await client.post(f"/api/v1/campaigns/{SLUG}/signatures", json=signer())
    await settle_submissions()
    replica = create_app(settings.model_copy(update={"read_database_url": settings.database_url}))
    async with replica.router.lifespan_context(replica):
        assert replica.state.read_session_factory is not replica.state.session_factory
        read_engine = replica.state.read_session_factory.kw["bind"]
        assert read_engine is not replica.state.session_factory.kw["bind"]
        transport = httpx.ASGITransport(app=replica)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as reader:
            exported = await reader.get(
                f"/api/v1/staff/campaigns/{SLUG}/signatures.csv", headers=viewer
            )
            assert exported.status_code == 200
            assert "ada@example.org" in exported.text
            figures = await reader.get(f"/api/v1/staff/campaigns/{SLUG}/metrics", headers=viewer)
            assert figures.status_code == 200, figures.text
            everything = await reader.get("/api/v1/staff/metrics", headers=viewer)
            assert everything.status_code == 200, everything.text
        # The replica's pool is the one the reads used.
        assert read_engine.sync_engine.pool.checkedin() >= 1


async def test_a_read_only_session_refuses_writes(session_factory: Any, on_postgres: bool) -> None:
    if not on_postgres:
        pytest.skip("SQLite has no read-only transactions; the replica is PostgreSQL's")
    async with read_only(session_factory) as session:
        assert (await session.scalar(text("SELECT 1"))) == 1
        with pytest.raises(DBAPIError, match="read-only transaction"):
            await session.execute(text("CREATE TEMPORARY TABLE refused (id int)"))
