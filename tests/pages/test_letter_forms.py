"""The letter page: the officials lookup (a GET form), the editable letter and its post,
over HTTP against the real app."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.letters.models import Letter
from tests.fixtures.emails import text_body
from tests.letters.conftest import BODY_TEMPLATE
from tests.pages.forms import form_token

SLUG = "stop-the-vale-dam"
PAGE = f"/c/{SLUG}"
LETTER_CONFIRM = re.compile(r"https?://\S+(/letters/confirm/[A-Za-z0-9_\-]+)")

MakeLetterCampaign = Callable[..., Awaitable[str]]


def letter_form(token: str, **overrides: Any) -> dict[str, str]:
    fields = {
        "form_token": token,
        "country": "GB",
        "postcode": "SW1A 1AA",
        "subject": "Please oppose the Vale dam",
        "body": BODY_TEMPLATE + "\n\nI walk by the river every week.",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "locality": "Riverside",
        "email_updates": "no",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


async def _looked_up(client: httpx.AsyncClient, postcode: str = "SW1A 1AA") -> httpx.Response:
    return await client.get(PAGE, params={"country": "GB", "postcode": postcode})


async def _letters(factory: async_sessionmaker[AsyncSession]) -> list[Letter]:
    async with factory() as session:
        return list(await session.scalars(select(Letter).order_by(Letter.id)))


async def test_the_page_asks_where_you_live_before_showing_the_letter(
    client: httpx.AsyncClient, letter_campaign: MakeLetterCampaign
) -> None:
    await letter_campaign()
    page = (await client.get(PAGE)).text
    assert "Find who to write to" in page
    assert f'<form class="action" method="get" action="{PAGE}#officials"' in page
    assert "Write your letter" not in page


async def test_the_lookup_shows_the_officials_but_never_their_addresses(
    client: httpx.AsyncClient, letter_campaign: MakeLetterCampaign
) -> None:
    await letter_campaign()
    answer = await _looked_up(client, "e1 6an")
    assert answer.status_code == 200
    assert "<strong>Alex Morgan</strong>, Member of Parliament for Riverside (Green)" in answer.text
    assert "<strong>Sam Patel</strong>" in answer.text
    assert "@parliament.example" not in answer.text
    # The campaign's letter, to edit, its placeholders in words.
    assert "Dear [official&#39;s name]," in answer.text
    assert "{{" not in answer.text
    assert 'value="Please oppose the Vale dam"' in answer.text
    assert 'name="postcode" value="e1 6an"' in answer.text


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"country": "GB", "postcode": "ZZ9 9ZZ"}, "postcode", "No one to write to"),
        ({"country": "GB"}, "postcode", "A postcode is needed"),
        ({"country": "XX", "postcode": "SW1A 1AA"}, "country", "ISO 3166-1"),
        ({"country": "GB", "postcode": "SW1A\n1AA"}, "postcode", "single line"),
    ],
)
async def test_a_failed_lookup_says_why_next_to_its_field(
    client: httpx.AsyncClient,
    letter_campaign: MakeLetterCampaign,
    params: dict[str, str],
    field: str,
    message: str,
) -> None:
    await letter_campaign()
    answer = await client.get(PAGE, params=params)
    assert answer.status_code == 422
    error = re.search(rf'id="{field}-error">(.*?)</span>\n', answer.text)
    assert error and message in error.group(1), answer.text
    assert "Write your letter" not in answer.text


async def test_sending_a_letter_from_the_page_reaches_the_official(
    client: httpx.AsyncClient,
    letter_campaign: MakeLetterCampaign,
    deliver_emails: Callable[[], Awaitable[list[Any]]],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await letter_campaign()
    token = form_token((await _looked_up(client)).text)
    answer = await client.post(f"{PAGE}/letter", data=letter_form(token))
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PAGE}/sent"
    assert "your letter" in (await client.get(f"{PAGE}/sent")).text

    [letter] = await _letters(session_factory)
    assert letter.body.endswith("I walk by the river every week.")
    assert letter.personalised
    [confirmation] = await deliver_emails()
    link = LETTER_CONFIRM.search(text_body(confirmation))
    assert link
    assert (await client.get(link.group(1))).status_code == 200
    emails = await deliver_emails()
    [to_official] = [e for e in emails if "alex.morgan@parliament.example" in str(e["To"])]
    assert "Dear Alex Morgan," in text_body(to_official)
    assert "As your constituent in Riverside" in text_body(to_official)


async def test_letter_errors_are_shown_next_to_their_fields_with_the_letter_kept(
    client: httpx.AsyncClient,
    letter_campaign: MakeLetterCampaign,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await letter_campaign()
    token = form_token((await _looked_up(client)).text)
    body = "Dear {{official_name}}, stop it."
    answer = await client.post(
        f"{PAGE}/letter", data=letter_form(token, body=body, given_name="", email_updates=None)
    )
    assert answer.status_code == 422
    assert 'id="given_name-error"' in answer.text
    assert 'id="email_updates-error"' in answer.text
    assert f">{body}</textarea>" in answer.text
    assert "<strong>Alex Morgan</strong>" in answer.text  # the lookup's answer stays
    assert await _letters(session_factory) == []

    # The campaign's own limits come from the service, next to the letter's field.
    answer = await client.post(f"{PAGE}/letter", data=letter_form(token, body=body))
    assert answer.status_code == 422
    error = re.search(r'id="body-error">(.*?)</span>\n', answer.text)
    assert error and "must be 50 to 2000 characters" in error.group(1)


async def test_a_letter_without_a_valid_token_is_refused(
    client: httpx.AsyncClient,
    letter_campaign: MakeLetterCampaign,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await letter_campaign()
    answer = await client.post(f"{PAGE}/letter", data=letter_form("forged"))
    assert answer.status_code == 403
    assert "security token" in answer.text
    assert await _letters(session_factory) == []


async def test_letter_campaigns_take_no_signatures_and_have_no_embed(
    client: httpx.AsyncClient, letter_campaign: MakeLetterCampaign
) -> None:
    await letter_campaign()
    assert (await client.get(f"/embed/{SLUG}")).status_code == 404
    assert (await client.post(f"{PAGE}/sign", data={"form_token": "x"})).status_code == 404
