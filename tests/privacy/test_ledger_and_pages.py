"""The consent ledger for an auditor (admins only), and data rights in the dashboard:
export for editors and admins, erasure for admins after typing the address twice."""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.consents.models import ConsentRecord
from campaign.people.addresses import normalise_email
from campaign.people.models import Person
from campaign.privacy.models import PrivacyAuditEntry
from campaign.staff.models import Role
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in, log_in, make_user  # noqa: F401
from tests.privacy.conftest import OTHER, PETITIONS, ZEPHYRINE, Campaigns, MakeActive

LEDGER = "/api/v1/staff/privacy/consent-ledger.csv"
PAGE = "/staff/privacy"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_ledger_has_every_consent_with_its_wording_for_admins_only(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    editor: dict[str, str],
    viewer: dict[str, str],
    campaigns: Campaigns,
    make_active: MakeActive,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await campaigns()
    zeph = await make_active(ZEPHYRINE)
    other = await make_active(OTHER)
    assert (await client.get(LEDGER, headers=viewer)).status_code == 403
    assert (await client.get(LEDGER, headers=editor)).status_code == 403
    answer = await client.get(LEDGER, headers=admin)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = _rows(answer.text)
    async with session_factory() as session:
        records = int(await session.scalar(select(func.count()).select_from(ConsentRecord)) or 0)
        entry = await session.scalar(select(PrivacyAuditEntry))
    assert len(rows) == records == 6
    assert {int(r["person_id"]) for r in rows} == {zeph, other}
    for row in rows:
        assert row["purpose"] == "email_updates"
        assert row["granted"] == "True"
        assert row["wording"].startswith("Yes, email me about this campaign")
        assert row["wording_version"] == "1" and row["language"] == "en"
        assert row["campaign"] and row["channel"] and row["recorded_at"]
    assert {r["campaign"] for r in rows} >= set(PETITIONS)
    # No names or addresses: a person is a number here.
    assert "example.org" not in answer.text and ZEPHYRINE.family_name not in answer.text
    assert entry is not None and entry.action == "consent_ledger" and entry.email_hash is None


async def test_admins_export_and_erase_from_the_dashboard(
    client: httpx.AsyncClient,
    make_user: MakeUser,  # noqa: F811
    log_in: LogIn,  # noqa: F811
    campaigns: Campaigns,
    make_active: MakeActive,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await campaigns()
    await make_active(ZEPHYRINE)
    await make_user("admin@example.org", Role.ADMIN)
    assert (await log_in("admin@example.org")).status_code == 303
    page = await client.get(PAGE)
    assert page.status_code == 200 and "Erase a person" in page.text
    token = csrf_token_in(page)

    exported = await client.post(
        f"{PAGE}/export", data={"csrf_token": token, "email": ZEPHYRINE.email}
    )
    assert exported.status_code == 200
    assert exported.json()["person"]["family_name"] == ZEPHYRINE.family_name
    bad = await client.post(f"{PAGE}/export", data={"csrf_token": token, "email": "nope"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text

    mismatch = await client.post(
        f"{PAGE}/erase",
        data={"csrf_token": token, "erase_email": ZEPHYRINE.email, "confirm_email": "x@y.org"},
    )
    assert mismatch.status_code == 422
    assert "the same address again" in mismatch.text
    erased = await client.post(
        f"{PAGE}/erase",
        data={
            "csrf_token": token,
            "erase_email": ZEPHYRINE.email,
            "confirm_email": ZEPHYRINE.email,
        },
    )
    assert erased.status_code == 303
    after = await client.get(erased.headers["location"])
    assert "is erased" in after.text
    assert "Test admin" in after.text and "erasure" in after.text
    assert ZEPHYRINE.email.lower() not in after.text.lower()
    async with session_factory() as session:
        person = await session.scalar(select(Person).where(Person.erased_at.is_not(None)))
        gone = await session.scalar(
            select(Person).where(Person.email_normalised == normalise_email(ZEPHYRINE.email))
        )
        entries = list(await session.scalars(select(PrivacyAuditEntry)))
    assert person is not None and gone is None
    assert sorted(e.action for e in entries) == ["erasure", "export"]
    assert all(e.staff_user_id is not None and e.email_hash for e in entries)

    ledger = await client.get(f"{PAGE}/consent-ledger.csv")
    assert ledger.status_code == 200 and _rows(ledger.text)


async def test_viewers_and_editors_are_kept_to_what_their_role_allows(
    client: httpx.AsyncClient,
    make_user: MakeUser,  # noqa: F811
    log_in: LogIn,  # noqa: F811
) -> None:
    await make_user("viewer@example.org", Role.VIEWER)
    await make_user("editor@example.org", Role.EDITOR)
    assert (await log_in("viewer@example.org")).status_code == 303
    page = await client.get(PAGE)
    assert page.status_code == 200 and 'action="/staff/privacy/export"' not in page.text
    token = csrf_token_in(page)
    form = {"csrf_token": token, "email": "a@example.org"}
    assert (await client.post(f"{PAGE}/export", data=form)).status_code == 403
    assert (await client.get(f"{PAGE}/consent-ledger.csv")).status_code == 403

    client.cookies.clear()
    assert (await log_in("editor@example.org")).status_code == 303
    page = await client.get(PAGE)
    assert 'action="/staff/privacy/export"' in page.text
    assert 'action="/staff/privacy/erase"' not in page.text
    token = csrf_token_in(page)
    erase = {"csrf_token": token, "erase_email": "a@example.org", "confirm_email": "a@example.org"}
    assert (await client.post(f"{PAGE}/erase", data=erase)).status_code == 403
    assert (await client.get(f"{PAGE}/consent-ledger.csv")).status_code == 403
    exported = await client.post(
        f"{PAGE}/export", data={"csrf_token": token, "email": "a@example.org"}
    )
    assert exported.status_code == 200 and exported.json()["person"] is None
