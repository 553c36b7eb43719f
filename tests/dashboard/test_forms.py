"""Dashboard forms: CSRF tokens, roles, logging out, and what API tokens may do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import STAFF_SESSION_COOKIE
from campaign.db import transaction
from campaign.errors import Forbidden
from campaign.staff.models import Role, StaffSession, StaffUser
from campaign.staff.service import create_token
from tests.conftest import petition_fields
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in


@pytest.fixture
async def draft(client: httpx.AsyncClient, editor: dict[str, str]) -> str:
    created = await client.post(
        "/api/v1/staff/campaigns", json=petition_fields(slug="a-draft"), headers=editor
    )
    assert created.status_code == 201
    return "/staff/campaigns/a-draft"


async def _state(client: httpx.AsyncClient, editor: dict[str, str]) -> str:
    answer = await client.get("/api/v1/staff/campaigns/a-draft", headers=editor)
    return str(answer.json()["state"])


async def test_an_editor_publishes_then_closes_with_the_pages_csrf_token(
    editor_session: httpx.AsyncClient, draft: str, editor: dict[str, str]
) -> None:
    page = await editor_session.get(draft)
    assert "Publish" in page.text
    token = csrf_token_in(page)
    published = await editor_session.post(f"{draft}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    assert published.headers["location"] == draft
    assert await _state(editor_session, editor) == "published"

    page = await editor_session.get(draft)
    assert ">Publish<" not in page.text
    closed = await editor_session.post(f"{draft}/close", data={"csrf_token": token})
    assert closed.status_code == 303
    assert await _state(editor_session, editor) == "closed"


@pytest.mark.parametrize("form", [{}, {"csrf_token": "0" * 64}, {"csrf_token": ""}])
async def test_a_form_without_the_right_csrf_token_is_refused(
    editor_session: httpx.AsyncClient, draft: str, editor: dict[str, str], form: dict
) -> None:
    answer = await editor_session.post(f"{draft}/publish", data=form)
    assert answer.status_code == 403
    assert await _state(editor_session, editor) == "draft"


async def test_another_sessions_csrf_token_is_refused(
    app: Any, editor_session: httpx.AsyncClient, draft: str, editor: dict[str, str]
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as other:
        form = {"email": "editor@example.org", "password": "correct horse battery staple"}
        await other.post("/staff/login", data=form)
        other_token = csrf_token_in(await other.get(draft))
    assert other_token != csrf_token_in(await editor_session.get(draft))
    answer = await editor_session.post(f"{draft}/publish", data={"csrf_token": other_token})
    assert answer.status_code == 403
    assert await _state(editor_session, editor) == "draft"


async def test_a_viewer_sees_no_buttons_and_cannot_publish(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    draft: str,
    editor: dict[str, str],
) -> None:
    await make_user(email="viewer@example.org", role=Role.VIEWER)
    await log_in(email="viewer@example.org")
    page = await client.get(draft)
    assert page.status_code == 200
    assert "/publish" not in page.text
    token = csrf_token_in(page)  # the logout form's
    answer = await client.post(f"{draft}/publish", data={"csrf_token": token})
    assert answer.status_code == 403
    assert await _state(client, editor) == "draft"


async def test_publishing_twice_shows_why_on_the_page(
    editor_session: httpx.AsyncClient, draft: str
) -> None:
    token = csrf_token_in(await editor_session.get(draft))
    await editor_session.post(f"{draft}/publish", data={"csrf_token": token})
    again = await editor_session.post(f"{draft}/publish", data={"csrf_token": token})
    assert again.status_code == 409
    assert "a published campaign cannot become published" in again.text


async def test_logout_deletes_the_session(
    client: httpx.AsyncClient,
    editor_session: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    secret = client.cookies[STAFF_SESSION_COOKIE]
    refused = await client.post("/staff/logout", data={})
    assert refused.status_code == 403
    token = csrf_token_in(await client.get("/staff"))
    answer = await client.post("/staff/logout", data={"csrf_token": token})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/login"
    assert f'{STAFF_SESSION_COOKIE}=""' in answer.headers["set-cookie"]
    async with session_factory() as session:
        assert (await session.execute(select(StaffSession))).first() is None
    # The old token is worth nothing now, even if a copy was kept.
    client.cookies.set(STAFF_SESSION_COOKIE, secret)
    assert (await client.get("/staff")).status_code == 303


async def test_the_json_api_takes_no_session_cookie(editor_session: httpx.AsyncClient) -> None:
    answer = await editor_session.get("/api/v1/staff/campaigns")
    assert answer.status_code == 401


async def _user_token(
    factory: async_sessionmaker[AsyncSession], user: StaffUser, role: Role
) -> dict[str, str]:
    async with transaction(factory) as session:
        _token, secret = await create_token(session, name="laptop", role=role, user=user)
    return {"Authorization": f"Bearer {secret}"}


async def test_a_users_token_never_does_more_than_the_user(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    viewer = await make_user(email="viewer@example.org", role=Role.VIEWER)
    with pytest.raises(Forbidden):
        await _user_token(session_factory, viewer, Role.EDITOR)

    editor = await make_user(email="editor@example.org", role=Role.EDITOR)
    headers = await _user_token(session_factory, editor, Role.EDITOR)

    async def create(slug: str) -> httpx.Response:
        return await client.post(
            "/api/v1/staff/campaigns", json=petition_fields(slug=slug), headers=headers
        )

    assert (await create("first-one")).status_code == 201
    me = (await client.get("/api/v1/staff/me", headers=headers)).json()
    assert me["name"] == "laptop"

    # The user is given less: their token follows at once.
    async with session_factory() as session, session.begin():
        await session.execute(
            update(StaffUser).where(StaffUser.id == editor.id).values(role=Role.VIEWER.value)
        )
    assert (await create("second-one")).status_code == 403
    assert (await client.get("/api/v1/staff/campaigns", headers=headers)).status_code == 200


async def test_tokens_without_a_user_keep_working(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    answer = await client.post(
        "/api/v1/staff/campaigns", json=petition_fields(slug="older-token"), headers=editor
    )
    assert answer.status_code == 201
