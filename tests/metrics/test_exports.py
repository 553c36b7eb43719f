"""CSV exports through HTTP: content, what is left out, the formula guard, headers, who
may download them, and more rows than one page or chunk."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from campaign.metrics.exports import ROWS_PER_CHUNK, csv_chunks, safe_cell, signatures_export
from tests.conftest import signer
from tests.metrics.conftest import Factory, add_signatures, campaign_id

Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "stop-the-arms-trade"
EXPORT = f"/api/v1/staff/campaigns/{SLUG}/signatures.csv"


def rows_of(answer: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.text)))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 20", "'+44 20"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("Ada", "Ada"),
        ("", ""),
        (-5, -5),
    ],
)
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(value: Any, written: Any) -> None:
    assert safe_cell(value) == written


async def test_signatures_export_has_the_campaigns_rows_and_no_private_fields(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Publish,
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition()
    await publish_petition(slug="other")
    sign = f"/api/v1/campaigns/{SLUG}/signatures"
    dangerous = signer(given_name="=cmd|' /C calc'!A0", email="eve@example.org")
    for person in (signer(), dangerous):
        assert (await client.post(sign, json=person)).status_code == 202
    other = signer(email="other@example.org")
    assert (await client.post("/api/v1/campaigns/other/signatures", json=other)).is_success
    await settle_submissions()

    answer = await client.get(EXPORT, headers=viewer)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="{SLUG}-signatures.csv"'
    )
    rows = rows_of(answer)
    assert [row["email"] for row in rows] == ["ada@example.org", "eve@example.org"]
    assert rows[1]["given_name"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["status"] == "pending"
    assert not {"ip_address", "confirmation_token_hash", "emails_sent"} & set(rows[0])
    assert "203.0.113.7" not in answer.text


async def test_exports_need_a_staff_token(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    for name in ("signatures", "letters", "donations"):
        path = f"/api/v1/staff/campaigns/{SLUG}/{name}.csv"
        assert (await client.get(path)).status_code == 401
        bad = {"Authorization": "Bearer not-a-token"}
        assert (await client.get(path, headers=bad)).status_code == 401


async def test_an_export_longer_than_a_page_comes_whole_and_in_order(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    publish_petition: Publish,
    session_factory: Factory,
) -> None:
    await publish_petition()
    campaign = await campaign_id(session_factory, SLUG)
    count = 2 * ROWS_PER_CHUNK + 17
    ids = await add_signatures(session_factory, campaign, count, comment="-- thoughts")
    rows = rows_of(await client.get(EXPORT, headers=viewer))
    assert [int(row["id"]) for row in rows] == ids
    assert {row["comment"] for row in rows} == {"'-- thoughts"}
    # The body is made a chunk at a time (the test client gathers them all up).
    chunks = [chunk async for chunk in csv_chunks(session_factory, signatures_export(campaign))]
    assert len(chunks) > 2


async def test_letters_and_donations_exports_have_their_headers(
    client: httpx.AsyncClient, viewer: dict[str, str], publish_petition: Publish
) -> None:
    await publish_petition()
    letters = await client.get(f"/api/v1/staff/campaigns/{SLUG}/letters.csv", headers=viewer)
    assert letters.status_code == 200
    assert letters.text.splitlines()[0].startswith("id,status,given_name,family_name,email")
    assert "ip_address" not in letters.text
    donations = await client.get(f"/api/v1/staff/campaigns/{SLUG}/donations.csv", headers=viewer)
    assert donations.headers["content-disposition"].endswith('-donations.csv"')
    assert donations.text.splitlines() == [
        "id,status,frequency,amount,currency,email,given_name,family_name,"
        "stripe_session_id,stripe_subscription_id,created_at,completed_at,ended_at"
    ]
