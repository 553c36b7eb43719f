"""Every public page in every supporters' language: through the real app over HTTP
where a route shows it, rendered in-process where reaching it needs a token from an
email. Each page must say its language in <html lang>, and a page in French, Spanish or
German must hold no English sentence of the pages catalogue where its translation
belongs."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.page_forms import FormState
from api.pages import TEMPLATE_DIR, templates_for
from api.routers.followups import answer_context
from api.routers.letters import own_letter_context
from api.schemas.letters import OwnDeliveryView, OwnLetterView
from campaign.config import Settings
from campaign.followups.models import Answer
from campaign.followups.service import Question
from campaign.i18n import LOCALE_DIR, SUPPORTED_LANGUAGES, format_money, format_number
from campaign.outbox.models import OutboxMessage
from campaign.outbox.unsubscribe import unsubscribe_token
from tests.donations import conftest as donations
from tests.fixtures.emails import confirmation_path
from tests.pages.conftest import letter_campaign, officials  # noqa: F401
from tests.pages.forms import DONOR_TOKEN, REQUEST_ID, form_token, signing_form

# Campaigns that take donations need the payment provider: the donation tests' fake.
fake_stripe = donations.fake_stripe
settings = donations.settings

Publish = Callable[..., Awaitable[dict[str, Any]]]
Deliver = Callable[[], Awaitable[list[Any]]]

_HTML_LANG = re.compile(r'<html lang="([^"]+)">')
_PLACEHOLDER = re.compile(r"%\(\w+\)s")
# Shorter messages ("Sign", "Yes") are looked for only as a whole element's text or a
# whole attribute value, where they cannot be part of a longer sentence.
_SENTENCE_WORDS = 3
# A token shaped as the routes take them, that no one issued.
_FORGED = "not-a-token-anyone-issued.0123456789"

# Every public page template (the partials and base.html are in all of them), and how
# this module reaches it: the route over HTTP, or in-process.
OVER_HTTP = {
    "petition.html",
    "embed.html",
    "check_inbox.html",
    "confirmed.html",
    "chip_in.html",
    "letter.html",
    "home.html",
    "my_data.html",
    "my_data_sent.html",
    "page_error.html",
    "confirmation_failed.html",
    "followup_failed.html",
    "donation_thanks.html",
    "unsubscribe.html",
    "unsubscribed.html",
}
IN_PROCESS = {
    "letter_confirmed.html",
    "own_letter.html",
    "followup_answer.html",
    "my_data_link.html",
    "my_data_erase.html",
    "my_data_erased.html",
}


@cache
def english_sentences(language: str) -> tuple[list[str], list[str]]:
    """What of the pages catalogue's English must not be on a page in `language`: the
    sentences (the text between placeholders, of a few words at least), and the short
    messages. A message translated as itself ("Status" in German) is left out."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "pages.po").open("rb") as po:
        catalogue = read_po(po, locale=language)
    sentences, short = set(), set()
    for message in catalogue:
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for source in sources:
            for piece in _PLACEHOLDER.split(source):
                piece = piece.strip(" :")
                if len(piece.split()) >= _SENTENCE_WORDS:
                    if not any(piece in form for form in forms):
                        sentences.add(piece)
                elif re.search(r"[A-Za-z]{2}", piece) and piece not in forms:
                    short.add(piece)
    return sorted(sentences), sorted(short)


def english_left(page: str, language: str) -> list[str]:
    sentences, short = english_sentences(language)
    text = html.unescape(page)
    found = [sentence for sentence in sentences if sentence in text]
    for message in short:
        whole = rf'>\s*{re.escape(message)}\s*<|="{re.escape(message)}"'
        if re.search(whole, text):
            found.append(message)
    return found


def check_page(page: str, language: str) -> None:
    match = _HTML_LANG.search(page)
    assert match, "the page has no <html lang>"
    assert match.group(1) == language
    if language != "en":
        assert english_left(page, language) == []


def render(name: str, language: str, **context: Any) -> str:
    return templates_for(language).get_template(name).render(**context)


def test_every_public_template_is_covered() -> None:
    pages = {path.name for path in Path(TEMPLATE_DIR).glob("*.html")}
    pages -= {name for name in pages if name.startswith("_")} | {"base.html"}
    assert pages == OVER_HTTP | IN_PROCESS


def test_an_english_sentence_on_a_french_page_is_found() -> None:
    """The check can fail: an untranslated sentence, or a button left in English."""
    page = '<html lang="fr"><p>Thank you for your donation</p><button>Sign</button></html>'
    assert english_left(page, "fr") == ["Thank you for your donation", "Sign"]
    assert english_left('<html lang="fr"><p>Merci pour votre don</p></html>', "fr") == []


async def _donation_petition(
    client: httpx.AsyncClient, editor: dict[str, str], publish: Publish, language: str
) -> str:
    petition = await publish(slug=f"petition-{language}", language=language)
    slug = str(petition["slug"])
    saved = await client.put(
        f"/api/v1/staff/campaigns/{slug}/donation-setup",
        json=donations.setup_fields(),
        headers=editor,
    )
    assert saved.status_code == 200, saved.text
    return slug


