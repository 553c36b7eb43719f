"""The staff users API (/api/v1/staff/users): admins list, invite, change roles,
deactivate, reactivate and send password resets; nobody else may; a deactivated
user's tokens are refused from the next request."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.errors import Unauthorized
from campaign.outbox.models import OutboxMessage
from campaign.staff.models import ApiToken, PasswordLink, Role, StaffUser
from campaign.staff.schemas import StaffUserCreate
from campaign.staff.service import authenticate_token, create_token, token_role
from campaign.staff.users import create_user

PASSWORD = "correct horse battery staple"
USERS = "/api/v1/staff/users"


async def _user_with_token(
    factory: async_sessionmaker[AsyncSession], email: str, role: Role
) -> tuple[StaffUser, dict[str, str]]:
    data = StaffUserCreate(
        email=email, name=email.split("@")[0].title(), role=role, password=PASSWORD
    )
    async with transaction(factory) as session:
        user = await create_user(session, data)
        _token, secret = await create_token(session, name="laptop", role=role, user=user)
    return user, {"Authorization": f"Bearer {secret}"}


def _invitation(**overrides: Any) -> dict[str, Any]:
    return {"name": "Ana Silva", "email": "ana@example.org", "role": "editor", **overrides}


async def _count(factory: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_admin_invites_and_lists_users(
    client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    deliver_emails: Any,
) -> None:
    _lin, admin = await _user_with_token(session_factory, "lin@example.org", Role.ADMIN)
    answer = await client.post(USERS, json=_invitation(email=" Ana@Example.org"), headers=admin)
    assert answer.status_code == 201, answer.text
    invited = answer.json()
    assert invited["email"] == "ana@example.org"
    assert (invited["role"], invited["status"], invited["last_login_at"]) == (
        "editor",
        "invited",
        None,
    )

    listed = await client.get(USERS, headers=admin)
    assert listed.status_code == 200
    assert [(u["email"], u["status"]) for u in listed.json()] == [
        ("ana@example.org", "invited"),
        ("lin@example.org", "active"),
    ]
    assert "password" not in listed.text

    [message] = await deliver_emails()
    assert "Lin has invited you" in message.get_body(("plain",)).get_content()
    assert re.search(r"/staff/welcome/[A-Za-z0-9_\-]{40,}", str(message.get_body(("plain",))))


async def test_an_invitation_is_checked_like_any_input(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert (await client.post(USERS, json=_invitation(), headers=admin)).status_code == 201
    again = await client.post(USERS, json=_invitation(email="ANA@example.org"), headers=admin)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["field"] == "email"
    assert "already exists" in again.json()["detail"]

    for body, field in [
        (_invitation(email="nobody"), "email"),
        (_invitation(role="owner"), "role"),
        (_invitation(name=""), "name"),
        (_invitation(name="x" * 101), "name"),
        (_invitation(password="chosen by the admin"), "password"),
        ({"name": "Ana"}, "email"),
    ]:
        answer = await client.post(USERS, json=body, headers=admin)
        assert answer.status_code == 422, body
        assert answer.json()["field"] == field, answer.json()
    assert await _count(session_factory, StaffUser) == 1
    assert await _count(session_factory, OutboxMessage) == 1


async def test_roles_deactivation_and_reactivation(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    editor, editor_token = await _user_with_token(session_factory, "ed@example.org", Role.EDITOR)
    path = f"{USERS}/{editor.id}"

    changed = await client.post(f"{path}/role", json={"role": "viewer"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"
    bad = await client.post(f"{path}/role", json={"role": "owner"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "role"

    assert (await client.get("/api/v1/staff/me", headers=editor_token)).status_code == 200
    deactivated = await client.post(f"{path}/deactivate", headers=admin)
    assert deactivated.status_code == 200
    assert deactivated.json()["status"] == "deactivated"
    assert deactivated.json()["deactivated_at"] is not None
    refused = await client.get("/api/v1/staff/me", headers=editor_token)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    # Twice is the same as once.
    assert (await client.post(f"{path}/deactivate", headers=admin)).status_code == 200

    reactivated = await client.post(f"{path}/reactivate", headers=admin)
    assert reactivated.status_code == 200 and reactivated.json()["status"] == "active"
    assert (await client.get("/api/v1/staff/me", headers=editor_token)).status_code == 200


async def test_both_token_checks_refuse_a_deactivated_users_token(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    editor, headers = await _user_with_token(session_factory, "ed@example.org", Role.EDITOR)
    secret = headers["Authorization"].removeprefix("Bearer ")
    assert (await client.post(f"{USERS}/{editor.id}/deactivate", headers=admin)).status_code == 200
    async with session_factory() as session:
        assert await authenticate_token(session, secret) is None
        token = (
            await session.execute(select(ApiToken).where(ApiToken.user_id == editor.id))
        ).scalar_one()
        with pytest.raises(Unauthorized):
            await token_role(session, token)


async def test_a_password_reset_is_sent_by_email(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    deliver_emails: Any,
) -> None:
    editor, _headers = await _user_with_token(session_factory, "ed@example.org", Role.EDITOR)
    reset = await client.post(f"{USERS}/{editor.id}/reset-password", headers=admin)
    assert reset.status_code == 202
    assert reset.json()["purpose"] == "password_reset"
    assert reset.json()["user"]["status"] == "active"

    invited = (await client.post(USERS, json=_invitation(), headers=admin)).json()
    again = await client.post(f"{USERS}/{invited['id']}/reset-password", headers=admin)
    assert again.json()["purpose"] == "invitation"
    subjects = sorted(str(m["Subject"]) for m in await deliver_emails())
    assert len(subjects) == 3
    assert subjects[0].startswith("Choose a new password")
    # Each user holds one working link: the newest.
    assert await _count(session_factory, PasswordLink) == 2

    await client.post(f"{USERS}/{editor.id}/deactivate", headers=admin)
    refused = await client.post(f"{USERS}/{editor.id}/reset-password", headers=admin)
    assert refused.status_code == 409 and refused.json()["field"] == "user_id"


async def test_the_last_active_admin_keeps_the_role(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    lin, lins_token = await _user_with_token(session_factory, "lin@example.org", Role.ADMIN)
    for action, body in [("role", {"role": "editor"}), ("deactivate", None)]:
        # Even a token of no user (made on the command line) cannot leave no admin.
        for headers in (admin, lins_token):
            answer = await client.post(f"{USERS}/{lin.id}/{action}", json=body, headers=headers)
            assert answer.status_code == 409, answer.text
            assert "last active admin" in answer.json()["detail"]

    second, _ = await _user_with_token(session_factory, "kim@example.org", Role.ADMIN)
    demoted = await client.post(f"{USERS}/{lin.id}/role", json={"role": "editor"}, headers=admin)
    assert demoted.status_code == 200
    last = await client.post(f"{USERS}/{second.id}/deactivate", headers=admin)
    assert last.status_code == 409


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
async def test_only_admins_manage_users(
    client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession], role: Role
) -> None:
    target, _ = await _user_with_token(session_factory, "target@example.org", Role.VIEWER)
    _someone, headers = await _user_with_token(session_factory, "someone@example.org", role)
    calls = [
        ("GET", USERS, None),
        ("POST", USERS, _invitation()),
        ("POST", f"{USERS}/{target.id}/role", {"role": "admin"}),
        ("POST", f"{USERS}/{target.id}/deactivate", None),
        ("POST", f"{USERS}/{target.id}/reactivate", None),
        ("POST", f"{USERS}/{target.id}/reset-password", None),
    ]
    for method, url, body in calls:
        answer = await client.request(method, url, json=body, headers=headers)
        assert answer.status_code == 403, f"{method} {url}"
    async with session_factory() as session:
        stored = await session.get(StaffUser, target.id)
        assert stored is not None and (stored.role, stored.deactivated_at) == ("viewer", None)
    assert await _count(session_factory, StaffUser) == 2
    assert await _count(session_factory, OutboxMessage) == 0


async def test_user_ids_in_paths_are_bounded_and_must_exist(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    missing = await client.post(f"{USERS}/4242/deactivate", headers=admin)
    assert missing.status_code == 404 and missing.json()["field"] == "user_id"
    huge = await client.post(f"{USERS}/{2**63}/deactivate", headers=admin)
    assert huge.status_code == 422 and huge.json()["field"] == "user_id"
    token = await client.post(f"/api/v1/staff/tokens/{2**63}/revoke", headers=admin)
    assert token.status_code == 422 and token.json()["field"] == "token_id"
