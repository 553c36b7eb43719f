"""A petition's Response tab in the dashboard: thresholds and their marks, the response
written as a draft with its errors beside the fields, published after a page that says
what will happen, its numbers followed; viewers read and cannot change a thing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction
from campaign.responses.thresholds import notify_reached_thresholds
from campaign.staff.models import Role
from tests.conftest import petition_fields
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.fixtures.emails import text_body
from tests.mailings.test_mailings import Supporter, add_supporters, send_everything

Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "stop-the-arms-trade"
PAGE = f"/staff/campaigns/{SLUG}/response"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _response_form(token: str, **overrides: str) -> dict[str, str]:
    fields = {
        "csrf_token": token,
        "body_markdown": "We will **review** every licence.",
        "responded_on": "2026-11-30",
        "link": "https://example.gov/answers",
    }
    fields.update(overrides)
    return fields


async def test_staff_set_thresholds_and_write_and_publish_the_response_in_the_forms(
    editor_session: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    client = editor_session
    petition = await publish_petition()
    people = [
        Supporter("p0@example.org", "confirmed", [True]),
        Supporter("p1@example.org", "confirmed", [False]),
        Supporter("p2@example.org", "confirmed", []),
        Supporter("left@example.org", "confirmed", [True], suppression="unsubscribe"),
        Supporter("pending@example.org", "pending", [True]),
    ]
    await add_supporters(session_factory, petition["id"], people)

    shown = await client.get(PAGE)
    assert shown.status_code == 200
    assert f'href="{PAGE}" aria-current="page">Response</a>' in shown.text
    assert "No thresholds set." in shown.text and "No response recorded yet." in shown.text
    token = csrf_token_in(shown)

    not_numbers = await client.post(
        f"{PAGE}/thresholds", data={"csrf_token": token, "thresholds": "ten thousand"}
    )
    assert not_numbers.status_code == 422
    assert "Enter whole numbers separated by spaces" in not_numbers.text
    assert 'value="ten thousand"' in not_numbers.text  # as typed
    negative = await client.post(
        f"{PAGE}/thresholds", data={"csrf_token": token, "thresholds": "10,000 -5"}
    )
    assert negative.status_code == 422 and 'aria-invalid="true"' in negative.text
    twice = await client.post(f"{PAGE}/thresholds", data={"csrf_token": token, "thresholds": "3 3"})
    assert twice.status_code == 422 and "Each threshold may be given once." in twice.text
    saved = await client.post(
        f"{PAGE}/thresholds", data={"csrf_token": token, "thresholds": "2 10,000"}
    )
    assert saved.status_code == 303
    shown = await client.get(saved.headers["location"])
    assert "The thresholds are saved." in shown.text
    assert "2: not reached yet" in shown.text and "10,000: not reached yet" in shown.text
    assert 'value="2 10,000"' in shown.text

    async with transaction(session_factory) as session:
        await notify_reached_thresholds(session, now=NOW, public_url=settings.public_url)
    shown = await client.get(PAGE)
    assert "reached 2 on 2026-12-04" in shown.text
    assert "10,000: not reached yet" in shown.text
    numbers = await client.get(f"/staff/campaigns/{SLUG}")
    assert "Reached 2 on 2026-12-04." in numbers.text

    empty = await client.post(PAGE, data=_response_form(token, body_markdown="  "))
    assert empty.status_code == 422 and "Write what the target said." in empty.text
    bad_link = await client.post(PAGE, data=_response_form(token, link="example dot gov"))
    assert bad_link.status_code == 422 and "Enter a link that starts with https://" in bad_link.text
    no_date = await client.post(PAGE, data=_response_form(token, responded_on=""))
    assert no_date.status_code == 422 and "Enter the date of the response." in no_date.text
    drafted = await client.post(PAGE, data=_response_form(token))
    assert drafted.status_code == 303
    shown = await client.get(drafted.headers["location"])
    assert "The draft is saved." in shown.text and "A draft: it is not on" in shown.text
    assert "We will <strong>review</strong> every licence." in shown.text  # the preview
    assert f'href="{PAGE}/publish"' in shown.text

    confirm = await client.get(f"{PAGE}/publish")
    assert "Publish the response to “Stop arms transfers that fuel war crimes”?" in confirm.text
    assert "<strong>3</strong> confirmed signers" in confirm.text
    forged = await client.post(f"{PAGE}/publish", data={"csrf_token": "0" * 64})
    assert forged.status_code == 403
    missing = await client.post(f"{PAGE}/publish", data={})
    assert missing.status_code == 403
    published = await client.post(f"{PAGE}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    shown = await client.get(published.headers["location"])
    assert "Published:" in shown.text and "Save the draft" not in shown.text

    emails = await send_everything(session_factory, settings)
    to = sorted(e["To"].addresses[0].addr_spec for e in emails if "responded" in e["Subject"])
    assert to == ["p0@example.org", "p1@example.org", "p2@example.org"]
    assert "We will **review** every licence." in text_body(emails[-1])
    followed = await client.get(PAGE)
    assert 'id="response-numbers"' in followed.text
    assert "<td>3</td><td>3</td><td>0</td>" in followed.text  # recipients, sent, waiting
    again = await client.post(f"{PAGE}/publish", data={"csrf_token": token})
    assert again.status_code == 303
    assert len(await send_everything(session_factory, settings)) == len(emails)
    listing = await client.get(f"/staff/campaigns/{SLUG}/mailings")
    assert "All states responded to &#39;Stop arms transfers" in listing.text


async def test_a_viewer_reads_the_response_tab_but_cannot_change_it(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    publish_petition: Publish,
    editor: dict[str, str],
) -> None:
    await publish_petition()
    staff = f"/api/v1/staff/campaigns/{SLUG}"
    assert (
        await client.put(f"{staff}/thresholds", json={"thresholds": [100]}, headers=editor)
    ).is_success
    drafted = await client.put(
        f"{staff}/response",
        json={"body_markdown": "We *agree*.", "responded_on": "2026-12-01"},
        headers=editor,
    )
    assert drafted.is_success
    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")

    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "100: not reached yet" in page.text and "We <em>agree</em>." in page.text
    for control in ("Save the thresholds", "Save the draft", "Publish…"):
        assert control not in page.text
    confirm = await client.get(f"{PAGE}/publish")
    assert confirm.status_code == 200 and "Publish the response</button>" not in confirm.text
    token = csrf_token_in(page) if 'name="csrf_token"' in page.text else ""
    for path in (f"{PAGE}/publish", f"{PAGE}/thresholds", PAGE):
        refused = await client.post(path, data={"csrf_token": token, "thresholds": "5"})
        assert refused.status_code == 403, path
    assert (await client.get(f"{staff}/response", headers=editor)).json()["status"] == "draft"


async def test_a_letter_campaign_has_no_response_tab(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    client = editor_session
    created = await client.post(
        "/api/v1/staff/campaigns",
        json=petition_fields(slug="write-to-your-mp", kind="letter"),
        headers=editor,
    )
    assert created.status_code == 201
    page = await client.get("/staff/campaigns/write-to-your-mp/response")
    assert page.status_code == 200
    assert "belong to petitions" in page.text and ">Response</a>" not in page.text
