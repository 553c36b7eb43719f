"""A campaign's language versions in the staff workspace over HTTP: adding one, editing
its texts and removing it by the pages' own forms, mistakes shown beside their fields,
and the campaign's numbers split by version."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.models import CampaignVersion
from tests.conftest import signer
from tests.dashboard.conftest import csrf_token_in

SLUG = "stop-the-arms-trade"
LANGUAGES = f"/staff/campaigns/{SLUG}/versions"

Publish = Callable[..., Awaitable[dict[str, Any]]]


def _version_form(token: str, **overrides: str) -> dict[str, str]:
    fields = {
        "csrf_token": token,
        "language": "fr",
        "title": "Stop aux transferts d'armes",
        "summary": "Tous les États doivent cesser les transferts d'armes à risque.",
        "body_markdown": "Les États **doivent** cesser ces transferts.",
        "share_text": "",
    }
    fields.update(overrides)
    return fields


async def _versions(factory: async_sessionmaker[AsyncSession]) -> list[CampaignVersion]:
    async with factory() as session:
        return list(await session.scalars(select(CampaignVersion).order_by(CampaignVersion.id)))


async def test_staff_add_edit_and_remove_a_version_by_the_pages_forms(
    editor_session: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await publish_petition()
    listing = await editor_session.get(LANGUAGES)
    assert listing.status_code == 200
    assert listing.headers["cache-control"] == "no-store"
    assert 'href="/staff/campaigns/stop-the-arms-trade/versions"' in listing.text  # its tab
    token = csrf_token_in(listing)

    added = await editor_session.post(LANGUAGES, data=_version_form(token))
    assert added.status_code == 303
    assert added.headers["location"] == f"{LANGUAGES}/fr?saved=1"
    (french,) = await _versions(session_factory)
    assert (french.language, french.title, french.share_text) == (
        "fr",
        "Stop aux transferts d'armes",
        None,
    )

    edit = await editor_session.get(added.headers["location"])
    assert "Saved." in edit.text and "The Français version (fr)" in edit.text
    saved = await editor_session.post(
        f"{LANGUAGES}/fr",
        data=_version_form(token, title="Arrêtez les transferts d'armes", share_text="Signez !"),
    )
    assert saved.status_code == 303
    (french,) = await _versions(session_factory)
    assert (french.title, french.share_text) == ("Arrêtez les transferts d'armes", "Signez !")

    again = await editor_session.post(LANGUAGES, data=_version_form(token))
    assert again.status_code == 409
    assert "already has a version in" in again.text

    removed = await editor_session.post(f"{LANGUAGES}/fr/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert await _versions(session_factory) == []
    assert (
        "The version in fr was removed"
        in (await editor_session.get(removed.headers["location"])).text
    )


async def test_mistakes_are_shown_beside_their_fields_and_nothing_is_saved(
    editor_session: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await publish_petition()
    token = csrf_token_in(await editor_session.get(LANGUAGES))
    answer = await editor_session.post(
        LANGUAGES, data=_version_form(token, language="french", title="")
    )
    assert answer.status_code == 422
    assert 'id="language-error"' in answer.text and "Enter a language tag" in answer.text
    assert 'id="title-error"' in answer.text and "Enter a title." in answer.text
    assert await _versions(session_factory) == []
    # Without the form's token, nothing is changed either.
    refused = await editor_session.post(LANGUAGES, data=_version_form("0" * 64))
    assert refused.status_code == 403
    assert await _versions(session_factory) == []


async def test_the_numbers_split_the_one_count_by_version(
    editor_session: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition()
    token = csrf_token_in(await editor_session.get(LANGUAGES))
    await editor_session.post(LANGUAGES, data=_version_form(token, language="de", title="Stoppt"))
    signing = f"/api/v1/campaigns/{SLUG}/signatures"
    for email, language in (
        ("a@example.org", "de"),
        ("b@example.org", "de"),
        ("c@example.org", None),
    ):
        sent = await editor_session.post(signing, json=signer(email=email, language=language))
        assert sent.status_code == 202, sent.text
    await settle_submissions()

    numbers = (await editor_session.get(f"/staff/campaigns/{SLUG}")).text
    assert 'id="counts-by-version"' in numbers
    assert '<strong id="pending-count">3</strong>' in numbers
    english = numbers.split('id="version-count-en"')[1].split("</tr>")[0]
    german = numbers.split('id="version-count-de"')[1].split("</tr>")[0]
    assert "English (en)" in english and '<td class="number">1</td>' in english
    assert "Deutsch (de)" in german and '<td class="number">2</td>' in german
    listing = (await editor_session.get(LANGUAGES)).text
    assert 'id="version-de"' in listing
