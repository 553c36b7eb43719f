"""Erasure through the staff API: the address gets no bulk email again, even once it
signs anew; the log keeps no address in clear; bad confirmations and roles are refused."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.outbox.models import OutboxMessage, Priority
from campaign.privacy.hashing import address_hash
from campaign.privacy.models import PrivacyAuditEntry
from campaign.staff.models import Role
from campaign.staff.schemas import StaffUserCreate
from campaign.staff.users import create_user
from emails.worker import OutboxWorker
from tests.conftest import signer
from tests.dashboard.conftest import PASSWORD
from tests.fixtures.emails import confirmation_path, text_body
from tests.mailings.test_mailings import mailing_fields, send_everything
from tests.privacy.conftest import OTHER, PETITIONS, ZEPHYRINE, Campaigns, MakeActive

ERASE = "/api/v1/staff/privacy/erase"
MAILINGS = f"/api/v1/staff/campaigns/{PETITIONS[0]}/mailings"


async def _mailing_page(
    client: httpx.AsyncClient, factory: async_sessionmaker[AsyncSession], mailing_id: int
) -> str:
    """The mailing's dashboard page, as a staff user logged in to it sees it."""
    async with transaction(factory) as session:
        await create_user(
            session,
            StaffUserCreate(
                email="kim@example.org", name="Kim", role=Role.EDITOR, password=PASSWORD
            ),
        )
    logged_in = await client.post(
        "/staff/login", data={"email": "kim@example.org", "password": PASSWORD}
    )
    assert logged_in.status_code == 303, logged_in.text
    shown = await client.get(f"/staff/campaigns/{PETITIONS[0]}/mailings/{mailing_id}")
    assert shown.status_code == 200, shown.text
    return shown.text


def _recipients(emails: list[Any]) -> set[str]:
    return {str(e["To"].addresses[0].addr_spec).lower() for e in emails}


async def test_an_erased_address_gets_no_mailing_even_after_signing_again(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    editor: dict[str, str],
    campaigns: Campaigns,
    make_active: MakeActive,
    deliver_emails: Any,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await campaigns()
    await make_active(ZEPHYRINE)
    await make_active(OTHER)
    erased = await client.post(
        ERASE, json={"email": ZEPHYRINE.email, "confirm_email": ZEPHYRINE.email}, headers=admin
    )
    assert erased.status_code == 200, erased.text

    # They sign again, say yes to updates, and confirm: the confirmation still reaches them.
    before = {str(e["Message-ID"]) for e in await deliver_emails()}
    signed = await client.post(
        f"/api/v1/campaigns/{PETITIONS[0]}/signatures",
        json=signer(email=ZEPHYRINE.email, given_name="Zeph", family_name="Again"),
    )
    assert signed.status_code == 202
    emails = [e for e in await deliver_emails() if str(e["Message-ID"]) not in before]
    assert _recipients(emails) == {ZEPHYRINE.email.lower()}
    assert (await client.get(confirmation_path(emails[0]))).status_code == 200

    created = await client.post(MAILINGS, json=mailing_fields(), headers=editor)
    assert created.status_code == 201, created.text
    # The count staff see before sending is the count that is sent: the address that
    # came back is left out of it too.
    assert created.json()["audience_size"] == 1
    page = await _mailing_page(client, session_factory, created.json()["id"])
    assert "would reach <strong>1</strong> person." in page
    sent = await client.post(f"{MAILINGS}/{created.json()['id']}/send", json={}, headers=editor)
    assert sent.status_code == 202, sent.text
    mailing = [
        e
        for e in await send_everything(session_factory, settings)
        if str(e["Subject"]) == mailing_fields()["subject"]
    ]
    assert _recipients(mailing) == {OTHER.email.lower()}
    # Its footer links to where a person sees or erases their data.
    assert f"{settings.public_url}/my-data" in text_body(mailing[0])
    assert 'href="http://campaign.test/my-data"' in str(
        mailing[0].get_body(preferencelist=("html",)).get_content()
    )
    async with session_factory() as session:
        written = list(
            await session.scalars(
                select(OutboxMessage.to_address).where(OutboxMessage.mailing_id.is_not(None))
            )
        )
    assert [a.lower() for a in written] == [OTHER.email.lower()]

    # Bulk email that reaches the outbox some other way is held by the worker.
    async with session_factory() as session, session.begin():
        await session.execute(
            insert(OutboxMessage).values(
                kind="mailing",
                to_address=ZEPHYRINE.email,
                context={"mailing_id": 0, "given_name": "Zeph"},
                priority=int(Priority.BULK),
                status="pending",
                attempts=0,
                created_at=utcnow(),
                available_at=utcnow(),
            )
        )
    await OutboxWorker(session_factory, settings).send_due_messages()
    async with session_factory() as session:
        held = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.kind == "mailing", OutboxMessage.mailing_id.is_(None)
            )
        )
    assert held is not None and held.status == "failed"
    assert held.last_error == "suppressed: erased"


async def test_the_log_keeps_the_address_only_as_its_keyed_hash(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    campaigns: Campaigns,
    make_active: MakeActive,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    await campaigns()
    await make_active(ZEPHYRINE)
    erased = await client.post(
        ERASE, json={"email": ZEPHYRINE.email, "confirm_email": ZEPHYRINE.email}, headers=admin
    )
    assert erased.status_code == 200
    async with session_factory() as session:
        [entry] = list(await session.scalars(select(PrivacyAuditEntry)))
    assert (entry.action, entry.requester) == ("erasure", "staff")
    assert entry.api_token_id is not None
    key = settings.secret_key.get_secret_value()
    assert entry.email_hash == address_hash(ZEPHYRINE.email, key)
    assert entry.email_hash != address_hash(ZEPHYRINE.email, key + "another")
    row = " ".join(str(getattr(entry, c.key)) for c in PrivacyAuditEntry.__table__.columns)
    assert "zeph" not in row.lower() and "example.org" not in row


async def test_an_erasure_needs_the_address_twice_and_an_admin(
    client: httpx.AsyncClient, admin: dict[str, str], editor: dict[str, str]
) -> None:
    mismatch = await client.post(
        ERASE, json={"email": "ada@example.org", "confirm_email": "eve@example.org"}, headers=admin
    )
    assert mismatch.status_code == 422
    assert mismatch.json()["field"] == "confirm_email"
    missing = await client.post(ERASE, json={"email": "ada@example.org"}, headers=admin)
    assert missing.status_code == 422 and missing.json()["field"] == "confirm_email"
    bad = await client.post(ERASE, json={"email": "ada@", "confirm_email": "ada@"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "email"
    refused = await client.post(
        ERASE, json={"email": "ada@example.org", "confirm_email": "ada@example.org"}, headers=editor
    )
    assert refused.status_code == 403
