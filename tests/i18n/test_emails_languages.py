"""Every email in every language: rendered by the real renderer (emails/render.py) in
batches, each in its campaign's language, with its personal values still substituted;
and a French signer's confirmation email, end to end."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

import httpx
import pytest
from babel.messages.pofile import read_po

from campaign.config import Settings
from campaign.i18n import LOCALE_DIR, SOURCE_LANGUAGE, SUPPORTED_LANGUAGES
from campaign.outbox.models import MAILING_KINDS, EmailKind, OutboxMessage
from emails.render import (
    ENGLISH_ONLY_KINDS,
    PERSONAL_FIELDS,
    Batch,
    render_batches,
    render_message,
)
from tests.conftest import signer
from tests.fixtures.emails import confirmation_path, text_body

SETTINGS = Settings(environment="test", public_url="http://campaign.test")
MAILING_ID = 41
TRANSLATED = [language for language in SUPPORTED_LANGUAGES if language != SOURCE_LANGUAGE]
_HTML_LANG = re.compile(r'<html lang="([^"]+)"')
# What a message id prints or marks up: not wording a reader could find untranslated.
_NOT_WORDING = re.compile(r"%\(\w+\)s|<[^>]+>")


def context_of(kind: EmailKind, language: str) -> dict[str, Any]:
    """What the flow that queues this kind writes into the outbox row (raw dates and
    amounts, the campaign's language), as campaign/* writes it."""
    title = "Wetlands Charter"
    contexts: dict[EmailKind, dict[str, Any]] = {
        EmailKind.SIGNATURE_CONFIRMATION: {"campaign_title": title, "campaign_slug": "w"},
        EmailKind.ALREADY_SIGNED: {"campaign_title": title, "campaign_slug": "w"},
        EmailKind.LETTER_CONFIRMATION: {
            "campaign_title": title,
            "officials": ["Ines Navarro, Senator", "Tomasz Wolny, Deputy"],
        },
        EmailKind.LETTER_TO_OFFICIAL: {
            "subject": "Wetlands Charter",
            "body": "Ines Navarro,\n\nWetlands Charter!\n\nZoé Marchal",
        },
        EmailKind.LETTER_COPY: {
            "given_name": "Zoé",
            "campaign_title": title,
            "subject": "Wetlands Charter",
            "body": "Ines Navarro,\n\nWetlands Charter!",
            "officials": ["Ines Navarro, Senator", "Tomasz Wolny, Deputy"],
        },
        EmailKind.LETTER_DIGEST: {
            "official_name": "Ines Navarro",
            "campaign_title": title,
            "day": "2026-11-27",
            "count": 2,
            "personalised": 1,
            "unedited": 1,
            "letters": [
                {
                    "name": "Zoé Marchal",
                    "email": "zoe@example.org",
                    "locality": "Arles",
                    "subject": "Wetlands Charter",
                    "body": "Please back it.\n\nZoé",
                    "personalised": True,
                },
                {
                    "name": "Ünal Kaya",
                    "email": "unal@example.org",
                    "locality": None,
                    "subject": "Wetlands Charter",
                    "body": "Please back it.",
                    "personalised": False,
                },
            ],
        },
        EmailKind.DONATION_RECEIPT: {
            "given_name": "Zoé",
            "campaign_title": title,
            "amount": 2550,
            "currency": "eur",
            "monthly": True,
            "date": "2026-11-27",
            "reference": "pi_3Q1",
        },
        EmailKind.STAFF_INVITATION: {
            "staff_name": "Ana Lima",
            "role": "editor",
            "sent_by": "Lin Wu",
            "valid_hours": 72,
        },
        EmailKind.STAFF_PASSWORD_RESET: {
            "staff_name": "Ana Lima",
            "sent_by": None,
            "valid_hours": 24,
        },
        EmailKind.MAILING: {"mailing_id": MAILING_ID},
        EmailKind.PETITION_RESPONSE: {"mailing_id": MAILING_ID},
        EmailKind.THRESHOLD_REACHED: {
            "campaign_title": title,
            "threshold": 10_000,
            "signatures": 10_042,
            "staff_url": "http://campaign.test/staff/campaigns/w/response",
        },
        EmailKind.LETTER_FOLLOWUP: {
            "given_name": "Zoé",
            "campaign_title": title,
            "asked_about": [
                {
                    "delivery_id": 7,
                    "name": "Ines Navarro",
                    "title": "Senator",
                    "delivered_on": "2026-11-02",
                },
                {
                    "delivery_id": 8,
                    "name": "Tomasz Wolny",
                    "title": "Deputy",
                    "delivered_on": "2026-11-03",
                },
            ],
        },
        EmailKind.DATA_RIGHTS_LINK: {"valid_hours": 24},
        EmailKind.OFFICIAL_REPORT: {
            "official_name": "Ines Navarro",
            "official_title": "Senator for Lakeside",
            "campaign_title": title,
            "campaign_target": "The Regional Assembly",
            "petition_url": "http://campaign.test/c/w",
            "organisation": "Wetlands Coalition",
            "signers": 12_345,
            "asked_for_names": True,
            "names": ["Zoé Marchal", "Ünal Kaya"],
            "weeks": [
                {"starts": "2026-11-16", "signers": 12_000, "width": 100},
                {"starts": "2026-11-23", "signers": 345, "width": 3},
            ],
        },
    }
    context = contexts[kind]
    if kind in MAILING_KINDS:
        return context  # a copy has its mailing's language
    return {**context, "language": language}


def mailing_contents(language: str) -> dict[int, dict[str, Any]]:
    """What campaign/mailings and campaign/responses give the renderer for a mailing."""
    return {
        MAILING_ID: {
            "subject": "Wetlands Charter",
            "body_text": "We *won*.",
            "body_html": "<p>We <em>won</em>.</p>",
            "campaign_title": "Wetlands Charter",
            "language": language,
            "target": "The Regional Assembly",
            "responded_on": "2026-12-01",
            "link": "http://assembly.test/answer",
            "petition_url": "http://campaign.test/c/w",
        }
    }


def copies(kind: EmailKind, language: str) -> list[OutboxMessage]:
    """Two recipients' rows of one kind, alike but for their own values."""
    rows = []
    for number, given_name in ((1, "Zoé"), (2, "Ünal & Bo")):
        context = context_of(kind, language)
        if "valid_hours" in context or kind in {
            EmailKind.SIGNATURE_CONFIRMATION,
            EmailKind.LETTER_CONFIRMATION,
        }:
            context["token"] = f"token{number}"
        if kind == EmailKind.LETTER_COPY:
            context["view_token"] = f"view{number}"
        if kind in {
            EmailKind.SIGNATURE_CONFIRMATION,
            EmailKind.ALREADY_SIGNED,
            EmailKind.LETTER_CONFIRMATION,
            EmailKind.MAILING,
            EmailKind.PETITION_RESPONSE,
        }:
            context["given_name"] = given_name
        rows.append(
            OutboxMessage(
                id=number,
                kind=kind.value,
                to_address=f"reader{number}@example.org",
                to_name=None,
                context=context,
                mailing_id=MAILING_ID if kind in MAILING_KINDS else None,
            )
        )
    return rows


def parts(batch: Batch, index: int) -> tuple[str, str, str]:
    email = batch.email_for(batch.recipients[index], SETTINGS)
    text = email.get_body(preferencelist=("plain",))
    html = email.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(email["Subject"]), str(text.get_content()), str(html.get_content())


@cache
def english_wording(language: str) -> tuple[str, ...]:
    """The English of every message of the emails catalogue that this language's
    catalogue words otherwise, in pieces between what the message prints or marks up:
    any of them in an email of that language is a message left in English."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "emails.po").open("rb") as file:
        catalogue = read_po(file, locale=language)
    pieces: set[str] = set()
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            if english in strings:
                continue  # the same word in both ("Total", "[Test]")
            for piece in _NOT_WORDING.split(english):
                piece = piece.strip()
                if len(piece) >= 4 and any(c.isalpha() for c in piece):
                    pieces.add(piece)
    return tuple(sorted(pieces))


def left_in_english(language: str, rendered: str) -> list[str]:
    return [
        piece
        for piece in english_wording(language)
        if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", rendered)
    ]


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_renders_in_every_language(kind: EmailKind, language: str) -> None:
    batches = render_batches(copies(kind, language), SETTINGS, mailing_contents(language))
    written_in = SOURCE_LANGUAGE if kind in ENGLISH_ONLY_KINDS else language
    seen = 0
    for batch in batches:
        for index, recipient in enumerate(batch.recipients):
            seen += 1
            subject, text, html = parts(batch, index)
            assert _HTML_LANG.findall(html) == [written_in]
            # Each value the recipient brings is in the part its tag belongs to.
            assert set(PERSONAL_FIELDS.get(kind, ())) <= {
                tag[2:].split(":")[0] for tag in recipient.substitutions
            }
            for tag, value in recipient.substitutions.items():
                in_text = tag.endswith(":text%]")
                assert tag in (batch.text if in_text else batch.html), tag
                assert value in (text if in_text else html), tag
            assert "[%" not in subject + text + html
            if written_in != SOURCE_LANGUAGE:
                assert left_in_english(language, "\n".join((subject, text, html))) == []
    assert seen == 2


def test_the_check_for_english_finds_an_email_left_in_english() -> None:
    """The check above can fail: the English rendering of a French campaign's email is
    full of what the French catalogue words otherwise."""
    [english] = render_batches(copies(EmailKind.SIGNATURE_CONFIRMATION, "en")[:1], SETTINGS)
    subject, text, html = parts(english, 0)
    found = left_in_english("fr", "\n".join((subject, text, html)))
    assert "Confirm my signature" in found and "Dear" in found


def test_two_languages_never_share_a_rendering() -> None:
    french, german = (copies(EmailKind.SIGNATURE_CONFIRMATION, lang)[0] for lang in ("fr", "de"))
    german.id = 2
    batches = render_batches([french, german], SETTINGS)
    assert len(batches) == 2
    subjects = sorted(parts(batch, 0)[0] for batch in batches)
    assert subjects == [
        "Bitte bestätigen Sie Ihre Unterschrift: Wetlands Charter",
        "Merci de confirmer votre signature\u00a0: Wetlands Charter",
    ]


def test_a_row_queued_without_a_language_is_written_in_english() -> None:
    row = copies(EmailKind.SIGNATURE_CONFIRMATION, "fr")[0]
    row.context = {key: value for key, value in row.context.items() if key != "language"}
    email = render_message(row, SETTINGS)
    assert str(email["Subject"]) == "Please confirm your signature: Wetlands Charter"
    assert "Dear Zoé," in text_body(email)


def test_dates_and_amounts_are_written_for_the_language() -> None:
    [receipt] = render_batches(copies(EmailKind.DONATION_RECEIPT, "de")[:1], SETTINGS)
    subject, text, _ = parts(receipt, 0)
    assert subject == "Vielen Dank für Ihre monatliche Spende: 25,50\u00a0€"
    assert "Datum: 27. November 2026" in text
    [report] = render_batches(copies(EmailKind.OFFICIAL_REPORT, "fr")[:1], SETTINGS)
    _, text, html = parts(report, 0)
    assert "12\u202f345 personnes du territoire" in text
    # The weekly chart's columns line up whatever the length of the language's dates.
    chart = [line for line in text.splitlines() if line.endswith("#") or line.startswith("Total")]
    assert [line.split("  ")[0] for line in chart] == ["16 nov. 2026", "23 nov. 2026", "Total"]
    assert {len(line.split("  #")[0]) for line in chart} == {len("16 nov. 2026") + 2 + 7}
    assert "16 nov. 2026" in html


Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]


async def test_a_french_signer_is_asked_in_french_and_the_link_confirms(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver
) -> None:
    await publish_petition(
        slug="zones-humides", title="Protégeons les zones humides", language="fr"
    )
    signed = await client.post("/api/v1/campaigns/zones-humides/signatures", json=signer())
    assert signed.status_code == 202

    [email] = await deliver_emails()
    assert str(email["Subject"]) == (
        "Merci de confirmer votre signature\u00a0: Protégeons les zones humides"
    )
    text = text_body(email)
    assert text.startswith("Bonjour Ada,\n\nMerci d’avoir signé «\u00a0Protégeons")
    html = email.get_body(preferencelist=("html",))
    assert html is not None and '<html lang="fr">' in str(html.get_content())
    assert left_in_english("fr", text) == []

    assert (await client.get(confirmation_path(email))).status_code == 200
    public = await client.get("/api/v1/campaigns/zones-humides")
    assert public.json()["counts"] == {"confirmed": 1}


async def test_the_data_rights_link_comes_in_the_language_the_browser_asks_for(
    client: httpx.AsyncClient, publish_petition: Publish, deliver_emails: Deliver
) -> None:
    await publish_petition()
    await client.post("/api/v1/campaigns/stop-the-arms-trade/signatures", json=signer())
    await deliver_emails()
    answer = await client.post(
        "/my-data",
        data={"email": "ada@example.org"},
        headers={"Accept-Language": "de-CH, fr;q=0.5"},
    )
    assert answer.status_code == 200
    [link] = [e for e in await deliver_emails() if "/my-data/" in text_body(e)]
    assert str(link["Subject"]) == "Ihr Link, um Ihre Daten anzusehen oder zu löschen"
