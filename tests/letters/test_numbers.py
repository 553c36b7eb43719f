"""A letter campaign's numbers: letters written through the public API and confirmed from
their emails, sent by the worker, then reported on by SendGrid's signed webhook. The staff
API's totals, each letter's own status, the activist's page and the campaign's staff page
all say the same about each letter, counted per official too."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.letters.delivery import send_due_digests
from campaign.outbox.models import OutboxMessage
from campaign.staff.models import Role
from campaign.staff.schemas import StaffUserCreate
from campaign.staff.users import create_user
from tests.inbox.test_sendgrid_webhook import PUBLIC_KEY, signed
from tests.letters.conftest import outbox, writer
from tests.letters.test_letters import LETTER_CONFIRM, STATUS_LINK, emails_to, link_in
from tests.letters.test_throttling import known_activists

Deliver = Callable[[], Awaitable[list[EmailMessage]]]
ALEX = "alex.morgan@parliament.example"
SAM = "sam.patel@parliament.example"
STAFF_PASSWORD = "a viewer's password for these tests"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The app under test verifies SendGrid's events with the tests' own key.
    return settings.model_copy(update={"sendgrid_webhook_public_key": PUBLIC_KEY})


async def _write_and_confirm(
    client: httpx.AsyncClient, deliver: Deliver, slug: str, **fields: Any
) -> list[EmailMessage]:
    """Write a letter through the public API, then follow the link in its email."""
    answer = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer(**fields))
    assert answer.status_code == 202, answer.text
    [confirmation] = [
        e
        for e in emails_to(await deliver(), fields["email"])
        if "confirm your letter" in str(e["Subject"])
    ]
    assert (await client.get(link_in(confirmation, LETTER_CONFIRM))).status_code == 200
    return await deliver()


async def _report(client: httpx.AsyncClient, message: OutboxMessage, *kinds: str) -> None:
    events = [
        {
            "email": message.to_address,
            "event": kind,
            "timestamp": 1_800_000_000 + number,
            "sg_event_id": f"{kind}-{message.id}",
            "sg_message_id": "x.filter",
            "outbox_id": str(message.id),
            **({"type": "bounce"} if kind == "bounce" else {}),
        }
        for number, kind in enumerate(kinds)
    ]
    body = json.dumps(events).encode()
    answer = await client.post("/webhooks/sendgrid", content=body, headers=signed(body))
    assert answer.status_code == 200, answer.text


async def _log_in_as_viewer(
    client: httpx.AsyncClient, factory: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(factory) as session:
        await create_user(
            session,
            StaffUserCreate(
                email="viewer@example.org",
                name="Vi Ewer",
                role=Role.VIEWER,
                password=SecretStr(STAFF_PASSWORD),
            ),
        )
    answer = await client.post(
        "/staff/login", data={"email": "viewer@example.org", "password": STAFF_PASSWORD}
    )
    assert answer.status_code == 303, answer.text


def _cells(page: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert row, f"no row {row_id}"
    return re.findall(r'<td class="number">([\d,]+)</td>', row.group(1))


def _number(page: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}">([\d,]+)<', page)
    assert found, f"no number {element_id}"
    return int(found.group(1).replace(",", ""))


async def _letter_totals(client: httpx.AsyncClient, slug: str, staff: dict[str, str]) -> Any:
    answer = await client.get(f"/api/v1/staff/campaigns/{slug}/letters", headers=staff)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_letters_are_counted_per_official_and_every_screen_agrees_on_status(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    officials: dict[str, int],
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
    viewer: dict[str, str],
) -> None:
    slug = await letter_campaign(per_official_hourly_limit=1)
    # Ada's seat straddles a boundary: her letter goes to both members.
    sent = await _write_and_confirm(
        client, deliver_emails, slug, email="ada@example.org", postcode="E1 6AN"
    )
    [copy] = [e for e in emails_to(sent, "ada@example.org") if "on its way" in str(e["Subject"])]
    ada_token = link_in(copy, STATUS_LINK)
    # Bob writes to Alex Morgan too: over the limit of one an hour, so it waits an hour.
    await _write_and_confirm(
        client, deliver_emails, slug, email="bob@example.org", given_name="Bob"
    )
    # Cy never confirms.
    answer = await client.post(
        f"/api/v1/campaigns/{slug}/letters", json=writer(email="cy@example.org")
    )
    assert answer.status_code == 202

    # Handed to the provider and nothing reported yet: that is "sent", everywhere. (The
    # totals used to count the outbox's untouched "queued" default instead.)
    totals = (await _letter_totals(client, slug, viewer))["totals"]
    assert totals["emails_by_status"] == {"sent": 2, "queued": 1, "awaiting_confirmation": 1}
    own = (await client.get(f"/api/v1/letters/{ada_token}")).json()
    assert {d["official_name"]: d["email_status"] for d in own["deliveries"]} == {
        "Alex Morgan": "sent",
        "Sam Patel": "sent",
    }

    # SendGrid reports Ada's letter delivered to Alex, and bounced by Sam's server.
    letters_out = await outbox(session_factory, "letter_to_official")
    [to_alex] = [m for m in letters_out if m.to_address == ALEX and m.sent_at is not None]
    [to_sam] = [m for m in letters_out if m.to_address == SAM]
    await _report(client, to_alex, "processed", "delivered")
    await _report(client, to_sam, "processed", "bounce")

    answer = await _letter_totals(client, slug, viewer)
    totals = answer["totals"]
    assert totals["letters_by_status"] == {"confirmed": 2, "pending": 1}
    assert totals["emails_by_status"] == {
        "delivered": 1,
        "bounced": 1,
        "queued": 1,
        "awaiting_confirmation": 1,
    }
    assert totals["to_officials"] == {
        "written": 4,
        "confirmed": 3,
        "sent": 2,
        "delivered": 1,
        "bounced": 1,
        "failed": 0,
        "queued_by_limit": 1,
        "in_digests": 0,
    }
    per_official = {line["name"]: line for line in totals["officials"]}
    assert list(per_official) == ["Alex Morgan", "Sam Patel"]  # most letters first
    alex, sam = per_official["Alex Morgan"], per_official["Sam Patel"]
    assert (alex["written"], alex["confirmed"], alex["sent"], alex["delivered"]) == (3, 2, 1, 1)
    assert (alex["queued_by_limit"], alex["in_digests"]) == (1, 0)
    assert (sam["written"], sam["confirmed"], sam["sent"], sam["delivered"]) == (1, 1, 1, 0)
    assert alex["title"] == "Member of Parliament for Riverside"

    # Each letter's deliveries say the same as the totals count.
    listed = [d["email_status"] for letter in answer["letters"] for d in letter["deliveries"]]
    assert sorted(listed) == sorted(
        status for status, count in totals["emails_by_status"].items() for _ in range(count)
    )
    # So does the activist's own page and API answer.
    own = (await client.get(f"/api/v1/letters/{ada_token}")).json()
    statuses = {d["official_name"]: d["email_status"] for d in own["deliveries"]}
    assert statuses == {"Alex Morgan": "delivered", "Sam Patel": "bounced"}
    activist_page = (await client.get(f"/letters/{ada_token}")).text
    assert "delivered" in activist_page and "bounced" in activist_page

    # And the campaign's staff page, which a viewer may read.
    await _log_in_as_viewer(client, session_factory)
    page = await client.get(f"/staff/campaigns/{slug}")
    assert page.status_code == 200
    html = page.text
    assert (_number(html, "letters-written"), _number(html, "letters-confirmed")) == (3, 2)
    assert _number(html, "letters-pending") == 1
    assert _number(html, "deliveries-sent") == 2
    assert _number(html, "deliveries-delivered") == 1
    assert _number(html, "deliveries-bounced") == 1
    for status, count in totals["emails_by_status"].items():
        assert _number(html, f"status-{status}") == count
    alex_id, sam_id = officials["Alex Morgan"], officials["Sam Patel"]
    assert _cells(html, f"official-{alex_id}") == ["3", "2", "1", "1", "1", "0"]
    assert _cells(html, f"official-{sam_id}") == ["1", "1", "1", "0", "0", "0"]
    assert _cells(html, "officials-total") == ["4", "3", "2", "1", "1", "0"]
    assert "Member of Parliament for Riverside" in html
    # A letter campaign has no signatures to chart; its export is of its letters.
    assert 'id="chart-per-day"' not in html
    assert f'href="/staff/campaigns/{slug}/exports/letters.csv"' in html
    assert "signatures.csv" not in html

    # The metrics API counts letters sent and delivered the same way.
    metrics = await client.get(f"/api/v1/staff/campaigns/{slug}/metrics", headers=viewer)
    assert metrics.json()["totals"]["letters"] == {"sent": 2, "delivered": 1}


async def test_letters_in_a_digest_fare_as_the_digest_does(
    client: httpx.AsyncClient,
    letter_campaign: Callable[..., Awaitable[str]],
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
    viewer: dict[str, str],
) -> None:
    slug = await letter_campaign(per_official_daily_limit=1, over_limit="digest")
    for address in await known_activists(session_factory, 3):
        answer = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer(email=address))
        assert answer.status_code == 202

    totals = (await _letter_totals(client, slug, viewer))["totals"]
    assert totals["emails_by_status"] == {"queued": 1, "in_digest": 2}
    assert (totals["digests_written"], totals["digests_sent"]) == (0, 0)
    assert totals["to_officials"]["in_digests"] == 2

    async with transaction(session_factory) as session:
        assert await send_due_digests(session, now=utcnow() + timedelta(days=1)) == 1
    totals = (await _letter_totals(client, slug, viewer))["totals"]
    assert totals["emails_by_status"] == {"queued": 3}  # the digest's email waits with us
    await deliver_emails()
    answer = await _letter_totals(client, slug, viewer)
    totals = answer["totals"]
    assert totals["emails_by_status"] == {"sent": 3}
    assert (totals["digests_written"], totals["digests_sent"]) == (1, 1)
    [alex] = totals["officials"]
    assert (alex["written"], alex["sent"], alex["in_digests"], alex["queued_by_limit"]) == (
        3,
        3,
        2,
        0,
    )

    [digest] = await outbox(session_factory, "letter_digest")
    await _report(client, digest, "delivered")
    answer = await _letter_totals(client, slug, viewer)
    assert answer["totals"]["emails_by_status"] == {"sent": 1, "delivered": 2}
    assert answer["totals"]["to_officials"]["delivered"] == 2
