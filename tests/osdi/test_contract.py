"""The OSDI API's contract, through the real app on both databases: HAL shapes as
OSDI's documented examples have them, tokens and roles, paging as Action Network pages
(past the end, capped per_page, read by key at depth), and the date filters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.osdi.models import PageMark
from campaign.people.models import Person
from campaign.signatures.models import Signature

HAL = "application/hal+json"


def osdi(headers: dict[str, str]) -> dict[str, str]:
    """The OSDI header, from the suite's `Authorization: Bearer` token headers."""
    return {"OSDI-API-Token": headers["Authorization"].removeprefix("Bearer ")}


def person_body(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "person": {
            "given_name": "Signer",
            "family_name": f"Number {n}",
            "email_addresses": [{"address": f"signer{n}@example.org", **extra}],
            "postal_addresses": [{"country": "GB", "postal_code": "N1 9GU"}],
        }
    }


async def _insert_signatures(
    factory: async_sessionmaker[AsyncSession], campaign_id: int, count: int, start: datetime
) -> None:
    """`count` people with one signature each, a second apart, written directly: the
    paging is under test here, not the signing flow."""
    async with transaction(factory) as session:
        ids = (
            await session.scalars(
                insert(Person).returning(Person.id).execution_options(render_nulls=True),
                [
                    {
                        "email_normalised": f"bulk{n}@example.org",
                        "email": f"bulk{n}@example.org",
                        "given_name": "Bulk",
                        "family_name": str(n),
                        "country": "GB",
                        "postcode": None,
                        "custom_fields": {},
                        "created_at": start + timedelta(seconds=n),
                        "modified_at": start + timedelta(seconds=n),
                    }
                    for n in range(count)
                ],
            )
        ).all()
        await session.execute(
            insert(Signature),
            [
                {
                    "campaign_id": campaign_id,
                    "person_id": person_id,
                    "status": "confirmed",
                    "email": f"bulk{n}@example.org",
                    "given_name": "Bulk",
                    "family_name": str(n),
                    "country": "GB",
                    "email_updates": False,
                    "channel": "api",
                    "emails_sent": 1,
                    "created_at": start + timedelta(seconds=n),
                    "modified_at": start + timedelta(seconds=n),
                }
                for n, person_id in enumerate(ids)
            ],
        )


