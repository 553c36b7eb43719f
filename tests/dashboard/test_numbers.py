"""The CSV export buttons on a campaign's page: the exports that apply to it, downloaded
by any logged-in user (viewers too) through the same streaming code as the staff API,
as a named file no cache keeps; without a session, the login page. And a campaign that
takes donations shows a line of their totals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.donations.models import Donation, DonationPayment
from campaign.metrics.rollup import update_rollups
from campaign.people.models import Person
from campaign.staff.models import Role
from tests.conftest import signer
from tests.dashboard.conftest import LogIn, MakeUser

Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "count-me"
PAGE = f"/staff/campaigns/{SLUG}"


async def _as_viewer(make_user: MakeUser, log_in: LogIn) -> None:
    await make_user("viewer@example.org", role=Role.VIEWER)
    assert (await log_in("viewer@example.org")).status_code == 303


async def test_a_viewer_downloads_the_same_csv_as_the_api_gives(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    make_user: MakeUser,
    log_in: LogIn,
    viewer: dict[str, str],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition(slug=SLUG)
    for address in ("ada@example.org", "=cmd@example.org"):
        signed = await client.post(
            f"/api/v1/campaigns/{SLUG}/signatures", json=signer(email=address)
        )
        assert signed.status_code == 202
    await settle_submissions()
    await _as_viewer(make_user, log_in)

    page = (await client.get(PAGE)).text
    button = f'href="{PAGE}/exports/signatures.csv"'
    assert button in page
    # A petition has no letters, and this one takes no donations.
    assert "letters.csv" not in page and "donations.csv" not in page

    download = await client.get(f"{PAGE}/exports/signatures.csv")
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        download.headers["content-disposition"] == f'attachment; filename="{SLUG}-signatures.csv"'
    )
    assert download.headers["cache-control"] == "no-store"
    lines = download.text.splitlines()
    assert lines[0].startswith("id,status,given_name,family_name,email,")
    assert len(lines) == 3
    assert "'=cmd@example.org" in download.text  # made safe for a spreadsheet

    from_api = await client.get(f"/api/v1/staff/campaigns/{SLUG}/signatures.csv", headers=viewer)
    assert from_api.status_code == 200
    assert download.content == from_api.content


async def test_exports_need_a_login_and_a_known_name(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    make_user: MakeUser,
    log_in: LogIn,
    viewer: dict[str, str],
) -> None:
    await publish_petition(slug=SLUG)
    login = f"/staff/login?next=%2Fstaff%2Fcampaigns%2F{SLUG}%2Fexports%2Fsignatures.csv"
    anonymous = await client.get(f"{PAGE}/exports/signatures.csv")
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, login)
    # A bearer token is for the API: the dashboard's routes ask for a session.
    with_token = await client.get(f"{PAGE}/exports/signatures.csv", headers=viewer)
    assert (with_token.status_code, with_token.headers["location"]) == (303, login)
    await _as_viewer(make_user, log_in)
    unknown = await client.get(f"{PAGE}/exports/passwords.csv")
    assert unknown.status_code == 404
    missing = await client.get("/staff/campaigns/no-such-campaign/exports/signatures.csv")
    assert missing.status_code == 404


async def test_a_campaign_that_takes_donations_shows_their_totals_and_export(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    editor: dict[str, str],
    make_user: MakeUser,
    log_in: LogIn,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    campaign = await publish_petition(slug=SLUG)
    setup = await client.put(
        f"/api/v1/staff/campaigns/{SLUG}/donation-setup",
        json={"currency": "gbp", "suggested_amounts": [500, 1000]},
        headers=editor,
    )
    assert setup.status_code == 200, setup.text
    paid = datetime.now(UTC) - timedelta(minutes=5)
    async with transaction(session_factory) as session:
        donor = Person(
            email_normalised="d@example.org",
            email="d@example.org",
            given_name="D",
            family_name="E",
            country="GB",
        )
        session.add(donor)
        await session.flush()
        for number, amount in enumerate((500, 1250)):
            gift = Donation(
                campaign_id=campaign["id"],
                person_id=donor.id,
                frequency="one_off",
                amount=amount,
                currency="gbp",
                status="paid",
                request_key=f"k{number}",
            )
            session.add(gift)
            await session.flush()
            session.add(
                DonationPayment(
                    payment_intent_id=f"pi_{number}",
                    donation_id=gift.id,
                    amount=amount,
                    currency="gbp",
                    paid_at=paid,
                )
            )
    async with transaction(session_factory) as session:
        await update_rollups(session, lag=timedelta(0))

    await _as_viewer(make_user, log_in)
    page = (await client.get(PAGE)).text
    assert '<p id="donation-totals">2 donations; £17.50 received in 2 payments.</p>' in page
    assert f'href="{PAGE}/exports/donations.csv"' in page
    download = await client.get(f"{PAGE}/exports/donations.csv")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="{SLUG}-donations.csv"'
    assert len(download.text.splitlines()) == 3
