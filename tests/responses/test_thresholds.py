"""A petition's thresholds: staff who can edit are emailed once when the confirmed count
reaches one, by the worker's housekeeping job, whatever the number of passes or workers;
the count is the one the public page shows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.metrics.rollup import update_rollups
from campaign.outbox.models import EmailKind, OutboxMessage
from campaign.responses.thresholds import notify_reached_thresholds
from campaign.staff.models import Role
from campaign.staff.schemas import StaffInvitation, StaffUserCreate
from campaign.staff.users import add_user, create_user, deactivate_user
from tests.conftest import petition_fields, signer
from tests.fixtures.emails import confirmation_path, text_body

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]
Factory = async_sessionmaker[AsyncSession]
SLUG = "stop-the-arms-trade"
THRESHOLDS = f"/api/v1/staff/campaigns/{SLUG}/thresholds"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


async def _staff(factory: Factory) -> None:
    """Who can edit and is active (told), and who is not (never told)."""
    async with transaction(factory) as session:
        for email, role in [
            ("editor@example.org", Role.EDITOR),
            ("admin@example.org", Role.ADMIN),
            ("viewer@example.org", Role.VIEWER),
            ("gone@example.org", Role.EDITOR),
        ]:
            data = StaffUserCreate(email=email, name="Staff", role=role, password=PASSWORD)
            user = await create_user(session, data)
            if email.startswith("gone"):
                await deactivate_user(session, user)
        invited = StaffInvitation(email="invited@example.org", name="New", role=Role.ADMIN)
        await add_user(session, invited, password_hash=None)


async def _sign(
    client: httpx.AsyncClient, deliver: Deliver, *addresses: str, confirm: bool
) -> None:
    for address in addresses:
        answer = await client.post(
            f"/api/v1/campaigns/{SLUG}/signatures", json=signer(email=address)
        )
        assert answer.status_code == 202, answer.text
    emails = await deliver()
    if confirm:
        for address in addresses:
            [email] = [e for e in emails if address in str(e["To"])]
            assert (await client.get(confirmation_path(email))).status_code == 200


async def _notify(factory: Factory, now: datetime = NOW) -> int:
    async with transaction(factory) as session:
        return await notify_reached_thresholds(session, now=now, public_url="http://campaign.test")


async def _told(factory: Factory) -> list[str]:
    async with factory() as session:
        result = await session.scalars(
            select(OutboxMessage.to_address)
            .where(OutboxMessage.kind == EmailKind.THRESHOLD_REACHED)
            .order_by(OutboxMessage.to_address)
        )
        return list(result)


async def _public_count(client: httpx.AsyncClient) -> int:
    return int((await client.get(f"/api/v1/campaigns/{SLUG}")).json()["counts"]["confirmed"])


async def test_reaching_a_threshold_tells_each_active_editor_and_admin_once(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: Factory,
) -> None:
    await publish_petition()
    await _staff(session_factory)
    saved = await client.put(THRESHOLDS, json={"thresholds": [5, 3]}, headers=editor)
    assert saved.status_code == 200, saved.text
    assert [item["threshold"] for item in saved.json()["items"]] == [3, 5]
    assert all(item["reached_at"] is None for item in saved.json()["items"])

    # Below the threshold, pending signatures included: nobody is told.
    await _sign(client, deliver_emails, "a@example.org", "b@example.org", confirm=True)
    await _sign(client, deliver_emails, "pending@example.org", "later@example.org", confirm=False)
    assert await _public_count(client) == 2
    assert await _notify(session_factory) == 0
    assert await _told(session_factory) == []

    # Rolled up or not, the count is the public one.
    async with transaction(session_factory) as session:
        await update_rollups(session, now=NOW + timedelta(minutes=5), lag=timedelta(0))
    await _sign(client, deliver_emails, "c@example.org", confirm=True)
    assert await _public_count(client) == 3
    assert await _notify(session_factory) == 1
    assert await _told(session_factory) == ["admin@example.org", "editor@example.org"]
    emails = [e for e in await deliver_emails() if "reached" in e["Subject"]]
    assert sorted(e["To"].addresses[0].addr_spec for e in emails) == [
        "admin@example.org",
        "editor@example.org",
    ]
    assert emails[0]["Subject"] == '"Stop arms transfers that fuel war crimes" reached 3 signatures'
    assert f"http://campaign.test/staff/campaigns/{SLUG}/response" in text_body(emails[0])

    read = (await client.get(THRESHOLDS, headers=viewer)).json()
    assert read["confirmed"] == 3
    first, second = read["items"]
    assert first["threshold"] == 3 and first["signatures"] == 3
    assert datetime.fromisoformat(first["reached_at"]) == NOW
    assert second["threshold"] == 5 and second["reached_at"] is None

    # The job again, later: nothing more.
    assert await _notify(session_factory, NOW + timedelta(hours=1)) == 0
    assert len(await _told(session_factory)) == 2

    # Removed and set again, a threshold reached stays reached and is not told again.
    assert (await client.put(THRESHOLDS, json={"thresholds": [5]}, headers=editor)).is_success
    assert (await client.put(THRESHOLDS, json={"thresholds": [3, 5]}, headers=editor)).is_success
    assert await _notify(session_factory) == 0
    again = (await client.get(THRESHOLDS, headers=viewer)).json()["items"]
    assert datetime.fromisoformat(again[0]["reached_at"]) == NOW

    # Two workers at once past the next threshold: each person is told once.
    await _confirm_earlier(client, deliver_emails, "pending@example.org", "later@example.org")
    assert await _public_count(client) == 5
    passes = await asyncio.gather(_notify(session_factory), _notify(session_factory))
    assert sorted(passes) == [0, 1]
    assert len(await _told(session_factory)) == 4


async def _confirm_earlier(client: httpx.AsyncClient, deliver: Deliver, *addresses: str) -> None:
    """Follow the confirmation links sent when these addresses first signed."""
    emails = await deliver()
    for address in addresses:
        first = next(e for e in emails if address in str(e["To"]))
        assert (await client.get(confirmation_path(first))).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"thresholds": [-5]}, "thresholds.0"),
        ({"thresholds": [0]}, "thresholds.0"),
        ({"thresholds": [10_000, 10_000]}, "thresholds"),
        ({"thresholds": ["ten"]}, "thresholds.0"),
        ({"thresholds": [1.5]}, "thresholds.0"),
        ({"thresholds": list(range(1, 30))}, "thresholds"),
        ({}, "thresholds"),
        ({"thresholds": [5], "extra": 1}, "extra"),
    ],
)
async def test_bad_thresholds_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    body: dict[str, Any],
    field: str,
) -> None:
    await publish_petition()
    answer = await client.put(THRESHOLDS, json=body, headers=editor)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


async def test_thresholds_need_an_editor_and_a_petition(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
) -> None:
    await publish_petition()
    refused = await client.put(THRESHOLDS, json={"thresholds": [10]}, headers=viewer)
    assert refused.status_code == 403
    assert (await client.get(THRESHOLDS, headers=viewer)).json()["items"] == []
    created = await client.post(
        "/api/v1/staff/campaigns",
        json=petition_fields(slug="write-to-your-mp", kind="letter"),
        headers=editor,
    )
    assert created.status_code == 201, created.text
    letter = await client.put(
        "/api/v1/staff/campaigns/write-to-your-mp/thresholds",
        json={"thresholds": [10]},
        headers=editor,
    )
    assert letter.status_code == 409 and letter.json()["field"] == "kind"
