"""Unsubscribing works from the link without login, once or many times, and a forged
link does nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import DEVELOPMENT_SECRET, Settings
from campaign.outbox.models import Suppression
from campaign.outbox.unsubscribe import unsubscribe_headers, unsubscribe_token


async def _suppressions(factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with factory() as session:
        rows = await session.execute(select(Suppression.email_normalised, Suppression.reason))
        return [tuple(row) for row in rows.all()]


async def test_one_click_unsubscribe_is_idempotent(
    client: httpx.AsyncClient, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    token = unsubscribe_token("Ada.Lovelace+news@Gmail.com", settings.secret_key.get_secret_value())
    page = await client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert '<form method="post"' in page.text
    assert await _suppressions(session_factory) == []  # following the link is not enough

    for _ in range(2):
        answer = await client.post(
            f"/unsubscribe/{token}",
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200
    assert await _suppressions(session_factory) == [("adalovelace@gmail.com", "unsubscribe")]


@pytest.mark.parametrize("token", ["not-a-token", "eyJhIjoxfQ.forged"])
async def test_a_forged_link_does_nothing(
    client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession], token: str
) -> None:
    assert (await client.post(f"/unsubscribe/{token}")).status_code == 404
    assert (await client.get(f"/unsubscribe/{token}")).status_code == 404
    assert await _suppressions(session_factory) == []


def test_a_token_signed_with_another_secret_is_refused(settings: Settings) -> None:
    from campaign.errors import NotFound
    from campaign.outbox.unsubscribe import address_of

    token = unsubscribe_token("ada@example.org", "another secret")
    with pytest.raises(NotFound):
        address_of(token, settings.secret_key.get_secret_value())


@pytest.mark.parametrize(
    ("address", "outbox_id"),
    [
        ("ada@example.org", None),
        ("Zoë.Brown@Example.org", 123456),
        ("b@example.org", 2**62),
        ('"quoted\\back"@example.org', 5),  # characters JSON escapes
    ],
)
def test_tokens_are_those_the_serializer_makes_and_reads(
    address: str, outbox_id: int | None
) -> None:
    """Links already in people's inboxes were made by itsdangerous: the tokens made now
    must be the same, and be read the same way."""
    from itsdangerous import URLSafeSerializer

    from campaign.outbox.unsubscribe import link_of
    from campaign.people.addresses import normalise_email

    serializer = URLSafeSerializer("s3cret", salt="unsubscribe")
    normalised = normalise_email(address)
    payload = normalised if outbox_id is None else [normalised, outbox_id]
    token = unsubscribe_token(address, "s3cret", outbox_id)
    assert token == serializer.dumps(payload)
    link = link_of(token, "s3cret")
    assert (link.address, link.outbox_id) == (normalised, outbox_id)


def test_a_compressed_token_the_serializer_made_is_still_read() -> None:
    from itsdangerous import URLSafeSerializer

    from campaign.outbox.unsubscribe import link_of

    address = "a" * 60 + "@" + "a" * 60 + ".org"
    token = URLSafeSerializer("s3cret", salt="unsubscribe").dumps([address, 7])
    assert token.startswith(".")  # itsdangerous compressed it
    assert link_of(token, "s3cret").address == address


def test_the_one_click_headers_follow_rfc_8058(settings: Settings) -> None:
    headers = unsubscribe_headers("ada@example.org", "https://act.example.org", "s3cret")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<https://act.example.org/unsubscribe/")
    assert headers["List-Unsubscribe"].endswith(">")


@pytest.mark.parametrize("environment", ["production", "test", None])
def test_the_development_secret_is_refused_unless_development_is_said(
    environment: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAMPAIGN_ENVIRONMENT", raising=False)
    said = {} if environment is None else {"environment": environment}
    with pytest.raises(ValueError, match="CAMPAIGN_SECRET_KEY"):
        Settings(secret_key=DEVELOPMENT_SECRET, **said)
    assert Settings(secret_key="a-real-long-random-value", **said)


def test_development_said_in_the_environment_may_use_the_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CAMPAIGN_ENVIRONMENT", "development")
    assert Settings(secret_key=DEVELOPMENT_SECRET).environment == "development"
