"""Signing requests that arrive together are written together (signatures/writer.py), and
each is answered as it would be alone: 202 once its submission is committed, the same
answer for all, and a row the database refuses fails only its own request. The API's own
way through the server (api/signing.py) answers as the framework's route does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.signatures.models import SignatureSubmission
from tests.conftest import petition_fields, signer

Factory = async_sessionmaker[AsyncSession]
SLUG = "stop-the-arms-trade"
SIGN = f"/api/v1/campaigns/{SLUG}/signatures"
REFUSED = "refused@example.org"


@pytest.fixture
async def gathering_client(
    settings: Settings, session_factory: Factory, editor: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A server whose writer waits long enough for a burst of requests to meet in one
    batch, however slow the machine running the test."""
    patient = settings.model_copy(
        update={"signing_batch_wait_ms": 50, "sign_rate_limit": "1000000/minute"}
    )
    application = create_app(patient)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.8", 1))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://campaign.test", timeout=60
        ) as client:
            created = await client.post(
                "/api/v1/staff/campaigns", json=petition_fields(), headers=editor
            )
            assert created.status_code == 201, created.text
            published = await client.post(f"/api/v1/staff/campaigns/{SLUG}/publish", headers=editor)
            assert published.status_code == 200, published.text
            yield client


async def _submitted(factory: Factory) -> list[str]:
    async with factory() as session:
        return list(await session.scalars(select(SignatureSubmission.email)))


async def _transactions_that_wrote_them(factory: Factory) -> int:
    # Rows written by one transaction carry its id (PostgreSQL's xmin).
    async with factory() as session:
        found = await session.scalar(
            select(func.count(func.distinct(text("xmin::text")))).select_from(SignatureSubmission)
        )
    return int(found or 0)


async def test_a_burst_of_signatures_is_written_together_and_answered_alike(
    gathering_client: httpx.AsyncClient, session_factory: Factory, on_postgres: bool
) -> None:
    addresses = [f"signer{n}@example.org" for n in range(30)]
    answers = await asyncio.gather(
        *(gathering_client.post(SIGN, json=signer(email=address)) for address in addresses)
    )
    assert {answer.status_code for answer in answers} == {202}
    assert len({answer.content for answer in answers}) == 1
    assert sorted(await _submitted(session_factory)) == sorted(addresses)
    if on_postgres:
        # Two batches in flight at most, so a burst meets in a few transactions.
        assert await _transactions_that_wrote_them(session_factory) < len(addresses) // 2


@pytest.fixture
async def refusing_database(session_factory: Factory, on_postgres: bool) -> AsyncIterator[None]:
    """A trigger that refuses one address as a value the database cannot store, so one row
    of a batch fails the batch's statement."""
    if not on_postgres:
        pytest.skip("a trigger in PL/pgSQL; SQLite writes each submission alone anyway")
    async with session_factory() as session, session.begin():
        await session.execute(
            text(
                "CREATE FUNCTION refuse_one_address() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.email = '{REFUSED}' THEN "
                "RAISE EXCEPTION 'refused' USING ERRCODE = '22023'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        await session.execute(
            text(
                "CREATE TRIGGER refuse_one_address BEFORE INSERT ON signature_submissions "
                "FOR EACH ROW EXECUTE FUNCTION refuse_one_address()"
            )
        )
    try:
        yield
    finally:
        async with session_factory() as session, session.begin():
            await session.execute(text("DROP TRIGGER refuse_one_address ON signature_submissions"))
            await session.execute(text("DROP FUNCTION refuse_one_address()"))


async def test_a_row_the_database_refuses_fails_only_its_own_request(
    refusing_database: None, gathering_client: httpx.AsyncClient, session_factory: Factory
) -> None:
    alone = await gathering_client.post(SIGN, json=signer(email=REFUSED))
    addresses = [f"signer{n}@example.org" for n in range(10)]
    together = await asyncio.gather(
        *(gathering_client.post(SIGN, json=signer(email=address)) for address in addresses),
        gathering_client.post(SIGN, json=signer(email=REFUSED)),
    )
    *accepted, refused = together
    assert {answer.status_code for answer in accepted} == {202}
    # In a batch, the refused row gets the answer it gets alone, and nothing else does.
    assert alone.status_code == 400
    assert (refused.status_code, refused.json()) == (alone.status_code, alone.json())
    assert refused.json()["type"] == "/problems/unstorable-input"
    assert sorted(await _submitted(session_factory)) == sorted(addresses)


def _answer(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    # Every answer has its own request id; nothing else may differ.
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]
    return response.status_code, response.content, sorted(headers)


async def test_the_signing_api_answers_as_the_framework_route_does(
    gathering_client: httpx.AsyncClient, session_factory: Factory
) -> None:
    # A JSON subtype other than application/json is handed on to the framework's route,
    # which reads it as JSON all the same: the two ways must not be told apart.
    as_json = await gathering_client.post(SIGN, json=signer(email="one@example.org"))
    routed = await gathering_client.post(
        SIGN,
        content=httpx.Request("POST", "/", json=signer(email="two@example.org")).content,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert as_json.status_code == 202
    assert _answer(as_json) == _answer(routed)
    assert sorted(await _submitted(session_factory)) == ["one@example.org", "two@example.org"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (signer(email="not-an-address"), 422, "email"),
        ({**signer(), "consent": {}}, 422, "consent.email_updates"),
        ({**signer(), "extra": 1}, 422, "extra"),
    ],
)
async def test_refused_input_is_answered_the_same_both_ways(
    gathering_client: httpx.AsyncClient,
    session_factory: Factory,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    as_json = await gathering_client.post(SIGN, json=body)
    routed = await gathering_client.post(
        SIGN,
        content=httpx.Request("POST", "/", json=body).content,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert as_json.status_code == status
    assert as_json.json()["field"] == field
    assert _answer(as_json) == _answer(routed)
    assert await _submitted(session_factory) == []


async def test_a_closed_petition_is_refused_by_the_statement_that_writes(
    gathering_client: httpx.AsyncClient, session_factory: Factory
) -> None:
    # Closed behind the cache's back: the cached copy still says published, the
    # database does not, and the request is refused with nothing written.
    assert (await gathering_client.post(SIGN, json=signer())).status_code == 202
    async with session_factory() as session, session.begin():
        await session.execute(text(f"UPDATE campaigns SET state = 'closed' WHERE slug = '{SLUG}'"))
    answers = await asyncio.gather(
        *(gathering_client.post(SIGN, json=signer(email=f"late{n}@example.org")) for n in range(5))
    )
    assert {answer.status_code for answer in answers} == {409}
    assert {answer.json()["field"] for answer in answers} == {"slug"}
    assert await _submitted(session_factory) == ["ada@example.org"]
