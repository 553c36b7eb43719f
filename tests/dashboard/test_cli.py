"""`campaign staff create-user`: the password comes from a prompt or the environment,
never from the command line, and is never printed."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.staff.models import ApiToken, StaffUser

CAMPAIGN = [sys.executable, "-m", "campaign"]
PASSWORD = "a long enough password, from a script"


def _run(
    database_url: str, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env["CAMPAIGN_SECRET_KEY"] = os.environ["CAMPAIGN_SECRET_KEY"]  # the suite's (conftest)
    env["CAMPAIGN_DATABASE_URL"] = database_url
    if password is not None:
        env["CAMPAIGN_NEW_STAFF_PASSWORD"] = password
    return subprocess.run(
        [*CAMPAIGN, "staff", *args], env=env, capture_output=True, text=True, timeout=60
    )


async def test_create_user_takes_the_password_from_the_environment(
    database_url: str,
    client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    created = _run(
        database_url,
        "create-user",
        "--email",
        "Grace@Example.org",
        "--name",
        "Grace Hopper",
        "--role",
        "editor",
        password=PASSWORD,
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created grace@example.org (editor)"
    assert PASSWORD not in created.stdout + created.stderr

    async with session_factory() as session:
        user = (await session.execute(select(StaffUser))).scalar_one()
    assert (user.email, user.name, user.role) == ("grace@example.org", "Grace Hopper", "editor")

    logged_in = await client.post(
        "/staff/login", data={"email": "grace@example.org", "password": PASSWORD}
    )
    assert logged_in.status_code == 303

    token = _run(
        database_url,
        "create-token",
        "--name",
        "laptop",
        "--role",
        "editor",
        "--user",
        "grace@example.org",
    )
    assert token.returncode == 0, token.stderr
    async with session_factory() as session:
        stored = (await session.execute(select(ApiToken))).scalar_one()
    assert stored.user_id == user.id
    too_much = _run(
        database_url,
        "create-token",
        "--name",
        "x",
        "--role",
        "admin",
        "--user",
        "grace@example.org",
    )
    assert too_much.returncode == 1
    assert "cannot hold a token with the admin role" in too_much.stderr


async def test_create_user_refuses_a_short_password_without_showing_it(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    refused = _run(
        database_url,
        "create-user",
        "--email",
        "a@example.org",
        "--name",
        "A",
        password="tooshort99",
    )
    assert refused.returncode == 1
    assert "at least 12 characters" in refused.stderr
    assert "tooshort99" not in refused.stdout + refused.stderr
    async with session_factory() as session:
        assert (await session.execute(select(StaffUser))).first() is None


async def test_create_user_refuses_a_taken_email(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    args = ("create-user", "--email", "b@example.org", "--name", "B")
    assert _run(database_url, *args, password=PASSWORD).returncode == 0
    again = _run(database_url, *args, password=PASSWORD)
    assert again.returncode == 1
    assert "exists" in again.stderr


def test_the_password_cannot_be_given_as_an_option() -> None:
    answer = subprocess.run(
        [*CAMPAIGN, "staff", "create-user", "--help"], capture_output=True, text=True, timeout=60
    )
    assert "--password" not in answer.stdout
    assert "CAMPAIGN_NEW_STAFF_PASSWORD" in answer.stdout
