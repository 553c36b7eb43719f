"""Staff manage petitions through the API; the public sees only what is published."""

from __future__ import annotations

import httpx

from tests.conftest import petition_fields

STAFF = "/api/v1/staff/campaigns"


async def test_create_read_and_list_a_petition(client: httpx.AsyncClient, editor: dict) -> None:
    created = await client.post(STAFF, json=petition_fields(), headers=editor)
    assert created.status_code == 201
    body = created.json()
    assert body["state"] == "draft"
    assert body["kind"] == "petition"
    assert body["target"] == "All states"
    assert body["signature_goal"] == 1000
    assert "<strong>must</strong>" in body["body_html"]

    read = await client.get(f"{STAFF}/stop-the-arms-trade", headers=editor)
    assert read.status_code == 200
    assert read.json()["counts"] == {
        "confirmed": 0,
        "pending": 0,
        "fraudulent": 0,
        "invalidated": 0,
    }

    await client.post(STAFF, json=petition_fields(slug="second-one"), headers=editor)
    listed = await client.get(STAFF, headers=editor)
    assert [c["slug"] for c in listed.json()["items"]] == ["second-one", "stop-the-arms-trade"]
    drafts = await client.get(STAFF, params={"state": "published"}, headers=editor)
    assert drafts.json()["items"] == []


async def test_a_taken_slug_is_a_conflict_naming_the_field(
    client: httpx.AsyncClient, editor: dict
) -> None:
    await client.post(STAFF, json=petition_fields(), headers=editor)
    again = await client.post(STAFF, json=petition_fields(), headers=editor)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["field"] == "slug"


async def test_state_moves_draft_published_closed_and_no_other_way(
    client: httpx.AsyncClient, editor: dict
) -> None:
    await client.post(STAFF, json=petition_fields(), headers=editor)
    published = await client.post(f"{STAFF}/stop-the-arms-trade/publish", headers=editor)
    assert published.json()["state"] == "published"
    assert published.json()["published_at"] is not None

    twice = await client.post(f"{STAFF}/stop-the-arms-trade/publish", headers=editor)
    assert twice.status_code == 409
    assert twice.json()["field"] == "state"

    closed = await client.post(f"{STAFF}/stop-the-arms-trade/close", headers=editor)
    assert closed.json()["state"] == "closed"
    reopened = await client.post(f"{STAFF}/stop-the-arms-trade/publish", headers=editor)
    assert reopened.status_code == 409
    changed = await client.patch(
        f"{STAFF}/stop-the-arms-trade", json={"title": "New"}, headers=editor
    )
    assert changed.status_code == 409


async def test_update_changes_only_the_fields_given(
    client: httpx.AsyncClient, editor: dict
) -> None:
    await client.post(STAFF, json=petition_fields(), headers=editor)
    updated = await client.patch(
        f"{STAFF}/stop-the-arms-trade",
        json={"title": "Halt arms transfers now", "signature_goal": None},
        headers=editor,
    )
    assert updated.status_code == 200
    assert updated.json()["title"] == "Halt arms transfers now"
    assert updated.json()["signature_goal"] is None
    assert updated.json()["target"] == "All states"

    removed = await client.patch(
        f"{STAFF}/stop-the-arms-trade", json={"title": None}, headers=editor
    )
    assert removed.status_code == 422
    assert removed.json()["field"] == "title"


async def test_the_slug_is_fixed_once_published(client: httpx.AsyncClient, editor: dict) -> None:
    await client.post(STAFF, json=petition_fields(), headers=editor)
    renamed = await client.patch(
        f"{STAFF}/stop-the-arms-trade", json={"slug": "halt-arms"}, headers=editor
    )
    assert renamed.json()["slug"] == "halt-arms"
    await client.post(f"{STAFF}/halt-arms/publish", headers=editor)
    again = await client.patch(f"{STAFF}/halt-arms", json={"slug": "other"}, headers=editor)
    assert again.status_code == 409
    assert again.json()["field"] == "slug"


async def test_markdown_is_sanitised_when_rendered(client: httpx.AsyncClient, editor: dict) -> None:
    hostile = (
        "<script>alert(1)</script>\n\n[click](javascript:alert(1)) "
        '<img src=x onerror="alert(1)">\n\n[fine](https://example.org)'
    )
    created = await client.post(STAFF, json=petition_fields(body_markdown=hostile), headers=editor)
    html = created.json()["body_html"]
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">fine</a>' in html
    assert created.json()["body_markdown"] == hostile  # stored as written


async def test_the_public_sees_published_campaigns_only(
    client: httpx.AsyncClient, editor: dict
) -> None:
    await client.post(STAFF, json=petition_fields(), headers=editor)
    draft = await client.get("/api/v1/campaigns/stop-the-arms-trade")
    assert draft.status_code == 404

    await client.post(f"{STAFF}/stop-the-arms-trade/publish", headers=editor)
    public = await client.get("/api/v1/campaigns/stop-the-arms-trade")
    assert public.status_code == 200
    body = public.json()
    assert body["counts"] == {"confirmed": 0}  # pending signatures are for staff only
    assert body["consent"]["version"] == 1
    assert "unsubscribe" in body["consent"]["text"]
    assert "id" not in body and "body_markdown" not in body


async def test_consent_wording_is_versioned(client: httpx.AsyncClient, editor: dict) -> None:
    first = await client.post(STAFF, json=petition_fields(), headers=editor)
    v1 = first.json()["consent_text_id"]
    added = await client.post(
        "/api/v1/staff/consent-texts",
        json={"language": "en", "text": "Keep me posted by email."},
        headers=editor,
    )
    assert added.status_code == 201
    assert added.json()["version"] == 2
    second = await client.post(STAFF, json=petition_fields(slug="other-one"), headers=editor)
    assert second.json()["consent_text_id"] == added.json()["id"]
    # The earlier campaign still shows the wording it was created with.
    again = await client.get(f"{STAFF}/stop-the-arms-trade", headers=editor)
    assert again.json()["consent_text_id"] == v1


async def test_a_campaign_in_another_language_gets_that_wording(
    client: httpx.AsyncClient, editor: dict
) -> None:
    created = await client.post(STAFF, json=petition_fields(language="fr"), headers=editor)
    await client.post(f"{STAFF}/stop-the-arms-trade/publish", headers=editor)
    public = await client.get("/api/v1/campaigns/stop-the-arms-trade")
    assert created.status_code == 201
    assert public.json()["consent"]["language"] == "fr"
    assert "désabonner" in public.json()["consent"]["text"]