async def _last_outbox_id(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session:
        found = await session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))
    assert found is not None
    return found


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
async def test_a_campaign_s_pages_speak_its_language(
    language: str,
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    letter_campaign: Callable[..., Awaitable[str]],  # noqa: F811
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    slug = await _donation_petition(client, editor, publish_petition, language)
    # The browser asks for another language: a campaign's pages speak the campaign's.
    other = "de" if language != "de" else "fr"
    client.headers["Accept-Language"] = other

    page = await client.get(f"/c/{slug}")
    assert page.status_code == 200
    check_page(page.text, language)
    assert format_number(1000, language) in page.text  # the goal, as the locale writes it
    check_page((await client.get(f"/embed/{slug}")).text, language)

    refused = await client.post(
        f"/c/{slug}/sign", data=signing_form(form_token(page.text), email="nope")
    )
    assert refused.status_code == 422
    check_page(refused.text, language)

    signed = await client.post(f"/c/{slug}/sign", data=signing_form(form_token(page.text)))
    assert signed.status_code == 303
    check_page((await client.get(f"/c/{slug}/sent")).text, language)

    [email] = await deliver_emails()
    confirmed = await client.get(confirmation_path(email))
    assert confirmed.status_code == 200
    check_page(confirmed.text, language)
    assert format_money(1000, "gbp", language) in confirmed.text

    donor, request_id = DONOR_TOKEN.search(confirmed.text), REQUEST_ID.search(confirmed.text)
    assert donor and request_id
    gift = {"donor_token": donor.group(1), "request_id": request_id.group(1)}
    gift |= {"amount": "other", "other_amount": "lots", "frequency": "one_off"}
    chip_in = await client.post(f"/c/{slug}/donate", data=gift)
    assert chip_in.status_code == 422
    check_page(chip_in.text, language)

    # The unsubscribe link of that campaign's email: the page speaks the campaign's language.
    secret = settings.secret_key.get_secret_value()
    token = unsubscribe_token("ada@example.org", secret, await _last_outbox_id(session_factory))
    check_page((await client.get(f"/unsubscribe/{token}")).text, language)
    check_page((await client.post(f"/unsubscribe/{token}")).text, language)

    letters = await letter_campaign(slug=f"letters-{language}", language=language)
    found = await client.get(f"/c/{letters}", params={"country": "GB", "postcode": "SW1A 1AA"})
    assert found.status_code == 200 and "Alex Morgan" in found.text
    check_page(found.text, language)
    nobody = await client.get(f"/c/{letters}", params={"country": "GB", "postcode": "ZZ99 9ZZ"})
    assert nobody.status_code == 422
    check_page(nobody.text, language)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
async def test_pages_of_no_campaign_speak_the_browser_s_language(
    language: str, client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    client.headers["Accept-Language"] = f"{language};q=0.9, xx"
    pages = [
        ("GET", "/", 200),
        ("GET", "/my-data", 200),
        ("GET", "/c/no-such-campaign", 404),
        ("GET", f"/confirm/{_FORGED}", 404),
        ("GET", f"/letters/followup/{_FORGED}", 404),
        ("GET", f"/letters/confirm/{_FORGED}", 404),
        ("GET", "/donations/thanks", 200),
        ("GET", f"/unsubscribe/{_FORGED}", 404),
    ]
    for method, path, status in pages:
        answer = await client.request(method, path)
        assert answer.status_code == status, path
        assert "<html" in answer.text, path
        check_page(answer.text, language)
    refused = await client.post("/my-data", data={"email": "nope"})
    assert refused.status_code == 422
    check_page(refused.text, language)
    sent = await client.post("/my-data", data={"email": "someone@example.org"})
    assert sent.status_code == 200
    check_page(sent.text, language)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_pages_behind_an_email_s_link_speak_their_language(language: str) -> None:
    campaign = SimpleNamespace(slug="stop-the-vale-dam", title="Stop the Vale dam")
    when = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)
    delivery = {
        "official_name": "Alex Morgan",
        "official_title": "Member of Parliament for Riverside",
        "organisation": "House of Commons",
        "sent_at": None,
    }
    letter = OwnLetterView(
        status="confirmed",
        subject="Please oppose the Vale dam",
        body="Dear Alex Morgan, …",
        sent_to="Alex Morgan",
        created_at=when,
        confirmed_at=when,
        deliveries=[
            OwnDeliveryView(
                **delivery, state="scheduled", scheduled_at=when, email_status="queued"
            ),
            OwnDeliveryView(
                **delivery,
                state="scheduled",
                scheduled_at=None,
                email_status="delivered",
                followup_answer="yes",
            ),
        ],
    )
    question = Question(
        "Alex Morgan", "MP", "Stop the Vale dam", Answer.YES, Answer.NOT_YET, language
    )
    pages = {
        "letter_confirmed.html": {"campaign": campaign},
        "own_letter.html": own_letter_context(letter, language),
        "followup_answer.html": answer_context(question, _FORGED, recorded_now=False),
        "my_data_link.html": {"token": _FORGED},
        "my_data_erase.html": {"token": _FORGED, "form": FormState()},
        "my_data_erased.html": {},
    }
    assert set(pages) == IN_PROCESS
    for name, context in pages.items():
        check_page(render(name, language, **context), language)
    answered = answer_context(question, _FORGED, recorded_now=True)
    check_page(render("followup_answer.html", language, **answered), language)
    missing = {"token": _FORGED, "form": FormState(errors={"confirm": "x"})}
    check_page(render("my_data_erase.html", language, **missing), language)


async def test_a_french_petition_names_the_field_at_fault_in_french(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition(slug="petition-fr", language="fr")
    page = (await client.get("/c/petition-fr")).text
    form = signing_form(form_token(page), email="pas-une-adresse", given_name="")
    answer = await client.post("/c/petition-fr/sign", data=form)
    assert answer.status_code == 422
    text = html.unescape(answer.text)
    email_error = re.search(r'id="email-error">(.*?)</span>(.*?)</span>', text)
    assert email_error, "no error shown for the email address"
    assert email_error.group(1) == '<span class="visually-hidden">Erreur\xa0: '
    assert email_error.group(2) == "Saisissez votre adresse e-mail sous la forme nom@exemple.org."
    assert "Saisissez votre prénom." in text
    assert "Il y a un problème" in text
    assert "<title>Erreur\xa0: " in text
