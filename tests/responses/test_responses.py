"""A petition's response through the staff API and the real worker: who gets it (every
confirmed signer once, whatever they said about news, never a suppressed address), what
it says, the public page, and publishing again sending nothing more."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.outbox.models import OutboxMessage
from tests.conftest import petition_fields, signer
from tests.fixtures.emails import confirmation_path, text_body
from tests.mailings.test_mailings import Supporter, add_supporters, send_everything

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]
SLUG = "stop-the-arms-trade"
STAFF = f"/api/v1/staff/campaigns/{SLUG}"
SUBJECT = "All states responded to 'Stop arms transfers that fuel war crimes'"

# Every kind of supporter, and whether the response reaches them.
SUPPORTERS = [
    (Supporter("yes@example.org", "confirmed", [True]), True),
    (Supporter("said-no@example.org", "confirmed", [True, False]), True),
    (Supporter("never-asked@example.org", "confirmed", []), True),
    (Supporter("pending@example.org", "pending", [True]), False),
    (Supporter("invalidated@example.org", "invalidated", [True]), False),
    (Supporter("fraudulent@example.org", "fraudulent", [True]), False),
    (Supporter("left@example.org", "confirmed", [True], suppression="unsubscribe"), False),
    (Supporter("bounced@example.org", "confirmed", [], suppression="hard_bounce"), False),
    (Supporter("complained@example.org", "confirmed", [True], suppression="spam_report"), False),
    (Supporter("elsewhere@example.org", None, [True]), False),
]


def response_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "body_markdown": "We will **review** every licence.\n\nSigned, the ministers.",
        "responded_on": "2026-11-30",
        "link": "https://example.gov/answers/arms-transfers",
    }
    fields.update(overrides)
    return fields


async def _sign_and_confirm(
    client: httpx.AsyncClient, deliver: Deliver, address: str, *, consent: bool
) -> None:
    signed = await client.post(
        f"/api/v1/campaigns/{SLUG}/signatures",
        json=signer(email=address, consent={"email_updates": consent}),
    )
    assert signed.status_code == 202, signed.text
    [email] = [e for e in await deliver() if address in str(e["To"])]
    assert (await client.get(confirmation_path(email))).status_code == 200


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small chunks, so that even these few people take several transactions.
    return settings.model_copy(update={"mailing_chunk_size": 3})


async def test_a_published_response_reaches_each_confirmed_signer_exactly_once(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    petition = await publish_petition()
    await add_supporters(session_factory, petition["id"], [s for s, _ in SUPPORTERS])
    # Two who signed through the API: one confirmed without asking for news, one who
    # never confirmed.
    await _sign_and_confirm(client, deliver_emails, "api-signer@example.org", consent=False)
    pending = await client.post(
        f"/api/v1/campaigns/{SLUG}/signatures", json=signer(email="unconfirmed@example.org")
    )
    assert pending.status_code == 202
    before = len(await deliver_emails())
    wanted = {s.email for s, reached in SUPPORTERS if reached} | {"api-signer@example.org"}

    assert (await client.get(f"{STAFF}/response", headers=viewer)).status_code == 404
    saved = await client.put(f"{STAFF}/response", json=response_fields(), headers=editor)
    assert saved.status_code == 200, saved.text
    draft = saved.json()
    assert draft["status"] == "draft" and draft["mailing_id"] is None
    assert "<strong>review</strong>" in draft["body_html"]
    assert draft["signers_to_tell"] == len(wanted)
    changed = await client.put(
        f"{STAFF}/response",
        json=response_fields(body_markdown="We will **review** every licence."),
        headers=editor,
    )
    assert changed.status_code == 200
    page = await client.get(f"/c/{SLUG}")
    assert "will <strong>review</strong>" not in page.text  # a draft is not public

    published = await client.post(f"{STAFF}/response/publish", headers=editor)
    assert published.status_code == 200, published.text
    mailing_id = published.json()["mailing_id"]
    assert published.json()["status"] == "published" and mailing_id
    # No request wrote the recipients: the worker does.
    async with session_factory() as session:
        queued = await session.scalar(
            select(func.count()).where(OutboxMessage.mailing_id == mailing_id)
        )
    assert queued == 0

    emails = await send_everything(session_factory, settings)
    new = [e for e in emails if e["Subject"] == SUBJECT]
    assert len(emails) == before + len(new)
    assert sorted(e["To"].addresses[0].addr_spec for e in new) == sorted(wanted)
    for email in new:
        assert email["Subject"] == SUBJECT
        text = text_body(email)
        assert "We will **review** every licence." in text
        assert "On November 30, 2026, All states responded" in text
        assert "https://example.gov/answers/arms-transfers" in text
        assert f"http://campaign.test/c/{SLUG}" in text
        assert "because you signed this petition" in text
        html = email.get_body(preferencelist=("html",)).get_content()
        assert "<strong>review</strong>" in html
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Publishing again, and the worker running again, send nothing more.
    again = await client.post(f"{STAFF}/response/publish", headers=editor)
    assert again.status_code == 200 and again.json()["mailing_id"] == mailing_id
    assert len(await send_everything(session_factory, settings)) == len(emails)
    refused = await client.put(f"{STAFF}/response", json=response_fields(), headers=editor)
    assert refused.status_code == 409 and refused.json()["field"] == "status"

    read = (await client.get(f"{STAFF}/response", headers=viewer)).json()
    assert read["numbers"]["recipients"] == len(wanted)
    assert read["numbers"]["sent"] == len(wanted)
    mailing = await client.get(f"{STAFF}/mailings/{mailing_id}", headers=viewer)
    assert mailing.json()["audience"] == "response_signers"
    assert mailing.json()["subject"] == SUBJECT

    page = await client.get(f"/c/{SLUG}")
    assert "All states responded" in page.text
    assert "will <strong>review</strong> every licence" in page.text
    assert '<time datetime="2026-11-30">30 November 2026</time>' in page.text
    assert 'href="https://example.gov/answers/arms-transfers"' in page.text


async def test_the_response_audience_is_not_chosen_in_the_mailing_editor(
    client: httpx.AsyncClient, editor: dict[str, str], publish_petition: Publish
) -> None:
    await publish_petition()
    refused = await client.post(
        f"{STAFF}/mailings",
        json={"subject": "Hi", "body_markdown": "Hi", "audience": "response_signers"},
        headers=editor,
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "audience"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"body_markdown": ""}, "body_markdown"),
        ({"body_markdown": "   \n  "}, "body_markdown"),
        ({"link": "not a link"}, "link"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "ftp://example.org/answer"}, "link"),
        ({"responded_on": "last tuesday"}, "responded_on"),
        ({"responded_on": None}, "responded_on"),
        ({"signed_by": "someone"}, "signed_by"),
    ],
)
async def test_a_bad_response_is_refused_naming_the_field(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    fields: dict[str, Any],
    field: str,
) -> None:
    await publish_petition()
    answer = await client.put(f"{STAFF}/response", json=response_fields(**fields), headers=editor)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


async def test_publishing_needs_a_response_an_editor_and_a_petition(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
) -> None:
    await publish_petition()
    nothing = await client.post(f"{STAFF}/response/publish", headers=editor)
    assert nothing.status_code == 404 and nothing.json()["field"] == "response"
    assert nothing.headers["content-type"] == "application/problem+json"
    saved = await client.put(f"{STAFF}/response", json=response_fields(), headers=editor)
    assert saved.status_code == 200
    by_viewer = await client.post(f"{STAFF}/response/publish", headers=viewer)
    assert by_viewer.status_code == 403
    assert (await client.get(f"{STAFF}/response", headers=viewer)).json()["status"] == "draft"

    letter_campaign = await client.post(
        "/api/v1/staff/campaigns",
        json=petition_fields(slug="write-to-your-mp", kind="letter"),
        headers=editor,
    )
    assert letter_campaign.status_code == 201, letter_campaign.text
    letter = await client.put(
        "/api/v1/staff/campaigns/write-to-your-mp/response",
        json=response_fields(),
        headers=editor,
    )
    assert letter.status_code == 409 and letter.json()["field"] == "kind"
