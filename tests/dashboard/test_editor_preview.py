"""The staff preview of a campaign's public page: staff only, never kept by a cache, the
public page's own content with a banner the public page never has, and forms from which
nothing can be signed or sent."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.conftest import petition_fields
from tests.letters.conftest import letter_campaign, officials  # noqa: F401
from tests.pages.forms import signing_form

STAFF_API = "/api/v1/staff/campaigns"
BANNER = "Preview — not public."


def _article(page: str) -> str:
    """The campaign itself as a page shows it: title, target, count and text."""
    match = re.search(r"<article[^>]*>(.*?)</article>", page, re.S)
    assert match, "no article on the page"
    return match.group(1)


def _share(page: str) -> str:
    match = re.search(r'<section class="share".*?</section>', page, re.S)
    assert match, "no share section on the page"
    return match.group(0)


async def test_the_preview_needs_a_login(client: httpx.AsyncClient, editor: dict[str, str]) -> None:
    await client.post(STAFF_API, json=petition_fields(slug="secret-draft"), headers=editor)
    answer = await client.get("/staff/campaigns/secret-draft/preview")
    assert answer.status_code == 303
    assert (
        answer.headers["location"]
        == "/staff/login?next=%2Fstaff%2Fcampaigns%2Fsecret-draft%2Fpreview"
    )


async def test_a_published_petition_previews_as_its_public_page_with_a_banner(
    editor_session: httpx.AsyncClient,
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    await publish_petition(slug="open-one", share_text="Sign for the meadows")
    public = await editor_session.get("/c/open-one")
    preview = await editor_session.get("/staff/campaigns/open-one/preview")
    assert preview.status_code == 200
    assert preview.headers["cache-control"] == "no-store"
    assert BANNER in preview.text
    assert BANNER not in public.text and "preview-banner" not in public.text

    assert _article(preview.text) == _article(public.text)
    assert _share(preview.text) == _share(public.text)
    assert "body=Sign%20for%20the%20meadows" in _share(public.text)  # the share text
    # The public page counts its views; a preview is no view.
    assert "data-views=" in public.text and "data-views=" not in preview.text
    # The signing form is there, disabled, with no token to send it with.
    assert re.search(r'<fieldset class="preview-inert" disabled>.*?<form', preview.text, re.S)
    assert 'name="form_token" value=""' in preview.text
    assert 'name="form_token" value=""' not in public.text


async def test_a_draft_previews_with_its_form_that_cannot_sign(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    await editor_session.post(STAFF_API, json=petition_fields(slug="a-draft"), headers=editor)
    preview = await editor_session.get("/staff/campaigns/a-draft/preview")
    assert preview.status_code == 200
    assert "how /c/a-draft will look once it is published" in preview.text
    assert "Sign this petition" in preview.text
    assert "This petition is closed" not in preview.text
    # The public cannot see it, nor sign it from the preview's form.
    assert (await editor_session.get("/c/a-draft")).status_code == 404
    signed = await editor_session.post("/c/a-draft/sign", data=signing_form(""))
    assert signed.status_code == 404
    counted = await editor_session.get(f"{STAFF_API}/a-draft", headers=editor)
    assert counted.json()["counts"]["pending"] == 0


async def test_a_letter_campaign_previews_its_lookup_and_an_inert_letter(
    editor_session: httpx.AsyncClient,
    editor: dict[str, str],
    letter_campaign: Callable[..., Awaitable[str]],  # noqa: F811
) -> None:
    slug = await letter_campaign()
    path = f"/staff/campaigns/{slug}/preview"
    preview = await editor_session.get(path, params={"country": "GB", "postcode": "SW1A 1AA"})
    assert preview.status_code == 200
    public = await editor_session.get(
        f"/c/{slug}", params={"country": "GB", "postcode": "SW1A 1AA"}
    )
    assert _article(preview.text) == _article(public.text)
    # The lookup stays in the preview and finds the same official.
    assert f'action="{path}#officials"' in preview.text
    assert "Alex Morgan" in preview.text and "Alex Morgan" in public.text
    assert re.search(
        r'<fieldset class="preview-inert" disabled>.*?Send my letter', preview.text, re.S
    )


async def test_a_letter_campaign_without_its_letter_says_what_to_do(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    fields = petition_fields(slug="no-letter-yet", kind="letter")
    await editor_session.post(STAFF_API, json=fields, headers=editor)
    preview = await editor_session.get("/staff/campaigns/no-letter-yet/preview")
    assert preview.status_code == 404
    assert "set up the letter" in preview.text
    assert 'href="/staff/campaigns/no-letter-yet/letter"' in preview.text
