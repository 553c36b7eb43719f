"""Mailings in the dashboard: the whole job in the browser's forms, from writing one
to reading its numbers, with errors beside their fields and viewers kept to reading."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.staff.models import Role
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.fixtures.emails import text_body
from tests.mailings.test_mailings import Supporter, add_supporters, send_everything

Publish = Callable[..., Awaitable[dict[str, Any]]]
PAGES = "/staff/campaigns/stop-the-arms-trade/mailings"


async def test_staff_write_test_send_and_follow_a_mailing_in_the_browser_forms(
    editor_session: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    client = editor_session
    petition = await publish_petition()
    people = [Supporter(f"p{i}@example.org", "confirmed", [True], tags=["donor"]) for i in range(3)]
    people.append(Supporter("no@example.org", "confirmed", [False], tags=["donor"]))
    await add_supporters(session_factory, petition["id"], people)

    listing = await client.get(PAGES)
    assert listing.status_code == 200 and "No mailings yet." in listing.text
    form = await client.get(f"{PAGES}/new")
    token = csrf_token_in(form)
    assert "donor" in form.text  # the tags to choose from

    refused = await client.post(
        f"{PAGES}/new",
        data={"csrf_token": token, "subject": "", "body_markdown": "x", "audience": "signers"},
    )
    assert refused.status_code == 422 and "Enter the subject line." in refused.text
    unknown = await client.post(
        f"{PAGES}/new",
        data={
            "csrf_token": token, "subject": "S", "body_markdown": "x",
            "audience": "signers", "tags": "nobody-has-this",
        },
    )  # fmt: skip
    assert unknown.status_code == 422 and "No tag named" in unknown.text

    created = await client.post(
        f"{PAGES}/new",
        data={
            "csrf_token": token, "subject": "We won", "body_markdown": "It **worked**.",
            "audience": "signers", "tags": "Donor", "sender_name": "Ana at the campaign",
        },
    )  # fmt: skip
    assert created.status_code == 303
    mailing_page = created.headers["location"].split("?")[0]
    shown = await client.get(mailing_page)
    assert "would reach <strong>3</strong> people" in shown.text
    assert "<strong>worked</strong>" in shown.text  # the preview

    tested = await client.post(f"{mailing_page}/test", data={"csrf_token": token})
    assert tested.status_code == 303
    assert (
        "A test copy is on its way to editor@example.org"
        in (await client.get(tested.headers["location"])).text
    )

    confirm = await client.get(f"{mailing_page}/send")
    assert "Send “We won”?" in confirm.text and "<strong>3</strong> people" in confirm.text
    bad_time = await client.post(
        f"{mailing_page}/send", data={"csrf_token": token, "send_at": "next tuesday"}
    )
    assert bad_time.status_code == 422 and "enter a date and time" in bad_time.text.lower()
    sent = await client.post(f"{mailing_page}/send", data={"csrf_token": token, "send_at": ""})
    assert sent.status_code == 303

    emails = await send_everything(session_factory, settings)
    to = sorted(e["To"].addresses[0].addr_spec for e in emails)
    assert to == ["editor@example.org", "p0@example.org", "p1@example.org", "p2@example.org"]
    copy = next(e for e in emails if e["To"].addresses[0].addr_spec == "p0@example.org")
    assert copy["From"].addresses[0].display_name == "Ana at the campaign"
    assert "It **worked**." in text_body(copy)

    followed = await client.get(mailing_page)
    assert "Every recipient is in the queue" in followed.text
    assert 'id="mailing-numbers"' in followed.text
    assert "<td>3</td><td>3</td><td>0</td>" in followed.text  # recipients, sent, waiting
    again = await client.post(f"{mailing_page}/send", data={"csrf_token": token})
    assert again.status_code == 409 and "cannot be sent again" in again.text
    cancelled = await client.post(f"{mailing_page}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    assert "Cancelled" in (await client.get(mailing_page)).text
    assert "We won" in (await client.get(PAGES)).text


async def test_a_viewer_reads_mailings_but_cannot_write_or_send_one(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    publish_petition: Publish,
    editor: dict[str, str],
) -> None:
    await publish_petition()
    made = await client.post(
        "/api/v1/staff/campaigns/stop-the-arms-trade/mailings",
        json={"subject": "Hello", "body_markdown": "Hi"},
        headers=editor,
    )
    mailing_id = made.json()["id"]
    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")
    page = await client.get(f"{PAGES}/{mailing_id}")
    assert page.status_code == 200 and "Hello" in page.text
    assert "Send or schedule" not in page.text and "Save" not in page.text
    token = csrf_token_in(page) if 'name="csrf_token"' in page.text else ""
    refused = await client.post(f"{PAGES}/{mailing_id}/send", data={"csrf_token": token})
    assert refused.status_code == 403
