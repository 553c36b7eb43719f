"""Shared fixtures: the migrated database, the real app over HTTP, staff tokens."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.db import create_engine, create_session_factory, transaction
from campaign.signatures.submissions import resolve_due_submissions
from campaign.staff.models import Role
from campaign.staff.service import create_token
from emails.worker import OutboxWorker
from tests.fixtures.browser import CHROMIUM, NO_CHROMIUM
from tests.fixtures.database import (
    build_schema,
    database_url_for_tests,
    empty_all_tables,
    is_postgres,
)
from tests.fixtures.emails import read_emails

# A secret of the suite's own, for every Settings the tests make and every server they
# start: the development placeholder is refused outside an explicit development.
os.environ.setdefault("CAMPAIGN_SECRET_KEY", "test-suite-" + os.urandom(16).hex())


def pytest_runtest_setup(item: pytest.Item) -> None:
    """The PostgreSQL pass runs the tests that use the database. It leaves to the SQLite
    pass the tests that start their own server, which run it on SQLite (see
    tests/fixtures/browser.py), and the tests that use no database at all, which would
    only run again what the SQLite pass runs."""
    if is_postgres(os.environ.get("CAMPAIGN_TEST_DATABASE_URL", "")):
        if item.get_closest_marker("browser") or item.get_closest_marker("own_server"):
            pytest.skip("starts its own server on SQLite: run in the SQLite pass")
        if "database_url" not in getattr(item, "fixturenames", ()):
            pytest.skip("uses no database: run in the SQLite pass")
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = database_url_for_tests(tmp_path_factory.mktemp("db"))
    build_schema(url)
    return url


@pytest.fixture
def on_postgres(database_url: str) -> bool:
    return is_postgres(database_url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        email_backend="file",
        email_file_dir=tmp_path / "outbox",
        run_worker_in_process=False,
        sign_rate_limit="1000/minute",
        public_url="http://campaign.test",
        database_pool_size=20,
        database_max_overflow=20,
        # Counts read right after a write; tests/metrics covers the cache itself.
        public_count_cache_seconds=0,
    )


@pytest.fixture
async def session_factory(
    settings: Settings,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings)
    try:
        yield create_session_factory(engine)
    finally:
        await empty_all_tables(engine)
        await engine.dispose()


@pytest.fixture
async def app(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> Any:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as client:
        yield client


async def _token_headers(factory: async_sessionmaker[AsyncSession], role: Role) -> dict[str, str]:
    async with transaction(factory) as session:
        _token, secret = await create_token(session, name=f"test {role.value}", role=role)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def admin(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    return await _token_headers(session_factory, Role.ADMIN)


@pytest.fixture
async def editor(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    return await _token_headers(session_factory, Role.EDITOR)


@pytest.fixture
async def viewer(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    return await _token_headers(session_factory, Role.VIEWER)


def petition_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "slug": "stop-the-arms-trade",
        "title": "Stop arms transfers that fuel war crimes",
        "summary": "All states must halt arms transfers where they risk serious violations.",
        "body_markdown": "States **must** halt arms transfers.\n\n- now\n- for good",
        "target": "All states",
        "signature_goal": 1000,
        "language": "en",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def publish_petition(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def publish(**overrides: Any) -> dict[str, Any]:
        created = await client.post(
            "/api/v1/staff/campaigns", json=petition_fields(**overrides), headers=editor
        )
        assert created.status_code == 201, created.text
        slug = created.json()["slug"]
        published = await client.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)
        assert published.status_code == 200, published.text
        return dict(published.json())

    return publish


def signer(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "country": "GB",
        "postcode": "N1 9GU",
        "consent": {"email_updates": True},
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def deliver_emails(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> Callable[[], Awaitable[list[Any]]]:
    """Run the real outbox worker once and return every email written so far."""

    async def deliver() -> list[Any]:
        worker = OutboxWorker(session_factory, settings)
        await worker.send_due_messages()
        return read_emails(settings.email_file_dir)

    return deliver


@pytest.fixture
def settle_submissions(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> Callable[[], Awaitable[None]]:
    """Resolve the signatures submitted so far (a signing request only records a
    submission) with the outbox worker's own first step, so a test can read signatures
    and counts. The emails they queue stay queued until deliver_emails sends them."""

    async def settle() -> None:
        await resolve_due_submissions(session_factory, settings)

    return settle
