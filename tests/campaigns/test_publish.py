"""Publishing and closing through the API's verbs: a campaign never published is never
public, even once closed; one guard for letter campaigns, and the letter's consent
recorded with where it was written; the migration's backfill of when campaigns were
first published. The dashboard's confirmation pages: tests/dashboard/test_editor_publish.py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.cache import SignableCampaignCache
from campaign.consents.models import ConsentRecord
from campaign.errors import NotFound
from campaign.migrate import alembic_config, upgrade_database
from tests.conftest import petition_fields, signer
from tests.letters.conftest import letter_campaign, officials, setup_fields, writer  # noqa: F401
from tests.pages.forms import form_token
from tests.test_migrations import _run_on, scratch_url  # noqa: F401

STAFF_API = "/api/v1/staff/campaigns"


async def _create(client: httpx.AsyncClient, editor: dict[str, str], **fields: Any) -> str:
    created = await client.post(STAFF_API, json=petition_fields(**fields), headers=editor)
    assert created.status_code == 201, created.text
    return str(created.json()["slug"])


async def _read(client: httpx.AsyncClient, editor: dict[str, str], slug: str) -> dict[str, Any]:
    return dict((await client.get(f"{STAFF_API}/{slug}", headers=editor)).json())


# -- The rule: never published, never public ------------------------------------------------


async def test_a_draft_closed_without_publishing_is_never_public(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await _create(client, editor, slug="never-shown")
    closed = await client.post(f"{STAFF_API}/{slug}/close", headers=editor)
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    assert closed.json()["first_published_at"] is None

    assert (await client.get(f"/c/{slug}")).status_code == 404
    assert (await client.get(f"/embed/{slug}")).status_code == 404
    assert (await client.get(f"/api/v1/campaigns/{slug}")).status_code == 404
    signed = await client.post(f"/api/v1/campaigns/{slug}/signatures", json=signer())
    assert signed.status_code == 404
    options = await client.get(f"/api/v1/campaigns/{slug}/donations/options")
    assert options.status_code == 404
    # The signing path's cache asks the same question.
    async with session_factory() as session:
        with pytest.raises(NotFound):
            await SignableCampaignCache().get(session, slug)
    # And it cannot be published afterwards.
    again = await client.post(f"{STAFF_API}/{slug}/publish", headers=editor)
    assert again.status_code == 409


async def test_a_campaign_closed_after_publishing_stays_readable(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    slug = await _create(client, editor, slug="was-open")
    published = (await client.post(f"{STAFF_API}/{slug}/publish", headers=editor)).json()
    assert published["first_published_at"] == published["published_at"] is not None
    closed = (await client.post(f"{STAFF_API}/{slug}/close", headers=editor)).json()
    assert closed["first_published_at"] == published["first_published_at"]

    page = await client.get(f"/c/{slug}")
    assert page.status_code == 200
    assert "This petition is closed" in page.text
    assert (await client.get(f"/api/v1/campaigns/{slug}")).json()["state"] == "closed"
    signed = await client.post(f"/api/v1/campaigns/{slug}/signatures", json=signer())
    assert signed.status_code == 409


# -- The letter's consent keeps its channel --------------------------------------------------


async def test_a_letter_s_consent_is_recorded_with_where_it_was_written(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],  # noqa: F811
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    slug = await letter_campaign()
    written = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer())
    assert written.status_code == 202, written.text
    page = await client.get(f"/c/{slug}", params={"country": "GB", "postcode": "SW1A 1AA"})
    form = {
        "form_token": form_token(page.text),
        "country": "GB",
        "postcode": "SW1A 1AA",
        "subject": "Please oppose the Vale dam",
        "body": setup_fields()["body_template"] + "\n\nFrom the page.",
        "given_name": "Grace",
        "family_name": "Hopper",
        "email": "grace@example.org",
        "locality": "Riverside",
        "email_updates": "yes",
    }
    sent = await client.post(f"/c/{slug}/letter", data=form)
    assert sent.status_code == 303, sent.text
    async with session_factory() as session:
        records = await session.scalars(select(ConsentRecord).order_by(ConsentRecord.id))
        assert [(r.channel, r.granted) for r in records] == [("api", False), ("web", True)]


async def test_the_letter_guard_tells_a_petition_from_a_closed_letter(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    letter_campaign: Callable[..., Awaitable[str]],  # noqa: F811
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    petition = await publish_petition(slug="a-petition")
    lookup = {"country": "GB", "postcode": "SW1A 1AA"}
    for path in (f"/api/v1/campaigns/{petition['slug']}/officials",):
        answer = await client.get(path, params=lookup)
        assert answer.status_code == 404 and answer.json()["field"] == "slug"
    letter = await client.post(f"/api/v1/campaigns/{petition['slug']}/letters", json=writer())
    assert letter.status_code == 404
    slug = await letter_campaign()
    await client.post(f"{STAFF_API}/{slug}/close", headers=editor)
    closed = await client.get(f"/api/v1/campaigns/{slug}/officials", params=lookup)
    assert closed.status_code == 409
    assert closed.json()["detail"] == "this campaign is not taking letters"
    page_post = await client.post(f"/c/{slug}/letter", data={"form_token": "x"})
    assert page_post.status_code == 409


# -- The migration's backfill ------------------------------------------------------------------

BEFORE_EDITOR_FIELDS = "b82d1f6e3c24"
EDITOR_FIELDS = "c93e2a7f4d35"
_WHEN = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_first_publication_is_backfilled_from_when_campaigns_were_published(
    scratch_url: str,  # noqa: F811
) -> None:
    upgrade_database(scratch_url, BEFORE_EDITOR_FIELDS)
    statements = [
        "INSERT INTO consent_texts (id, purpose, language, version, text, created_at)"
        " VALUES (1, 'email_updates', 'en', 1, 'Yes?', :when)"
    ]
    # (slug, state, published_at): a draft, an open campaign, one closed after being
    # open, and one closed straight from draft.
    rows = [
        ("draft", "draft", None),
        ("open", "published", _WHEN),
        ("closed-after", "closed", _WHEN),
        ("closed-draft", "closed", None),
    ]
    for number, (slug, state, published) in enumerate(rows, start=1):
        when = ":when" if published else "NULL"
        statements.append(
            "INSERT INTO campaigns (id, kind, slug, title, summary, body_markdown, target,"
            " language, state, postcode_mode, consent_text_id, created_at, updated_at,"
            f" published_at) VALUES ({number}, 'petition', '{slug}', 'T', 'S', 'B', 'X', 'en',"
            f" '{state}', 'optional', 1, :when, :when, {when})"
        )
    asyncio.run(_run_on(scratch_url, *statements, params={"when": _WHEN}))

    upgrade_database(scratch_url, EDITOR_FIELDS)
    found = asyncio.run(
        _run_on(
            scratch_url,
            "SELECT slug, first_published_at IS NOT NULL, share_text FROM campaigns ORDER BY id",
        )
    )
    assert [tuple(row) for row in found] == [
        ("draft", False, None),
        ("open", True, None),
        ("closed-after", True, None),
        ("closed-draft", False, None),
    ]
    command.downgrade(alembic_config(scratch_url), BEFORE_EDITOR_FIELDS)
    upgrade_database(scratch_url)
