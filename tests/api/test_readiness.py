"""/readyz asks Redis too when the limits are kept there: 503 naming `redis` while it
does not answer, like the database. Redis runs on 127.0.0.1:6379; "away" is a closed
port."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from campaign.config import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once it is closed


async def _readiness(settings: Settings, redis_url: str | None) -> httpx.Response:
    app = create_app(settings.model_copy(update={"redis_url": redis_url}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/readyz")


@pytest.fixture
async def _database(session_factory: Any) -> AsyncIterator[None]:
    yield  # the migrated database, emptied afterwards


@pytest.mark.usefixtures("_database")
async def test_without_redis_configured_only_the_database_is_asked(settings: Settings) -> None:
    answer = await _readiness(settings, None)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.usefixtures("_database")
async def test_a_redis_that_answers_is_ready(settings: Settings) -> None:
    answer = await _readiness(settings, REDIS_URL)
    assert answer.status_code == 200
    assert answer.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.usefixtures("_database")
async def test_a_redis_that_is_away_is_a_503_naming_it(settings: Settings) -> None:
    answer = await _readiness(settings, f"redis://127.0.0.1:{_closed_port()}/0")
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0
    body = answer.json()
    assert body["checks"] == {"database": "ok", "redis": "unavailable"}
    assert "redis" in body["detail"]
    assert "database" not in body["detail"]
