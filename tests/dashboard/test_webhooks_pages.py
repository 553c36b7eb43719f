"""Webhooks in the dashboard, for admins: add an endpoint and see its secret once,
follow its deliveries, replay, stop. Editors are not shown the page."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.staff.models import Role
from campaign.webhooks.models import WebhookEndpoint
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in


async def _admin(client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn) -> None:
    await make_user(email="admin@example.org", role=Role.ADMIN)
    assert (await log_in(email="admin@example.org")).status_code == 303


async def test_an_admin_adds_an_endpoint_sees_its_secret_once_replays_and_stops_it(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _admin(client, make_user, log_in)
    page = await client.get("/staff/webhooks")
    assert page.status_code == 200 and "No endpoints yet." in page.text
    token = csrf_token_in(page)

    refused = await client.post(
        "/staff/webhooks", data={"csrf_token": token, "url": "http://example.org/in"}
    )
    assert refused.status_code == 422 and "https://" in refused.text

    added = await client.post(
        "/staff/webhooks", data={"csrf_token": token, "url": "https://crm.example.org/in"}
    )
    assert added.status_code == 201
    async with session_factory() as session:
        [endpoint] = list(await session.scalars(select(WebhookEndpoint)))
    assert endpoint.secret in added.text
    listed = await client.get("/staff/webhooks")
    assert "https://crm.example.org/in" in listed.text and endpoint.secret not in listed.text

    replayed = await client.post(
        f"/staff/webhooks/{endpoint.id}/replay", data={"csrf_token": token, "after_event": "0"}
    )
    assert replayed.status_code == 303
    stopped = await client.post(f"/staff/webhooks/{endpoint.id}/stop", data={"csrf_token": token})
    assert stopped.status_code == 303
    assert "stopped" in (await client.get("/staff/webhooks")).text


async def test_an_editor_cannot_open_the_webhooks_page(
    client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn
) -> None:
    await make_user()
    await log_in()
    answer = await client.get("/staff/webhooks")
    assert answer.status_code == 403
    assert "/staff/webhooks" not in (await client.get("/staff")).text
