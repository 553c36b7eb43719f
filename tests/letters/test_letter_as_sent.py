"""Placeholders are for the letter's machinery, never for people to read: the letter form
shows them in words, and the activist's copy and private page show the letter as it was
sent, filled in."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from email.message import EmailMessage

import httpx

from tests.fixtures.emails import text_body
from tests.letters.conftest import BODY_TEMPLATE, writer
from tests.pages.forms import form_token

LETTER_CONFIRM = re.compile(r"https?://\S+(/letters/confirm/[A-Za-z0-9_\-]+)")
STATUS_LINK = re.compile(r"https?://\S+/letters/([A-Za-z0-9_\-]{20,})")
PLACEHOLDER_MARKS = ("{{", "}}")

Deliver = Callable[[], Awaitable[list[EmailMessage]]]
MakeLetterCampaign = Callable[..., Awaitable[str]]


def link_in(email: EmailMessage, pattern: re.Pattern[str]) -> str:
    match = pattern.search(text_body(email))
    assert match, f"no link in {email['Subject']!r}"
    return match.group(1)


def assert_no_placeholders(text: str) -> None:
    for mark in PLACEHOLDER_MARKS:
        assert mark not in text, text


async def _send_and_confirm(
    client: httpx.AsyncClient, deliver_emails: Deliver, slug: str, postcode: str
) -> tuple[EmailMessage, str]:
    """Write through the API, confirm; returns the activist's copy and their link's token."""
    written = await client.post(f"/api/v1/campaigns/{slug}/letters", json=writer(postcode=postcode))
    assert written.status_code == 202, written.text
    [confirmation] = await deliver_emails()
    assert (await client.get(link_in(confirmation, LETTER_CONFIRM))).status_code == 200
    [copy] = [e for e in await deliver_emails() if "on its way" in str(e["Subject"])]
    return copy, link_in(copy, STATUS_LINK)


async def test_the_activists_copy_and_page_show_the_letter_as_sent(
    client: httpx.AsyncClient,
    letter_campaign: MakeLetterCampaign,
    deliver_emails: Deliver,
) -> None:
    slug = await letter_campaign(subject_template="Please oppose the dam, {{official_name}}")
    copy, token = await _send_and_confirm(client, deliver_emails, slug, "SW1A 1AA")

    text = text_body(copy)
    assert "Dear Alex Morgan," in text and "Ada Lovelace" in text and "Riverside" in text
    assert "Please oppose the dam, Alex Morgan" in text
    assert_no_placeholders(text)

    own = (await client.get(f"/api/v1/letters/{token}")).json()
    assert own["body"].startswith("Dear Alex Morgan,")
    assert own["body"].endswith("Ada Lovelace")
    assert own["subject"] == "Please oppose the dam, Alex Morgan"
    assert own["sent_to"] == "Alex Morgan"
    page = await client.get(f"/letters/{token}")
    assert page.status_code == 200 and "Dear Alex Morgan," in page.text
    assert_no_placeholders(page.text)


async def test_a_letter_to_several_officials_shows_one_copy_and_says_so(
    client: httpx.AsyncClient,
    letter_campaign: MakeLetterCampaign,
    deliver_emails: Deliver,
) -> None:
    slug = await letter_campaign()
    copy, token = await _send_and_confirm(client, deliver_emails, slug, "E1 6AN")  # two MPs
    assert "as it was sent to Alex Morgan, Member of Parliament for Riverside" in text_body(copy)
    page = (await client.get(f"/letters/{token}")).text
    assert "As sent to Alex Morgan; each official" in page and "Dear Alex Morgan," in page
    assert_no_placeholders(page)


async def test_the_letter_form_shows_placeholders_in_words_and_fills_them_all_the_same(
    client: httpx.AsyncClient,
    letter_campaign: MakeLetterCampaign,
    deliver_emails: Deliver,
) -> None:
    slug = await letter_campaign(subject_template="To {{official_name}}: no dam")
    page = await client.get(f"/c/{slug}", params={"country": "GB", "postcode": "SW1A 1AA"})
    assert "Dear [official&#39;s name]," in page.text and "[your town]" in page.text
    assert 'value="To [official&#39;s name]: no dam"' in page.text
    assert_no_placeholders(page.text)

    # Sent back as shown, however its case or spacing was changed, the words are filled.
    body = (
        BODY_TEMPLATE.replace("{{official_name}}", "[Official's  name]")
        .replace("{{activist_locality}}", "[your town]")
        .replace("{{activist_name}}", "[YOUR NAME]")
    )
    sent = await client.post(
        f"/c/{slug}/letter",
        data={
            "form_token": form_token(page.text),
            "country": "GB",
            "postcode": "SW1A 1AA",
            "subject": "To [official's name]: no dam",
            "body": body,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.org",
            "locality": "Riverside",
            "email_updates": "no",
        },
    )
    assert sent.status_code == 303, sent.text
    inbox = await client.get(sent.headers["location"])
    assert_no_placeholders(inbox.text)
    [confirmation] = await deliver_emails()
    await client.get(link_in(confirmation, LETTER_CONFIRM))
    [to_mp] = [e for e in await deliver_emails() if "alex.morgan@" in str(e["To"])]
    assert str(to_mp["Subject"]).strip() == "To Alex Morgan: no dam"
    text = text_body(to_mp)
    assert text.startswith("Dear Alex Morgan,") and "in Riverside" in text
    assert "Ada Lovelace" in text
    assert_no_placeholders(text)
