"""Publishing and closing on the dashboard: each asks on a page that says what will
happen (the page /c/<slug> becomes public; signing stops and the page stays readable; a
letter goes to so many officials), then does it through the same verb as the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from campaign.staff.models import Role
from tests.conftest import petition_fields, signer
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.letters.conftest import officials, setup_fields  # noqa: F401

STAFF_API = "/api/v1/staff/campaigns"


async def _create(client: httpx.AsyncClient, editor: dict[str, str], **fields: Any) -> str:
    created = await client.post(STAFF_API, json=petition_fields(**fields), headers=editor)
    assert created.status_code == 201, created.text
    return str(created.json()["slug"])


async def _read(client: httpx.AsyncClient, editor: dict[str, str], slug: str) -> dict[str, Any]:
    return dict((await client.get(f"{STAFF_API}/{slug}", headers=editor)).json())


async def test_publishing_a_petition_says_what_will_happen_then_does_it(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    slug = await _create(editor_session, editor, slug="to-publish")
    campaign_page = await editor_session.get(f"/staff/campaigns/{slug}")
    assert f'href="/staff/campaigns/{slug}/publish">Publish…<' in campaign_page.text
    assert 'action="/staff/campaigns/to-publish/publish"' not in campaign_page.text

    confirm = await editor_session.get(f"/staff/campaigns/{slug}/publish")
    assert confirm.status_code == 200
    assert "http://campaign.test/c/to-publish</a> becomes public" in confirm.text
    assert "People can sign it there" in confirm.text
    assert "goal of 1,000 signatures" in confirm.text
    assert (await _read(editor_session, editor, slug))["state"] == "draft"  # only asked

    done = await editor_session.post(
        f"/staff/campaigns/{slug}/publish", data={"csrf_token": csrf_token_in(confirm)}
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/staff/campaigns/{slug}"
    assert (await _read(editor_session, editor, slug))["state"] == "published"
    assert (await editor_session.get(f"/c/{slug}")).status_code == 200

    # Asked again, the page says why not and offers no button.
    again = await editor_session.get(f"/staff/campaigns/{slug}/publish")
    assert "Not published: a published campaign cannot become published." in again.text
    assert "Publish now" not in again.text


async def test_a_letter_is_published_only_once_set_up_and_the_page_counts_its_officials(
    editor_session: httpx.AsyncClient,
    editor: dict[str, str],
    officials: dict[str, int],  # noqa: F811
) -> None:
    slug = await _create(editor_session, editor, slug="a-letter", kind="letter")
    not_ready = await editor_session.get(f"/staff/campaigns/{slug}/publish")
    assert "set up the letter (targets and template) before publishing" in not_ready.text
    assert f'href="/staff/campaigns/{slug}/letter"' in not_ready.text
    assert "Publish now" not in not_ready.text
    refused = await editor_session.post(
        f"/staff/campaigns/{slug}/publish", data={"csrf_token": csrf_token_in(not_ready)}
    )
    assert refused.status_code == 409
    assert (await _read(editor_session, editor, slug))["state"] == "draft"
    api_refused = await editor_session.post(f"{STAFF_API}/{slug}/publish", headers=editor)
    assert api_refused.status_code == 409 and api_refused.json()["field"] == "letter"

    await editor_session.put(f"{STAFF_API}/{slug}/letter", json=setup_fields(), headers=editor)
    ready = await editor_session.get(f"/staff/campaigns/{slug}/publish")
    assert "Publish now" in ready.text
    assert (
        "Letters go to the members of House of Commons for the writer's area: "
        "2 officials in the directory today."
    ) in ready.text
    fixed = setup_fields(targets={"kind": "fixed", "official_ids": [officials["Jo Rivers"]]})
    await editor_session.put(f"{STAFF_API}/{slug}/letter", json=fixed, headers=editor)
    ready = await editor_session.get(f"/staff/campaigns/{slug}/publish")
    assert "Letters go to 1 official: the same for every writer" in ready.text


async def test_closing_says_what_stops_and_what_stays(
    editor_session: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition(slug="to-close")
    await editor_session.post("/api/v1/campaigns/to-close/signatures", json=signer())
    await settle_submissions()
    confirm = await editor_session.get("/staff/campaigns/to-close/close")
    assert confirm.status_code == 200
    assert "Signing stops" in confirm.text
    assert "The 0 confirmed signatures stay counted." in confirm.text
    assert "The 1 waiting for their confirmation link can no longer be confirmed" in confirm.text
    assert "http://campaign.test/c/to-close</a> stays readable" in confirm.text

    done = await editor_session.post(
        "/staff/campaigns/to-close/close", data={"csrf_token": csrf_token_in(confirm)}
    )
    assert done.status_code == 303
    assert (await _read(editor_session, editor, "to-close"))["state"] == "closed"
    again = await editor_session.post(
        "/staff/campaigns/to-close/close", data={"csrf_token": csrf_token_in(confirm)}
    )
    assert again.status_code == 409
    assert "Not closed: a closed campaign cannot become closed." in again.text


async def test_closing_a_draft_says_it_will_never_be_public(
    editor_session: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    slug = await _create(editor_session, editor, slug="old-draft")
    confirm = await editor_session.get(f"/staff/campaigns/{slug}/close")
    assert "This draft was never published" in confirm.text
    assert "Signing stops" not in confirm.text
    await editor_session.post(
        f"/staff/campaigns/{slug}/close", data={"csrf_token": csrf_token_in(confirm)}
    )
    assert (await editor_session.get(f"/c/{slug}")).status_code == 404
    preview = await editor_session.get(f"/staff/campaigns/{slug}/preview")
    assert "closed without being published: the public never sees this page" in preview.text


async def test_a_viewer_reads_the_confirmations_without_their_buttons(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    make_user: MakeUser,
    log_in: LogIn,
) -> None:
    slug = await _create(client, editor, slug="viewed")
    await make_user("viewer@example.org", Role.VIEWER)
    await log_in("viewer@example.org")
    for action, button in (("publish", "Publish now"), ("close", "Close now")):
        page = await client.get(f"/staff/campaigns/{slug}/{action}")
        assert page.status_code == 200
        assert button not in page.text
        refused = await client.post(
            f"/staff/campaigns/{slug}/{action}", data={"csrf_token": csrf_token_in(page)}
        )
        assert refused.status_code == 403
    assert (await _read(client, editor, slug))["state"] == "draft"
