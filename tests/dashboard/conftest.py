"""Staff users, and clients logged in to the dashboard as them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import STAFF_SESSION_COOKIE
from campaign.db import transaction
from campaign.staff.models import Role, StaffUser
from campaign.staff.schemas import StaffUserCreate
from campaign.staff.users import create_user

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')

MakeUser = Callable[..., Awaitable[StaffUser]]
LogIn = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def make_user(session_factory: async_sessionmaker[AsyncSession]) -> MakeUser:
    async def make(
        email: str = "editor@example.org", role: Role = Role.EDITOR, password: str = PASSWORD
    ) -> StaffUser:
        data = StaffUserCreate(email=email, name=f"Test {role.value}", role=role, password=password)
        async with transaction(session_factory) as session:
            return await create_user(session, data)

    return make


@pytest.fixture
def log_in(client: httpx.AsyncClient) -> LogIn:
    """Posts the login form; the client keeps the cookie it is given."""

    async def post(email: str = "editor@example.org", password: str = PASSWORD) -> httpx.Response:
        return await client.post("/staff/login", data={"email": email, "password": password})

    return post


@pytest.fixture
async def editor_session(client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn) -> Any:
    await make_user()
    answer = await log_in()
    assert answer.status_code == 303, answer.text
    assert client.cookies.get(STAFF_SESSION_COOKIE)
    return client


def csrf_token_in(page: httpx.Response) -> str:
    match = CSRF_FIELD.search(page.text)
    assert match, "no CSRF field on the page"
    return match.group(1)
