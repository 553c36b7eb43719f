"""A campaign's language versions over HTTP against the real app: staff add, change and
remove them through the staff API; the page shows the version asked for, else the one
the browser prefers, else the campaign's own; signatures from the page and from the API
record their version and the consent wording shown in it, and all count once."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.models import Campaign, CampaignVersion
from campaign.campaigns.versions import choose_version
from campaign.consents.models import ConsentRecord, ConsentText
from campaign.consents.service import DEFAULT_WORDING
from campaign.letters.models import Letter
from campaign.outbox.models import OutboxMessage
from campaign.signatures.models import Signature
from tests.conftest import signer
from tests.letters.conftest import letter_campaign, officials  # noqa: F401  (fixtures)
from tests.pages.forms import form_token, signing_form

SLUG = "stop-the-arms-trade"
PAGE = f"/c/{SLUG}"
VERSIONS = f"/api/v1/staff/campaigns/{SLUG}/versions"

Publish = Callable[..., Awaitable[dict[str, Any]]]
Settle = Callable[[], Awaitable[None]]
Factory = async_sessionmaker[AsyncSession]

FRENCH = {
    "language": "fr",
    "title": "Stop aux transferts d'armes qui alimentent les crimes de guerre",
    "summary": "Tous les États doivent cesser les transferts d'armes à risque.",
    "body_markdown": "Les États **doivent** cesser ces transferts.",
    "share_text": "Signez pour l'arrêt des transferts d'armes.",
}
GERMAN = {
    "language": "de",
    "title": "Stoppt Waffenlieferungen, die Kriegsverbrechen befeuern",
    "summary": "Alle Staaten müssen riskante Waffenlieferungen einstellen.",
    "body_markdown": "Die Staaten **müssen** diese Lieferungen einstellen.",
}


async def _with_versions(
    client: httpx.AsyncClient, editor: dict[str, str], publish: Publish, *versions: dict[str, Any]
) -> None:
    await publish()
    for version in versions:
        added = await client.post(VERSIONS, json=version, headers=editor)
        assert added.status_code == 201, added.text


async def _signatures(factory: Factory) -> list[Signature]:
    async with factory() as session:
        return list(await session.scalars(select(Signature).order_by(Signature.id)))


async def _consent_text(factory: Factory, text_id: int | None) -> ConsentText:
    async with factory() as session:
        text = await session.get(ConsentText, text_id)
    assert text is not None
    return text


def _title(page: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", page)
    assert match
    return match.group(1)


# -- The rule ------------------------------------------------------------------------------


def _campaign() -> tuple[Campaign, list[CampaignVersion]]:
    campaign = Campaign(language="en", title="English", summary="s", body_markdown="b")
    versions = [
        CampaignVersion(language=tag, title=tag, summary="s", body_markdown="b")
        for tag in ("fr", "de", "pt-BR")
    ]
    return campaign, versions


@pytest.mark.parametrize(
    ("requested", "accept_language", "shown", "negotiated"),
    [
        ("fr", "de", "fr", False),  # asked for by name, whatever the browser says
        ("FR", None, "fr", False),
        ("en", "fr", "en", False),
        ("xx", "de", "de", True),  # no such version: chosen as if none were asked for
        (None, "de-AT,fr;q=0.5", "de", True),
        (None, "fr;q=0.4, de;q=0.9", "de", True),  # by weight, not by order
        (None, "it, fr;q=0.1", "fr", True),
        (None, "pt", "pt-BR", True),
        (None, "fr;q=0, de;q=0.2", "de", True),  # q=0: refused
        (None, "it, ja", "en", True),  # none of them: the campaign's own
        (None, None, "en", True),
    ],
)
def test_choose_version_explicit_then_the_browser_then_the_campaigns_own(
    requested: str | None, accept_language: str | None, shown: str, negotiated: bool
) -> None:
    campaign, versions = _campaign()
    choice = choose_version(campaign, versions, requested, accept_language)
    assert (choice.shown.language, choice.negotiated) == (shown, negotiated)
    assert {v.language for v in choice.others} == {"en", "fr", "de", "pt-BR"} - {shown}


def test_accept_language_is_used_only_when_there_are_several_versions() -> None:
    campaign, _versions = _campaign()
    choice = choose_version(campaign, [], None, "fr")
    assert choice.shown.language == "en" and choice.shown.title == "English"
    assert not choice.negotiated and choice.others == ()


# -- The staff API ---------------------------------------------------------------------------


async def test_staff_add_read_change_and_remove_versions(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
) -> None:
    await _with_versions(client, editor, publish_petition, FRENCH)
    listed = (await client.get(VERSIONS, headers=viewer)).json()
    assert listed["primary_language"] == "en"
    assert [item["language"] for item in listed["items"]] == ["fr"]
    assert listed["items"][0]["title"] == FRENCH["title"]

    changed = await client.patch(
        f"{VERSIONS}/fr",
        json={"title": "Arrêtez les transferts", "share_text": None},
        headers=editor,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Arrêtez les transferts"
    assert changed.json()["share_text"] is None
    assert (await client.get(f"{VERSIONS}/FR", headers=viewer)).json()["title"] == (
        "Arrêtez les transferts"
    )

    removed = await client.delete(f"{VERSIONS}/fr", headers=editor)
    assert removed.status_code == 204
    assert (await client.get(VERSIONS, headers=viewer)).json()["items"] == []
    gone = await client.get(f"{VERSIONS}/fr", headers=viewer)
    assert gone.status_code == 404
    assert gone.json()["field"] == "language"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (FRENCH, 409, "language"),  # there is one already
        ({**FRENCH, "language": "EN"}, 409, "language"),  # the campaign's own language
        ({**FRENCH, "language": "français"}, 422, "language"),
        ({**FRENCH, "language": "xx"}, 422, "language"),
        ({**FRENCH, "language": "es", "title": ""}, 422, "title"),
        ({**FRENCH, "language": "es", "colour": "red"}, 422, "colour"),
    ],
)
async def test_bad_versions_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    await _with_versions(client, editor, publish_petition, FRENCH)
    answer = await client.post(VERSIONS, json=body, headers=editor)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in str(answer.json())


async def test_versions_need_an_editor_and_a_removal_keeps_required_texts(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
) -> None:
    await _with_versions(client, editor, publish_petition, FRENCH)
    assert (await client.post(VERSIONS, json=GERMAN)).status_code == 401
    assert (await client.post(VERSIONS, json=GERMAN, headers=viewer)).status_code == 403
    assert (await client.delete(f"{VERSIONS}/fr", headers=viewer)).status_code == 403
    cleared = await client.patch(f"{VERSIONS}/fr", json={"title": None}, headers=editor)
    assert cleared.status_code == 422
    assert cleared.json()["field"] == "title"
    # The campaign's own language cannot become one its versions already has.
    moved = await client.patch(
        f"/api/v1/staff/campaigns/{SLUG}", json={"language": "FR"}, headers=editor
    )
    assert moved.status_code == 409, moved.text
    assert moved.json()["field"] == "language"


# -- The page --------------------------------------------------------------------------------


async def test_the_page_shows_the_version_the_browser_prefers_and_says_it_varies(
    client: httpx.AsyncClient, editor: dict[str, str], publish_petition: Publish
) -> None:
    await _with_versions(client, editor, publish_petition, FRENCH, GERMAN)
    french = await client.get(PAGE, headers={"Accept-Language": "fr-CH, fr;q=0.9, en;q=0.8"})
    assert french.status_code == 200
    assert (
        _title(french.text) == "Stop aux transferts d&#39;armes qui alimentent les crimes de guerre"
    )
    assert '<html lang="fr">' in french.text
    assert "Accept-Language" in french.headers["vary"]
    # Links to the others, each named in its own language.
    assert '<a href="/c/stop-the-arms-trade?lang=en" hreflang="en" lang="en">English</a>' in (
        french.text
    )
    assert 'hreflang="de" lang="de">Deutsch</a>' in french.text
    assert 'name="lang" value="fr"' in french.text
    assert DEFAULT_WORDING["fr"].replace("'", "&#39;") in french.text

    # The link's explicit choice wins over the browser's, and then nothing varies.
    asked = await client.get(f"{PAGE}?lang=de", headers={"Accept-Language": "fr"})
    assert '<html lang="de">' in asked.text
    assert _title(asked.text) == GERMAN["title"]
    assert "accept-language" not in asked.headers.get("vary", "").lower()

    nothing = await client.get(PAGE, headers={"Accept-Language": "it, ja;q=0.5"})
    assert '<html lang="en">' in nothing.text
    assert _title(nothing.text) == "Stop arms transfers that fuel war crimes"
    assert 'hreflang="fr" lang="fr">Français</a>' in nothing.text


async def test_a_campaign_in_one_language_ignores_the_browser(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    answer = await client.get(PAGE, headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in answer.text
    assert "accept-language" not in answer.headers.get("vary", "").lower()
    assert "hreflang=" not in answer.text


# -- Signatures -----------------------------------------------------------------------------


async def test_signatures_from_the_page_and_the_api_record_their_version_and_count_once(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    viewer: dict[str, str],
    publish_petition: Publish,
    settle_submissions: Settle,
    session_factory: Factory,
) -> None:
    await _with_versions(client, editor, publish_petition, FRENCH, GERMAN)
    page = await client.get(PAGE, headers={"Accept-Language": "fr"})
    posted = await client.post(
        f"{PAGE}/sign", data={**signing_form(form_token(page.text)), "lang": "fr"}
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"{PAGE}/sent?lang=fr"
    inbox = await client.get(posted.headers["location"])
    assert '<html lang="fr">' in inbox.text and "Stop aux transferts" in inbox.text

    signing = f"/api/v1/campaigns/{SLUG}/signatures"
    german = await client.post(signing, json=signer(email="grace@example.org", language="DE"))
    assert german.status_code == 202, german.text
    primary = await client.post(signing, json=signer(email="alan@example.org"))
    assert primary.status_code == 202, primary.text
    await settle_submissions()

    signatures = await _signatures(session_factory)
    assert [s.language for s in signatures] == ["fr", "de", "en"]
    french_text = await _consent_text(session_factory, signatures[0].consent_text_id)
    german_text = await _consent_text(session_factory, signatures[1].consent_text_id)
    assert (french_text.language, french_text.text) == ("fr", DEFAULT_WORDING["fr"])
    assert (german_text.language, german_text.text) == ("de", DEFAULT_WORDING["de"])
    async with session_factory() as session:
        records = list(await session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)))
        emails = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(r.consent_text_id, r.language) for r in records[:2]] == [
        (french_text.id, "fr"),
        (german_text.id, "de"),
    ]
    # The confirmation emails say the version's language and title.
    assert [e.context["language"] for e in emails] == ["fr", "de", "en"]
    assert emails[0].context["campaign_title"] == FRENCH["title"]

    # One count, split by version.
    campaign = (await client.get(f"/api/v1/staff/campaigns/{SLUG}", headers=viewer)).json()
    assert campaign["counts"]["pending"] == 3
    listed = (await client.get(VERSIONS, headers=viewer)).json()
    assert listed["primary_counts"]["pending"] == 1
    assert {i["language"]: i["counts"]["pending"] for i in listed["items"]} == {"de": 1, "fr": 1}
    exported = await client.get(f"/api/v1/staff/campaigns/{SLUG}/signatures.csv", headers=viewer)
    assert [row["language"] for row in csv.DictReader(io.StringIO(exported.text))] == [
        "fr",
        "de",
        "en",
    ]


async def test_the_api_refuses_a_language_that_is_no_version(
    client: httpx.AsyncClient, editor: dict[str, str], publish_petition: Publish
) -> None:
    await _with_versions(client, editor, publish_petition, FRENCH)
    signing = f"/api/v1/campaigns/{SLUG}/signatures"
    for language in ("es", "not a language", 7):
        answer = await client.post(signing, json=signer(language=language))
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "language" in str(answer.json())


async def test_the_public_api_lists_the_versions_with_their_consent_wording(
    client: httpx.AsyncClient, editor: dict[str, str], publish_petition: Publish
) -> None:
    await _with_versions(client, editor, publish_petition, GERMAN)
    read = (await client.get(f"/api/v1/campaigns/{SLUG}")).json()
    assert [(v["language"], v["title"]) for v in read["versions"]] == [("de", GERMAN["title"])]
    assert read["versions"][0]["consent"]["text"] == DEFAULT_WORDING["de"]


async def test_new_french_wording_is_recorded_from_then_on_and_earlier_signatures_keep_theirs(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    admin: dict[str, str],
    publish_petition: Publish,
    settle_submissions: Settle,
    session_factory: Factory,
) -> None:
    await _with_versions(client, editor, publish_petition, FRENCH)
    before = await client.get(f"{PAGE}?lang=fr")
    await client.post(f"{PAGE}/sign", data={**signing_form(form_token(before.text)), "lang": "fr"})

    wording = "Oui, tenez-moi informé(e) par e-mail de cette campagne et des suivantes."
    added = await client.post(
        "/api/v1/staff/consent-texts", json={"language": "fr", "text": wording}, headers=admin
    )
    assert added.status_code == 201, added.text
    after = await client.get(f"{PAGE}?lang=fr")
    assert "tenez-moi informé(e)" in after.text
    await client.post(
        f"{PAGE}/sign",
        data={**signing_form(form_token(after.text), email="grace@example.org"), "lang": "fr"},
    )
    await settle_submissions()

    first, second = await _signatures(session_factory)
    old = await _consent_text(session_factory, first.consent_text_id)
    new = await _consent_text(session_factory, second.consent_text_id)
    assert (old.language, old.version, old.text) == ("fr", 1, DEFAULT_WORDING["fr"])
    assert (new.language, new.version, new.text) == ("fr", 2, wording)


# -- A letter campaign ------------------------------------------------------------------------

FRENCH_LETTER = (
    "Madame, Monsieur {{official_name}},\n\n"
    "Je vous demande de vous opposer au barrage.\n\n{{activist_name}}"
)


async def test_a_letters_version_suggests_its_own_letter_and_sends_its_fixed_subject(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    letter_campaign: Callable[..., Awaitable[str]],  # noqa: F811  (the fixture imported above)
    session_factory: Factory,
) -> None:
    slug = await letter_campaign(required_phrases=[], subject_editable=False)
    added = await client.post(
        f"/api/v1/staff/campaigns/{slug}/versions",
        json={
            **FRENCH,
            "letter_subject": "Opposez-vous au barrage de la Vale",
            "letter_body": FRENCH_LETTER,
        },
        headers=editor,
    )
    assert added.status_code == 201, added.text
    where = {"country": "GB", "postcode": "SW1A 1AA"}
    page = await client.get(f"/c/{slug}", params=where, headers={"Accept-Language": "fr"})
    assert '<html lang="fr">' in page.text
    assert "Accept-Language" in page.headers["vary"]
    assert "Opposez-vous au barrage de la Vale" in page.text  # the fixed subject, shown
    assert "Madame, Monsieur [official&#39;s name]," in page.text  # the suggested letter
    assert 'name="lang" value="fr"' in page.text

    body = "Madame, Monsieur [official's name],\n\nJe vous demande de vous opposer au barrage. " * 2
    sent = await client.post(
        f"/c/{slug}/letter",
        data={
            "form_token": form_token(page.text),
            **where,
            "lang": "fr",
            "body": body,
            "given_name": "Camille",
            "family_name": "Martin",
            "email": "camille@example.org",
            "locality": "Riverside",
            "email_updates": "yes",
        },
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/c/{slug}/sent?lang=fr"
    async with session_factory() as session:
        letter = await session.scalar(select(Letter))
        record = await session.scalar(select(ConsentRecord))
        [email] = list(await session.scalars(select(OutboxMessage)))
    assert letter is not None and letter.subject == "Opposez-vous au barrage de la Vale"
    assert (email.context["language"], email.context["campaign_title"]) == ("fr", FRENCH["title"])
    assert record is not None and record.language == "fr"
    assert (await _consent_text(session_factory, record.consent_text_id)).language == "fr"


async def test_a_posted_consent_text_is_kept_only_if_it_is_the_versions_wording(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    settle_submissions: Settle,
    session_factory: Factory,
) -> None:
    await _with_versions(client, editor, publish_petition, FRENCH)
    english_id = (await client.get(f"/api/v1/campaigns/{SLUG}")).json()["consent"]["id"]
    posted = [str(english_id), "9" * 5000, "٣", "-1", "99999999999999999"]
    for number, consent_text_id in enumerate(posted):
        page = await client.get(f"{PAGE}?lang=fr")
        form = signing_form(form_token(page.text), email=f"signer{number}@example.org")
        answer = await client.post(
            f"{PAGE}/sign", data={**form, "lang": "fr", "consent_text_id": consent_text_id}
        )
        assert answer.status_code == 303, answer.text
    bad_version = await client.post(
        f"{PAGE}/sign",
        data={**signing_form(form_token(page.text), email="x@example.org"), "lang": "es"},
    )
    assert bad_version.status_code == 422
    assert "has no version in" in bad_version.text
    await settle_submissions()
    signatures = await _signatures(session_factory)
    assert len(signatures) == len(posted)
    for signature in signatures:
        text = await _consent_text(session_factory, signature.consent_text_id)
        assert (signature.language, text.language) == ("fr", "fr")
