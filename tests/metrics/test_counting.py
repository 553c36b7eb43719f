"""A campaign's signature counts are counted in one place (campaign/metrics/counts.py):
the public count, the staff API's campaign and the dashboard's list of campaigns agree
after signing, confirming and invalidating, on both sides of a rollup pass."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.metrics.counts import signature_counts_by_campaign
from campaign.signatures.models import Signature
from campaign.signatures.service import count_signatures
from campaign.staff.models import Role
from campaign.staff.schemas import StaffUserCreate
from campaign.staff.users import create_user
from tests.conftest import signer
from tests.fixtures.emails import confirmation_path
from tests.metrics.conftest import Factory, RunPass, add_signatures, campaign_id, set_status

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[EmailMessage]]]
SLUG = "stop-the-arms-trade"
PASSWORD = "a viewer's password for these tests"


async def _log_in(client: httpx.AsyncClient, factory: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(factory) as session:
        await create_user(
            session,
            StaffUserCreate(
                email="viewer@example.org",
                name="Vi Ewer",
                role=Role.VIEWER,
                password=SecretStr(PASSWORD),
            ),
        )
    answer = await client.post(
        "/staff/login", data={"email": "viewer@example.org", "password": PASSWORD}
    )
    assert answer.status_code == 303, answer.text


async def _three_counts(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> tuple[dict[str, int], ...]:
    public = (await client.get(f"/api/v1/campaigns/{SLUG}")).json()["counts"]
    staff = (await client.get(f"/api/v1/staff/campaigns/{SLUG}", headers=viewer)).json()
    home = (await client.get("/staff")).text
    row = re.search(rf'<a href="/staff/campaigns/{SLUG}">.*?</tr>', home, re.S)
    assert row, home
    confirmed, pending = re.findall(r'<td class="number">([\d,]+)</td>', row.group(0))
    listed = {"confirmed": int(confirmed), "pending": int(pending)}
    return public, staff["counts"], listed


async def _agree(
    client: httpx.AsyncClient, viewer: dict[str, str], expected: dict[str, int]
) -> None:
    public, staff, listed = await _three_counts(client, viewer)
    assert staff == expected
    # The public sees confirmed signatures only; the staff list shows pending ones too.
    assert public == {"confirmed": expected["confirmed"]}
    assert listed == {"confirmed": expected["confirmed"], "pending": expected["pending"]}


async def _sign(client: httpx.AsyncClient, *addresses: str) -> None:
    for address in addresses:
        answer = await client.post(
            f"/api/v1/campaigns/{SLUG}/signatures", json=signer(email=address)
        )
        assert answer.status_code == 202, answer.text


async def _confirm(client: httpx.AsyncClient, deliver: Deliver, *addresses: str) -> None:
    emails = await deliver()
    for address in addresses:
        [email] = [e for e in emails if address in str(e["To"])]
        assert (await client.get(confirmation_path(email))).status_code == 200


async def test_public_staff_and_dashboard_counts_agree(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: Factory,
    deliver_emails: Deliver,
    run_pass: RunPass,
    viewer: dict[str, str],
) -> None:
    await publish_petition()
    await _log_in(client, session_factory)
    nothing = {"confirmed": 0, "pending": 0, "fraudulent": 0, "invalidated": 0}
    await _agree(client, viewer, nothing)

    # Before any rollup pass: counted from the rows.
    await _sign(client, "ada@example.org", "grace@example.org", "alan@example.org")
    await _confirm(client, deliver_emails, "ada@example.org", "grace@example.org")
    await _agree(client, viewer, nothing | {"confirmed": 2, "pending": 1})

    # After a pass, and past its high-water marks: a new signature, a late confirmation.
    await run_pass()
    await _agree(client, viewer, nothing | {"confirmed": 2, "pending": 1})
    await _sign(client, "edsger@example.org")
    await _confirm(client, deliver_emails, "alan@example.org")
    await _agree(client, viewer, nothing | {"confirmed": 3, "pending": 1})

    # Staff invalidate a confirmed signature the rollups counted, and the newest one.
    campaign = await campaign_id(session_factory, SLUG)
    async with session_factory() as session:
        rows = await count_signatures(session, campaign)
    assert (rows.confirmed, rows.pending) == (3, 1)
    ids = await _signature_ids(session_factory, campaign, "ada@example.org", "edsger@example.org")
    await set_status(session_factory, ids, "invalidated")
    expected = nothing | {"confirmed": 2, "pending": 0, "invalidated": 2}
    await _agree(client, viewer, expected)
    await run_pass()
    await _agree(client, viewer, expected)


async def _signature_ids(factory: Factory, campaign: int, *addresses: str) -> list[int]:
    async with factory() as session:
        found = await session.scalars(
            select(Signature.id).where(
                Signature.campaign_id == campaign, Signature.email.in_(addresses)
            )
        )
        return list(found)


async def test_counting_many_campaigns_at_once_keeps_them_apart(
    publish_petition: Publish, session_factory: Factory, run_pass: RunPass
) -> None:
    first = (await publish_petition(slug="first"))["id"]
    second = (await publish_petition(slug="second"))["id"]
    untouched = (await publish_petition(slug="untouched"))["id"]
    confirmed_at = datetime.now(UTC) - timedelta(minutes=4)
    await add_signatures(session_factory, first, 3, status="confirmed", confirmed_at=confirmed_at)
    [held] = await add_signatures(session_factory, second, 1, status="fraudulent")
    await add_signatures(session_factory, second, 2)
    await run_pass()
    await add_signatures(session_factory, first, 1)
    await set_status(session_factory, [held], "pending")

    async with session_factory() as session:
        together = await signature_counts_by_campaign(session, [first, second, untouched, first])
        one_by_one = {c: await count_signatures(session, c) for c in (first, second, untouched)}
    assert together == one_by_one
    assert (together[first].confirmed, together[first].pending) == (3, 1)
    assert (together[second].pending, together[second].fraudulent) == (3, 0)
    assert together[untouched] == one_by_one[untouched]
    assert together[untouched].confirmed == 0
