"""The campaign editor over HTTP: creating and editing through the same service as the
API, mistakes shown beside their fields with nothing saved, the text's preview rendered
by the public page's sanitiser (live, and by the form's Preview button), and roles."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.consents.models import ConsentText
from campaign.staff.models import Role
from tests.conftest import petition_fields
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in

STAFF_API = "/api/v1/staff/campaigns"
NEW = "/staff/campaigns/new"
HOSTILE = "Hello **world**\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"


def editor_form(token: str, **overrides: str) -> dict[str, str]:
    fields = {
        "csrf_token": token,
        "kind": "petition",
        "title": "Save the river meadows",
        "slug": "",
        "summary": "The council must drop the road through the meadows.",
        "body_markdown": "The meadows are home to **rare orchids**.",
        "target": "The county council",
        "share_text": "I signed to save the river meadows. Will you?",
        "signature_goal": "500",
        "postcode_mode": "optional",
        "language": "en",
        "consent_text_id": "",
        "new_consent_text": "",
    }
    fields.update(overrides)
    return fields


def error_beside(page: str, field: str) -> str:
    """The message shown beside a field, which the field names as describing it."""
    match = re.search(rf'<span class="error" id="{field}-error">(.*?)</span>\s*$', page, re.M)
    assert match, f"no error beside {field}"
    described = re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error', page)
    assert described, f"{field} does not point at its error"
    return re.sub(r"<[^>]+>", "", match.group(1))


async def _token(client: httpx.AsyncClient, path: str = NEW) -> str:
    return csrf_token_in(await client.get(path))


async def _read(client: httpx.AsyncClient, editor: dict[str, str], slug: str) -> dict[str, Any]:
    answer = await client.get(f"{STAFF_API}/{slug}", headers=editor)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_staff_create_a_petition_and_its_address_is_made_from_the_title(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    home = await editor_session.get("/staff")
    assert 'href="/staff/campaigns/new"' in home.text
    form = await editor_session.get(NEW)
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    assert 'src="/static/editor.js"' in form.text

    created = await editor_session.post(NEW, data=editor_form(csrf_token_in(form)))
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/staff/campaigns/save-the-river-meadows"
    campaign = await _read(editor_session, editor, "save-the-river-meadows")
    assert campaign["state"] == "draft"
    assert campaign["share_text"] == "I signed to save the river meadows. Will you?"
    assert campaign["signature_goal"] == 500
    assert campaign["kind"] == "petition"


async def test_mistakes_are_shown_beside_their_fields_and_nothing_is_created(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    token = await _token(editor_session)
    refused = await editor_session.post(
        NEW,
        data=editor_form(
            token, title="", slug="Not A Slug", signature_goal="lots", language="xx-!!"
        ),
    )
    assert refused.status_code == 422
    assert error_beside(refused.text, "title") == "Error: Enter a title."
    assert "lower-case letters" in error_beside(refused.text, "slug")
    assert "whole number" in error_beside(refused.text, "signature_goal")
    assert "language tag" in error_beside(refused.text, "language")
    # What was typed is kept, and the summary of problems links to each field.
    assert 'value="Not A Slug"' in refused.text
    assert '<a href="#signature_goal">' in refused.text
    listed = await editor_session.get(STAFF_API, headers=editor)
    assert listed.json()["items"] == []


async def test_a_taken_address_is_refused_beside_the_field(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    await editor_session.post(STAFF_API, json=petition_fields(slug="taken"), headers=editor)
    token = await _token(editor_session)
    refused = await editor_session.post(NEW, data=editor_form(token, slug="taken"))
    assert refused.status_code == 409
    assert "already used" in error_beside(refused.text, "slug")
    listed = await editor_session.get(STAFF_API, headers=editor)
    assert [c["slug"] for c in listed.json()["items"]] == ["taken"]


async def test_new_consent_wording_is_published_and_chosen(
    editor_session: httpx.AsyncClient,
    editor: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    token = await _token(editor_session)
    wording = "Yes, keep me posted about the meadows."
    created = await editor_session.post(
        NEW, data=editor_form(token, slug="meadows", new_consent_text=wording)
    )
    assert created.status_code == 303, created.text
    campaign = await _read(editor_session, editor, "meadows")
    async with session_factory() as session:
        text = await session.get(ConsentText, campaign["consent_text_id"])
    assert text is not None and (text.text, text.language) == (wording, "en")


async def test_an_edit_saves_through_the_api_s_rules_and_says_so(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    await editor_session.post(STAFF_API, json=petition_fields(slug="to-edit"), headers=editor)
    page = await editor_session.get("/staff/campaigns/to-edit/edit")
    assert page.status_code == 200
    assert 'value="Stop arms transfers that fuel war crimes"' in page.text
    assert 'aria-current="page">Edit<' in page.text

    consent = re.search(r'<option value="(\d+)" selected', page.text)
    assert consent, "the campaign's consent wording is not the one chosen"
    saved = await editor_session.post(
        "/staff/campaigns/to-edit/edit",
        data=editor_form(
            csrf_token_in(page),
            title="Halt arms transfers now",
            slug="halt-arms",
            signature_goal="",  # no goal any more
            share_text="",
            consent_text_id=consent.group(1),
        ),
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/staff/campaigns/halt-arms/edit?saved=1"
    campaign = await _read(editor_session, editor, "halt-arms")
    assert campaign["title"] == "Halt arms transfers now"
    assert campaign["signature_goal"] is None
    assert campaign["share_text"] is None
    again = await editor_session.get(saved.headers["location"])
    assert 'role="status">Saved.<' in again.text


async def test_a_published_campaign_keeps_its_address(
    editor_session: httpx.AsyncClient,
    editor: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await editor_session.post(STAFF_API, json=petition_fields(slug="fixed"), headers=editor)
    await editor_session.post(f"{STAFF_API}/fixed/publish", headers=editor)
    page = await editor_session.get("/staff/campaigns/fixed/edit")
    assert re.search(r'<input id="slug" name="slug" type="text" readonly value="fixed"', page.text)
    async with session_factory() as session:
        versions = await session.scalar(select(func.count()).select_from(ConsentText))

    refused = await editor_session.post(
        "/staff/campaigns/fixed/edit",
        data=editor_form(
            csrf_token_in(page), slug="renamed", title="Changed", new_consent_text="New words."
        ),
    )
    assert refused.status_code == 409
    assert "fixed once the campaign is published" in error_beside(refused.text, "slug")
    campaign = await _read(editor_session, editor, "fixed")
    assert campaign["title"] == "Stop arms transfers that fuel war crimes"
    # The consent wording published on the way was undone with the rest.
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ConsentText)) == versions


async def test_the_live_preview_is_the_public_page_s_sanitised_html(
    editor_session: httpx.AsyncClient,
) -> None:
    token = await _token(editor_session)
    answer = await editor_session.post(
        "/staff/markdown-preview", data={"csrf_token": token, "body_markdown": HOSTILE}
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"].startswith("text/html")
    assert "<strong>world</strong>" in answer.text
    assert "<script" not in answer.text
    assert 'href="javascript' not in answer.text
    assert "&lt;script&gt;" in answer.text  # shown as typed, never run

    # A letter's placeholders read as they do on the public page.
    placeholder = await editor_session.post(
        "/staff/markdown-preview",
        data={"csrf_token": token, "body_markdown": "Dear {{official_name}},"},
    )
    assert "{{" not in placeholder.text

    without_token = await editor_session.post(
        "/staff/markdown-preview", data={"body_markdown": "x"}
    )
    assert without_token.status_code == 403


async def test_without_script_the_preview_button_renders_the_text_and_saves_nothing(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    await editor_session.post(STAFF_API, json=petition_fields(slug="draft-one"), headers=editor)
    token = await _token(editor_session, "/staff/campaigns/draft-one/edit")
    shown = await editor_session.post(
        "/staff/campaigns/draft-one/edit",
        data=editor_form(token, slug="draft-one", body_markdown=HOSTILE, action="preview"),
    )
    assert shown.status_code == 200
    preview = re.search(r'id="text-preview"[^>]*>(.*?)</div>', shown.text, re.S)
    assert preview and "<strong>world</strong>" in preview.group(1)
    assert "<script" not in preview.group(1)
    assert "Not saved yet" in shown.text
    campaign = await _read(editor_session, editor, "draft-one")
    assert campaign["body_markdown"] == petition_fields()["body_markdown"]

    new = await editor_session.post(NEW, data=editor_form(token, action="preview"))
    assert new.status_code == 200 and "<strong>rare orchids</strong>" in new.text
    listed = await editor_session.get(STAFF_API, headers=editor)
    assert [c["slug"] for c in listed.json()["items"]] == ["draft-one"]


async def test_a_viewer_reads_the_editor_but_changes_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    editor: dict[str, str],
) -> None:
    await client.post(STAFF_API, json=petition_fields(slug="read-only"), headers=editor)
    await make_user("viewer@example.org", Role.VIEWER)
    await log_in("viewer@example.org")
    home = await client.get("/staff")
    assert "/staff/campaigns/new" not in home.text
    page = await client.get("/staff/campaigns/read-only/edit")
    assert page.status_code == 200
    assert '<fieldset class="read-only" disabled>' in page.text
    assert ">Save<" not in page.text
    token = csrf_token_in(page)
    assert (await client.get(NEW)).status_code == 403
    for path in (NEW, "/staff/campaigns/read-only/edit", "/staff/markdown-preview"):
        answer = await client.post(path, data=editor_form(token, title="Mine now"))
        assert answer.status_code == 403, path
    campaign = await _read(client, editor, "read-only")
    assert campaign["title"] == petition_fields()["title"]


async def test_a_letter_s_edit_leaves_alone_what_its_form_does_not_show(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    fields = petition_fields(slug="a-letter", kind="letter", signature_goal=300)
    await editor_session.post(STAFF_API, json=fields, headers=editor)
    page = await editor_session.get("/staff/campaigns/a-letter/edit")
    assert 'id="signature_goal"' not in page.text and 'id="postcode_mode"' not in page.text
    form = editor_form(csrf_token_in(page), slug="a-letter", title="Write to your MP")
    del form["signature_goal"], form["postcode_mode"]
    saved = await editor_session.post("/staff/campaigns/a-letter/edit", data=form)
    assert saved.status_code == 303, saved.text
    campaign = await _read(editor_session, editor, "a-letter")
    assert (campaign["title"], campaign["signature_goal"]) == ("Write to your MP", 300)


async def test_a_closed_campaign_is_shown_but_not_offered_for_change(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    await editor_session.post(STAFF_API, json=petition_fields(slug="over"), headers=editor)
    await editor_session.post(f"{STAFF_API}/over/close", headers=editor)
    page = await editor_session.get("/staff/campaigns/over/edit")
    assert "This campaign is closed: it can no longer be changed." in page.text
    assert '<fieldset class="read-only" disabled>' in page.text
    refused = await editor_session.post(
        "/staff/campaigns/over/edit", data=editor_form(csrf_token_in(page), slug="over")
    )
    assert refused.status_code == 409
    assert "A closed campaign cannot be changed." in refused.text
