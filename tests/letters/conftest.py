"""A small target directory and letter campaigns over it, set up the way staff would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.outbox.models import OutboxMessage
from campaign.targets.models import Official, PostcodeDivision
from campaign.targets.service import normalise_postcode
from tests.conftest import petition_fields

COMMONS = "House of Commons"
RIVERSIDE = "ocd-division/country:gb/constituency:riverside"
HILLSIDE = "ocd-division/country:gb/constituency:hillside"

BODY_TEMPLATE = """Dear {{official_name}},

As your constituent in {{activist_locality}}, I ask you to oppose the Vale dam.
The government must withdraw the permit before construction starts.

Yours sincerely,
{{activist_name}}"""
REQUIRED = "withdraw the permit before construction starts"


OFFICIALS = [
    {
        "external_id": "test:alex-morgan",
        "name": "Alex Morgan",
        "title": "Member of Parliament for Riverside",
        "role": "legislator",
        "organisation": COMMONS,
        "email": "alex.morgan@parliament.example",
        "country": "GB",
        "division_id": RIVERSIDE,
        "party": "Green",
    },
    {
        "external_id": "test:sam-patel",
        "name": "Sam Patel",
        "title": "Member of Parliament for Hillside",
        "role": "legislator",
        "organisation": COMMONS,
        "email": "sam.patel@parliament.example",
        "country": "GB",
        "division_id": HILLSIDE,
        "party": "Labour",
    },
    {
        "external_id": "test:jo-rivers",
        "name": "Jo Rivers",
        "title": "Foreign Secretary",
        "role": "foreign_minister",
        "organisation": "Foreign Office",
        "email": "foreign.secretary@gov.example",
        "country": "GB",
        "division_id": None,
        "party": None,
    },
    {
        "external_id": "test:camille-martin",
        "name": "Camille Martin",
        "title": "Ministre des Affaires étrangères",
        "role": "foreign_minister",
        "organisation": "Ministère des Affaires étrangères",
        "email": "ministre@diplomatie.example",
        "country": "FR",
        "division_id": None,
        "party": None,
    },
]

POSTCODES = [
    ("SW1A 1AA", RIVERSIDE),
    ("N1 9GU", HILLSIDE),
    # On the boundary: both members represent part of it.
    ("E1 6AN", RIVERSIDE),
    ("E1 6AN", HILLSIDE),
]


@pytest.fixture
async def officials(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """The directory: name → id."""
    async with transaction(session_factory) as session:
        for fields in OFFICIALS:
            session.add(Official(**fields, source="written for these tests"))
        for postcode, division in POSTCODES:
            session.add(
                PostcodeDivision(
                    country="GB", postcode=normalise_postcode(postcode), division_id=division
                )
            )
        await session.flush()
        rows = await session.execute(select(Official.name, Official.id))
        return dict(rows.all())


def setup_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "targets": {"kind": "division", "organisation": COMMONS},
        "subject_template": "Please oppose the Vale dam",
        "body_template": BODY_TEMPLATE,
        "min_length": 50,
        "max_length": 2000,
        "required_phrases": [REQUIRED],
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def letter_campaign(
    client: httpx.AsyncClient, editor: dict[str, str], officials: dict[str, int]
) -> Callable[..., Awaitable[str]]:
    """Create, set up and publish a letter campaign; returns its slug."""

    async def create(slug: str = "stop-the-vale-dam", language: str = "en", **setup: Any) -> str:
        fields = petition_fields(
            slug=slug, kind="letter", target="Members of Parliament", language=language
        )
        created = await client.post("/api/v1/staff/campaigns", json=fields, headers=editor)
        assert created.status_code == 201, created.text
        saved = await client.put(
            f"/api/v1/staff/campaigns/{slug}/letter", json=setup_fields(**setup), headers=editor
        )
        assert saved.status_code == 200, saved.text
        published = await client.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)
        assert published.status_code == 200, published.text
        return slug

    return create


def writer(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "country": "GB",
        "postcode": "sw1a 1aa",
        "locality": "Riverside",
        "consent": {"email_updates": False},
    }
    fields.update(overrides)
    return fields


async def outbox(
    factory: async_sessionmaker[AsyncSession], kind: str | None = None
) -> list[OutboxMessage]:
    async with factory() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.scalars(query))
