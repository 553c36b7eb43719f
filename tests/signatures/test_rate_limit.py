"""The signing limits, per client network, per campaign and per email domain: over any of
them the answer is unchanged and the signature is held as fraudulent, never counted, with
no email. Only accepted signatures count: a refused request uses none of the limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.letters.models import Letter
from campaign.signatures.models import Signature
from emails.worker import OutboxWorker
from tests.conftest import petition_fields, signer
from tests.fixtures.emails import read_emails
from tests.letters.conftest import officials, setup_fields, writer

__all__ = ["officials"]  # the fixture, imported for the letter test

SIGN = "/api/v1/campaigns/stop-the-arms-trade/signatures"
Factory = async_sessionmaker[AsyncSession]
LimitedApp = Callable[..., Any]


@pytest.fixture
async def limited_app(settings: Settings, session_factory: Factory) -> AsyncIterator[LimitedApp]:
    """Starts the real app with the limits given (the others left wide open)."""

    @asynccontextmanager
    async def start(**limits: str) -> AsyncIterator[Any]:
        wide_open = {
            "sign_rate_limit": "1000/minute",
            "sign_campaign_rate_limit": "1000/minute",
            "sign_domain_rate_limit": "1000/minute",
        }
        application = create_app(settings.model_copy(update=wide_open | limits))
        async with application.router.lifespan_context(application):
            yield application

    yield start


def _client(app: Any, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://campaign.test")


async def _publish(app: Any, editor: dict[str, str], slug: str = "stop-the-arms-trade") -> None:
    async with _client(app, "192.0.2.200") as staff:
        created = await staff.post(
            "/api/v1/staff/campaigns", json=petition_fields(slug=slug), headers=editor
        )
        assert created.status_code == 201, created.text
        published = await staff.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)
        assert published.status_code == 200, published.text


async def _sign(app: Any, ip: str, **fields: Any) -> httpx.Response:
    async with _client(app, ip) as client:
        answer = await client.post(SIGN, json=signer(**fields))
    return answer


async def _settle(factory: Factory, settings: Settings) -> list[Any]:
    """One real worker pass: resolves the submissions and sends their emails."""
    await OutboxWorker(factory, settings).send_due_messages()
    return read_emails(settings.email_file_dir)


async def _statuses(factory: Factory) -> dict[str, str]:
    async with factory() as session:
        rows = await session.execute(select(Signature.email, Signature.status))
        return {email: status for email, status in rows}


async def test_signatures_over_the_limit_are_held_silently(
    limited_app: LimitedApp, editor: dict, session_factory: Factory, settings: Settings
) -> None:
    async with limited_app(sign_rate_limit="3/hour") as app:
        await _publish(app, editor)
        answers = [await _sign(app, "198.51.100.1", email=f"p{n}@example.org") for n in range(5)]
        assert {(a.status_code, a.text) for a in answers} == {(202, answers[0].text)}
        emails = await _settle(session_factory, settings)
        assert sorted((await _statuses(session_factory)).items()) == [
            ("p0@example.org", "pending"),
            ("p1@example.org", "pending"),
            ("p2@example.org", "pending"),
            ("p3@example.org", "fraudulent"),
            ("p4@example.org", "fraudulent"),
        ]
        assert len(emails) == 3
        async with _client(app, "198.51.100.1") as client:
            staff = await client.get("/api/v1/staff/campaigns/stop-the-arms-trade", headers=editor)
        assert staff.json()["counts"] == {
            "confirmed": 0,
            "pending": 3,
            "fraudulent": 2,
            "invalidated": 0,
        }

        # Another client is not affected by the first one's limit.
        await _sign(app, "198.51.100.2", email="p9@example.org")
        await _settle(session_factory, settings)
        assert (await _statuses(session_factory))["p9@example.org"] == "pending"


async def test_a_held_signature_can_still_be_made_within_the_limit(
    limited_app: LimitedApp, editor: dict, session_factory: Factory, settings: Settings
) -> None:
    async with limited_app(sign_rate_limit="3/hour") as app:
        await _publish(app, editor)
        for n in range(3):
            await _sign(app, "198.51.100.1", email=f"p{n}@example.org")
        await _sign(app, "198.51.100.1", email="victim@example.org")
        await _settle(session_factory, settings)
        assert (await _statuses(session_factory))["victim@example.org"] == "fraudulent"

        await _sign(app, "198.51.100.2", email="victim@example.org")
        emails = await _settle(session_factory, settings)
    assert (await _statuses(session_factory))["victim@example.org"] == "pending"
    assert emails[-1]["To"].addresses[0].addr_spec == "victim@example.org"


async def test_refused_requests_do_not_use_the_limit(
    limited_app: LimitedApp,
    editor: dict,
    session_factory: Factory,
    settings: Settings,
) -> None:
    """Someone who mistyped 25 times is still a person, not a flood."""
    async with limited_app(sign_rate_limit="3/hour") as app:
        await _publish(app, editor)
        for _ in range(25):
            mistyped = await _sign(app, "198.51.100.1", email="ada@example..org")
            assert mistyped.status_code == 422
        for _ in range(5):
            no_consent = await _sign(app, "198.51.100.1", consent={})
            assert no_consent.status_code == 422
        answer = await _sign(app, "198.51.100.1")
        assert answer.status_code == 202
        [email] = await _settle(session_factory, settings)
    assert email["To"].addresses[0].addr_spec == "ada@example.org"
    assert "confirm" in email["Subject"]
    assert await _statuses(session_factory) == {"ada@example.org": "pending"}


async def test_refusals_by_the_campaigns_rules_do_not_use_the_limit(
    limited_app: LimitedApp, editor: dict, session_factory: Factory, settings: Settings
) -> None:
    async with limited_app(sign_rate_limit="2/hour") as app:
        async with _client(app, "192.0.2.200") as staff:
            fields = petition_fields(postcode_mode="required")
            await staff.post("/api/v1/staff/campaigns", json=fields, headers=editor)
            draft = await staff.post(
                "/api/v1/campaigns/stop-the-arms-trade/signatures", json=signer()
            )
            assert draft.status_code == 404
            await staff.post("/api/v1/staff/campaigns/stop-the-arms-trade/publish", headers=editor)
        for _ in range(5):
            no_postcode = await _sign(app, "198.51.100.1", postcode=None)
            assert no_postcode.status_code == 422
            assert no_postcode.json()["field"] == "postcode"
        await _sign(app, "198.51.100.1", email="one@example.org")
        await _sign(app, "198.51.100.1", email="two@example.org")
        await _settle(session_factory, settings)
    assert set((await _statuses(session_factory)).values()) == {"pending"}


async def test_ipv6_addresses_in_one_64_share_a_limit(
    limited_app: LimitedApp, editor: dict, session_factory: Factory, settings: Settings
) -> None:
    async with limited_app(sign_rate_limit="2/hour") as app:
        await _publish(app, editor)
        await _sign(app, "2001:db8:1:2::1", email="a@example.org")
        await _sign(app, "2001:db8:1:2:ffff:ffff:ffff:fffe", email="b@example.org")
        # Same /64, a third address in it: over the limit.
        await _sign(app, "2001:db8:1:2:abcd::9", email="c@example.org")
        # The neighbouring /64 is another client.
        await _sign(app, "2001:db8:1:3::1", email="d@example.org")
        await _settle(session_factory, settings)
    assert await _statuses(session_factory) == {
        "a@example.org": "pending",
        "b@example.org": "pending",
        "c@example.org": "fraudulent",
        "d@example.org": "pending",
    }


async def test_a_campaign_has_a_limit_across_all_clients(
    limited_app: LimitedApp, editor: dict, session_factory: Factory, settings: Settings
) -> None:
    async with limited_app(sign_campaign_rate_limit="3/minute") as app:
        await _publish(app, editor)
        await _publish(app, editor, slug="another-petition")
        for n in range(5):
            await _sign(app, f"198.51.100.{n + 1}", email=f"p{n}@example.org")
        async with _client(app, "198.51.100.99") as client:
            other = await client.post(
                "/api/v1/campaigns/another-petition/signatures", json=signer()
            )
        assert other.status_code == 202
        await _settle(session_factory, settings)
    statuses = await _statuses(session_factory)
    assert [statuses[f"p{n}@example.org"] for n in range(5)] == ["pending"] * 3 + ["fraudulent"] * 2
    assert statuses["ada@example.org"] == "pending"  # the other petition's limit is its own


async def test_an_email_domain_has_a_limit_within_a_campaign(
    limited_app: LimitedApp, editor: dict, session_factory: Factory, settings: Settings
) -> None:
    async with limited_app(sign_domain_rate_limit="2/minute") as app:
        await _publish(app, editor)
        for n, address in enumerate(
            ["a@catch-all.example", "B@Catch-All.example", "c@catch-all.example", "d@example.net"]
        ):
            await _sign(app, f"198.51.100.{n + 1}", email=address)
        await _settle(session_factory, settings)
    assert await _statuses(session_factory) == {
        "a@catch-all.example": "pending",
        "B@catch-all.example": "pending",
        "c@catch-all.example": "fraudulent",
        "d@example.net": "pending",
    }


async def test_refused_letters_do_not_use_the_limit(
    limited_app: LimitedApp,
    editor: dict,
    session_factory: Factory,
    officials: dict[str, int],
) -> None:
    slug = "stop-the-vale-dam"
    async with limited_app(sign_rate_limit="2/hour") as app:
        async with _client(app, "192.0.2.200") as staff:
            fields = petition_fields(slug=slug, kind="letter", target="Members of Parliament")
            await staff.post("/api/v1/staff/campaigns", json=fields, headers=editor)
            saved = await staff.put(
                f"/api/v1/staff/campaigns/{slug}/letter", json=setup_fields(), headers=editor
            )
            assert saved.status_code == 200, saved.text
            await staff.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)
        async with _client(app, "198.51.100.1") as client:
            letters = f"/api/v1/campaigns/{slug}/letters"
            for _ in range(5):
                # Refused by the body check, and by the officials look-up further on.
                assert (await client.post(letters, json=writer(email="x@"))).status_code == 422
                nobody = await client.post(letters, json=writer(postcode="ZZ9 9ZZ"))
                assert nobody.status_code == 422, nobody.text
            for n in range(3):
                written = await client.post(letters, json=writer(email=f"w{n}@example.org"))
                assert written.status_code == 202, written.text
    async with session_factory() as session:
        statuses = list(await session.scalars(select(Letter.status).order_by(Letter.id)))
    # Only the three letters written count: the third is over the limit of 2.
    assert statuses == ["pending", "pending", "held"]