async def test_the_entry_point_links_every_collection(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    answer = await client.get("/osdi/v1", headers=osdi(viewer))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(HAL)
    links = answer.json()["_links"]
    for rel in (
        "self",
        "osdi:people",
        "osdi:petitions",
        "osdi:advocacy_campaigns",
        "osdi:fundraising_pages",
        "osdi:donations",
        "osdi:tags",
    ):
        assert links[rel]["href"].startswith("http://campaign.test/osdi/v1"), rel
    assert links["curies"][0]["name"] == "osdi"


@pytest.mark.parametrize("headers", [{}, {"OSDI-API-Token": "cmp_not-a-real-token"}])
async def test_a_missing_or_wrong_token_is_a_401(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await client.get("/osdi/v1/people", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_viewer_token_cannot_write(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    petition = await publish_petition()
    for path, body in (
        ("/osdi/v1/people", person_body(1)),
        (f"/osdi/v1/petitions/{petition['id']}/signatures", person_body(1)),
        ("/osdi/v1/tags", {"name": "nope"}),
    ):
        answer = await client.post(path, json=body, headers=osdi(viewer))
        assert answer.status_code == 403, path


async def test_a_recorded_signature_has_the_documented_shape(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    petition = await publish_petition()
    body = person_body(7) | {
        "comments": "Please stop!",
        "referrer_data": {"source": "newsletter", "website": "https://example.org/story"},
        "add_tags": ["wetlands"],
    }
    path = f"/osdi/v1/petitions/{petition['id']}/signatures"
    first = await client.post(path, json=body, headers=osdi(editor))
    assert first.status_code == 201, first.text
    signature = first.json()
    assert signature["identifiers"][1].startswith("action_network:")
    assert signature["comments"] == "Please stop!"
    assert signature["referrer_data"] == {
        "source": "newsletter",
        "website": "https://example.org/story",
    }
    assert signature["status"] == "pending"
    for rel in ("self", "osdi:petition", "osdi:person"):
        assert signature["_links"][rel]["href"].startswith("http://campaign.test/osdi/v1/")
    for stamp in ("created_date", "modified_date", "action_date"):
        datetime.strptime(signature[stamp], "%Y-%m-%dT%H:%M:%SZ")

    again = await client.post(path, json=body, headers=osdi(editor))
    assert again.status_code == 200
    assert again.json()["identifiers"] == signature["identifiers"]
    emails = await deliver_emails()
    assert [str(e["To"]) for e in emails].count("Signer Number 7 <signer7@example.org>") == 2

    person = await client.get(signature["_links"]["osdi:person"]["href"], headers=osdi(editor))
    assert person.json()["email_addresses"][0] == {
        "primary": True,
        "address": "signer7@example.org",
        "status": "unsubscribed",
    }
    tags = await client.get("/osdi/v1/tags", headers=osdi(editor))
    assert [t["name"] for t in tags.json()["_embedded"]["osdi:tags"]] == ["wetlands"]


async def test_without_the_autoresponse_no_email_is_sent(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    petition = await publish_petition()
    body = person_body(3) | {"triggers": {"autoresponse": {"enabled": False}}}
    answer = await client.post(
        f"/osdi/v1/petitions/{petition['id']}/signatures", json=body, headers=osdi(editor)
    )
    assert answer.status_code == 201
    assert await deliver_emails() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "person"),
        (
            {"person": {"email_addresses": [{"address": "not an address"}]}},
            "person.email_addresses.0.address",
        ),
        (
            person_body(1) | {"person": {**person_body(1)["person"], "postal_addresses": []}},
            "person.postal_addresses.0.country",
        ),
    ],
)
async def test_a_signature_without_what_it_needs_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    body: dict[str, Any],
    field: str,
) -> None:
    petition = await publish_petition()
    answer = await client.post(
        f"/osdi/v1/petitions/{petition['id']}/signatures", json=body, headers=osdi(editor)
    )
    assert 400 <= answer.status_code < 500, answer.text
    problem = answer.json()
    named = problem.get("field") or " ".join(e["field"] for e in problem.get("errors", []))
    assert field in named, problem


async def test_signup_never_subscribes_an_address_that_unsubscribed(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    from campaign.outbox.models import Suppression

    unsubscribed = await client.post(
        "/osdi/v1/people", json=person_body(5, status="unsubscribed"), headers=osdi(editor)
    )
    assert unsubscribed.status_code == 201
    async with transaction(session_factory) as session:
        session.add(Suppression(email_normalised="signer5@example.org", reason="unsubscribe"))
    resubscribed = await client.post(
        "/osdi/v1/people", json=person_body(5, status="subscribed"), headers=osdi(editor)
    )
    assert resubscribed.status_code == 200
    assert resubscribed.json()["email_addresses"][0]["status"] == "unsubscribed"
    subscribed = await client.post(
        "/osdi/v1/people", json=person_body(6, status="subscribed"), headers=osdi(editor)
    )
    assert subscribed.json()["email_addresses"][0]["status"] == "subscribed"


async def test_pages_walk_by_key_to_the_end_and_past_it(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    petition = await publish_petition()
    await _insert_signatures(session_factory, petition["id"], 260, datetime(2026, 1, 1, tzinfo=UTC))
    path = f"/osdi/v1/petitions/{petition['id']}/signatures"
    seen: list[str] = []
    page = 1
    while True:
        # per_page over 25 is served as 25, not refused.
        answer = await client.get(
            path, params={"page": page, "per_page": 100}, headers=osdi(viewer)
        )
        assert answer.status_code == 200
        body = answer.json()
        rows = body["_embedded"]["osdi:signatures"]
        if not rows:
            break
        assert body["per_page"] == 25 and body["total_records"] == 260 and body["total_pages"] == 11
        assert ("next" in body["_links"]) == (page < 11)
        seen.extend(row["identifiers"][0] for row in rows)
        page += 1
    assert page == 12  # page 12, past the end, answered an empty list
    assert len(seen) == len(set(seen)) == 260
    async with session_factory() as session:
        marks = await session.scalar(select(func.count()).select_from(PageMark))
    assert marks == 10  # pages 2 to 11 each started from a mark

    # A page asked for out of order, with no mark, is the same rows.
    deep = await client.get(path, params={"page": 9, "per_page": 10}, headers=osdi(viewer))
    ids = [row["identifiers"][0] for row in deep.json()["_embedded"]["osdi:signatures"]]
    assert ids == seen[80:90]


async def test_date_filters_select_and_order_by_that_date(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    petition = await publish_petition()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    await _insert_signatures(session_factory, petition["id"], 60, start)
    path = f"/osdi/v1/petitions/{petition['id']}/signatures"

    async def dates(filter_text: str) -> list[str]:
        found: list[str] = []
        for page in (1, 2, 3, 4):
            answer = await client.get(
                path, params={"filter": filter_text, "page": page}, headers=osdi(viewer)
            )
            assert answer.status_code == 200, answer.text
            found.extend(r["modified_date"] for r in answer.json()["_embedded"]["osdi:signatures"])
        return found

    after = await dates("modified_date gt '2026-03-01T00:00:29Z'")
    assert len(after) == 30 and after == sorted(after) and after[0] == "2026-03-01T00:00:30Z"
    assert len(await dates("created_date lt '2026-03-01T00:00:10Z'")) == 10
    assert len(await dates("modified_date eq '2026-03-01'")) == 60
    assert await dates("modified_date gt '2026-03-02'") == []
    both = await dates(
        "modified_date gt '2026-03-01T00:00:09Z' and modified_date lt '2026-03-01T00:00:20Z'"
    )
    assert len(both) == 10


@pytest.mark.parametrize(
    "filter_text",
    [
        "given_name eq 'Ada'",
        "modified_date ge '2026-01-01'",
        "modified_date gt 'yesterday'",
        "modified_date gt '2026-13-01'",
        "modified_date gt '2026-01-01' or created_date lt '2026-02-01'",
    ],
)
async def test_an_unsupported_filter_is_a_400_naming_it(
    client: httpx.AsyncClient, viewer: dict[str, str], filter_text: str
) -> None:
    answer = await client.get(
        "/osdi/v1/people", params={"filter": filter_text}, headers=osdi(viewer)
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "filter"
