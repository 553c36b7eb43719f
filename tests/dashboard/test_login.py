"""Logging in: passwords, the one answer to every failure, lock-out, the session cookie."""

from __future__ import annotations

from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.deps import STAFF_SESSION_COOKIE
from campaign.db import utcnow
from campaign.staff import passwords
from campaign.staff.models import Role, StaffSession, StaffUser
from campaign.staff.users import LOCK_OUT_FOR, MAX_FAILED_ATTEMPTS
from tests.dashboard.conftest import PASSWORD, LogIn, MakeUser


def _set_cookie(answer: httpx.Response) -> Any:
    cookie = SimpleCookie()
    cookie.load(answer.headers["set-cookie"])
    return cookie[STAFF_SESSION_COOKIE]


async def _user(factory: async_sessionmaker[AsyncSession], email: str) -> StaffUser:
    async with factory() as session:
        return (
            await session.execute(select(StaffUser).where(StaffUser.email == email))
        ).scalar_one()


async def test_the_right_password_starts_a_session(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await make_user(email="Press.Office@Example.org")
    answer = await log_in(email="  press.office@example.ORG ", password=PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff"

    home = await client.get("/staff")
    assert home.status_code == 200
    assert "Test editor (editor)" in home.text
    assert home.headers["cache-control"] == "no-store"

    user = await _user(session_factory, "press.office@example.org")
    assert user.last_login_at is not None
    async with session_factory() as session:
        [stored] = (await session.execute(select(StaffSession))).scalars().all()
    secret = client.cookies[STAFF_SESSION_COOKIE]
    assert stored.user_id == user.id
    assert secret not in stored.token_hash
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")


async def test_a_wrong_password_is_refused_without_a_cookie(
    client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn
) -> None:
    await make_user()
    answer = await log_in(password="not the password at all")
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers
    assert "did not let you in" in answer.text
    assert (await client.get("/staff")).status_code == 303


async def test_unknown_email_and_wrong_password_look_the_same(
    make_user: MakeUser, log_in: LogIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_user(email="known@example.org")
    # Timing is made equal by doing the same work: each attempt runs one argon2 check.
    # Counted rather than timed, since a clock on a shared machine is too noisy to assert on.
    checks: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checks.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())

    known = await log_in(email="known@example.org", password="a wrong password here")
    assert len(checks) == 1
    unknown = await log_in(email="nobody@example.org", password="a wrong password here")
    assert len(checks) == 2
    assert checks[0] != checks[1]  # the unknown address was checked against the dummy hash

    def shape(answer: httpx.Response, email: str) -> tuple[int, str, dict[str, str]]:
        # Every answer has its own request id; nothing else may differ.
        headers = {
            k: v for k, v in answer.headers.items() if k not in {"content-length", "x-request-id"}
        }
        return answer.status_code, answer.text.replace(email, "EMAIL"), headers

    assert shape(known, "known@example.org") == shape(unknown, "nobody@example.org")


async def test_a_login_posted_from_another_site_is_refused(
    make_user: MakeUser, client: httpx.AsyncClient
) -> None:
    # Login CSRF: another site must not sign a browser in to an account of its choosing.
    await make_user(email="known@example.org")
    answer = await client.post(
        "/staff/login",
        data={"email": "known@example.org", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers
    fetched = await client.post(
        "/staff/login",
        data={"email": "known@example.org", "password": PASSWORD},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "null"},
    )
    assert fetched.status_code == 403


async def test_repeated_failures_lock_the_account_for_a_while(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await make_user(email="target@example.org")
    await make_user(email="bystander@example.org")
    for _ in range(MAX_FAILED_ATTEMPTS):
        assert (
            await log_in(email="target@example.org", password="guess guess guess")
        ).status_code == 401

    locked = await log_in(email="target@example.org", password=PASSWORD)
    wrong = await log_in(email="target@example.org", password="guess guess guess")
    assert locked.status_code == wrong.status_code == 401
    assert locked.text == wrong.text  # a locked account says nothing more than a wrong password
    user = await _user(session_factory, "target@example.org")
    assert user.locked_until is not None
    assert user.locked_until - utcnow() > LOCK_OUT_FOR - timedelta(minutes=1)

    # Counted per user: someone else's account is not locked.
    assert (await log_in(email="bystander@example.org")).status_code == 303

    async with session_factory() as session, session.begin():
        await session.execute(
            update(StaffUser)
            .where(StaffUser.id == user.id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
    assert (await log_in(email="target@example.org")).status_code == 303
    user = await _user(session_factory, "target@example.org")
    assert user.failed_attempts == 0


async def test_failures_below_the_limit_are_forgotten_after_a_success(
    make_user: MakeUser, log_in: LogIn, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await make_user()
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        await log_in(password="almost but not quite")
    assert (await log_in()).status_code == 303
    assert (await _user(session_factory, "editor@example.org")).failed_attempts == 0
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        await log_in(password="almost but not quite")
    assert (await log_in()).status_code == 303


async def test_the_session_cookie_is_httponly_lax_and_site_wide(
    make_user: MakeUser, log_in: LogIn
) -> None:
    await make_user()
    cookie = _set_cookie(await log_in())
    assert cookie["httponly"]
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert not cookie["secure"]  # plain HTTP here: a Secure cookie would never come back


async def test_the_cookie_is_secure_over_https(app: Any, make_user: MakeUser) -> None:
    await make_user()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://campaign.test") as https:
        answer = await https.post(
            "/staff/login", data={"email": "editor@example.org", "password": PASSWORD}
        )
    assert _set_cookie(answer)["secure"]


async def test_the_cookie_is_secure_behind_a_trusted_https_proxy(
    app: Any, make_user: MakeUser
) -> None:
    # What `campaign serve` does with CAMPAIGN_FORWARDED_ALLOW_IPS: uvicorn believes the
    # proxy's X-Forwarded-Proto, so the app sees https.
    await make_user()
    behind_proxy = ProxyHeadersMiddleware(app, trusted_hosts="127.0.0.1")
    transport = httpx.ASGITransport(app=behind_proxy, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as http:
        form = {"email": "editor@example.org", "password": PASSWORD}
        proxied = await http.post("/staff/login", data=form, headers={"X-Forwarded-Proto": "https"})
        direct = await http.post("/staff/login", data=form)
    assert _set_cookie(proxied)["secure"]
    assert not _set_cookie(direct)["secure"]


async def test_an_old_hash_is_replaced_at_login(
    make_user: MakeUser, log_in: LogIn, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user = await make_user()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with session_factory() as session, session.begin():
        await session.execute(
            update(StaffUser).where(StaffUser.id == user.id).values(password_hash=weak)
        )
    assert (await log_in()).status_code == 303
    stored = (await _user(session_factory, user.email)).password_hash
    assert stored != weak
    assert not PasswordHasher().check_needs_rehash(stored)


async def test_an_expired_or_idle_session_sends_the_browser_to_log_in(
    client: httpx.AsyncClient,
    editor_session: httpx.AsyncClient,
    log_in: LogIn,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert (await client.get("/staff")).status_code == 200
    async with session_factory() as session, session.begin():
        await session.execute(
            update(StaffSession).values(last_seen_at=utcnow() - timedelta(hours=2))
        )
    answer = await client.get("/staff/releases")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/login?next=%2Fstaff%2Freleases"
    # The ended session is cleared away when its user logs in again.
    assert (await log_in()).status_code == 303
    async with session_factory() as session:
        assert len((await session.execute(select(StaffSession))).all()) == 1


async def test_login_returns_only_to_dashboard_pages(
    make_user: MakeUser, client: httpx.AsyncClient
) -> None:
    await make_user()
    form = {"email": "editor@example.org", "password": PASSWORD}
    inside = await client.post("/staff/login", data=form | {"next": "/staff/releases"})
    assert inside.headers["location"] == "/staff/releases"
    outside = await client.post("/staff/login", data=form | {"next": "//evil.example/staff"})
    assert outside.headers["location"] == "/staff"


async def test_short_passwords_are_refused(make_user: MakeUser) -> None:
    import pydantic

    with pytest.raises(pydantic.ValidationError, match="at least 12 characters"):
        await make_user(password="short pass1")
    assert Role.VIEWER  # roles are the API tokens' roles
