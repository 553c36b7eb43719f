"""The people who use the workspace, over HTTP against the real app: admins invite,
change roles, deactivate, reactivate and reset passwords on /staff/users; the emailed
link sets a password once, before it expires; everyone manages their own API tokens on
/staff/tokens and sees a new token's secret once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.dashboard.account import LOGIN_REFUSED
from campaign.db import transaction, utcnow
from campaign.outbox.models import OutboxMessage
from campaign.staff.models import ApiToken, PasswordLink, Role, StaffSession, StaffUser
from campaign.staff.service import create_token
from tests.dashboard.conftest import PASSWORD, LogIn, MakeUser, csrf_token_in
from tests.fixtures.emails import text_body

NEW_PASSWORD = "a brand new passphrase for the workspace"
WELCOME_LINK = re.compile(r"https?://[^/\s]+(/staff/welcome/[A-Za-z0-9_\-]+)")
TOKEN_SECRET = re.compile(r"cmp_[A-Za-z0-9_\-]{20,}")

Deliver = Callable[[], Awaitable[list[Any]]]


@pytest.fixture
async def admin_client(client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn) -> Any:
    await make_user("admin@example.org", Role.ADMIN)
    assert (await log_in("admin@example.org")).status_code == 303
    return client


@pytest.fixture
async def other_browser(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser with its own cookies: the person the admin acts on."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as other:
        yield other


async def _log_in(browser: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await browser.post("/staff/login", data={"email": email, "password": password})


async def _post(client: httpx.AsyncClient, path: str, **fields: str) -> httpx.Response:
    """A form as the page sends it: with the CSRF token of the page it is on."""
    token = csrf_token_in(await client.get("/staff/tokens"))
    return await client.post(path, data={"csrf_token": token, **fields})


async def _invite(
    client: httpx.AsyncClient, email: str = "ana@example.org", role: str = "editor"
) -> httpx.Response:
    return await _post(client, "/staff/users", name="Ana Silva", email=email, role=role)


async def _user(factory: async_sessionmaker[AsyncSession], email: str) -> StaffUser:
    async with factory() as session:
        return (
            await session.execute(select(StaffUser).where(StaffUser.email == email))
        ).scalar_one()


def _link_in(message: EmailMessage) -> str:
    match = WELCOME_LINK.search(text_body(message))
    assert match, "no welcome link in the email"
    return match.group(1)


async def _only_link(deliver: Deliver, to: str) -> str:
    [message] = [m for m in await deliver() if to in str(m["To"])]
    return _link_in(message)


async def _set_password(
    browser: httpx.AsyncClient, link: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    return await browser.post(link, data={"password": password, "password_confirmation": password})


# --- Invitations ---------------------------------------------------------------------------


async def test_an_invitation_link_sets_a_password_once(
    admin_client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    answer = await _invite(admin_client, email="  Ana@Example.org ")
    assert answer.status_code == 303
    ana = await _user(session_factory, "ana@example.org")
    assert answer.headers["location"] == f"/staff/users?done=invited&user={ana.id}"
    listed = await admin_client.get(answer.headers["location"])
    assert "An invitation was sent to ana@example.org" in listed.text
    assert 'status-invited">invited<' in listed.text
    assert ana.password_hash is None and ana.role == "editor"

    [message] = await deliver_emails()
    assert message["To"].addresses[0].addr_spec == "ana@example.org"
    assert "invited" in message["Subject"]
    assert "Test admin has invited you" in text_body(message)
    link = _link_in(message)
    secret = link.rpartition("/")[2]
    async with session_factory() as session:
        [stored] = (await session.execute(select(PasswordLink))).scalars().all()
        [outbox] = (await session.execute(select(OutboxMessage))).scalars().all()
    assert stored.token_hash != secret and secret not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(hours=72)
    # Sent: the secret is gone from the outbox row too.
    assert "token" not in outbox.context and secret not in str(outbox.context)

    # An invited account cannot log in before its password is chosen.
    refused = await _log_in(other_browser, "ana@example.org", NEW_PASSWORD)
    assert refused.status_code == 401

    welcome = await other_browser.get(link)
    assert welcome.status_code == 200
    assert "Welcome, Ana Silva" in welcome.text
    assert welcome.headers["cache-control"] == "no-store"
    chosen = await _set_password(other_browser, link)
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/staff/password-set"
    done = await other_browser.get("/staff/password-set")
    assert done.status_code == 200 and 'href="/staff/login"' in done.text

    assert (await _log_in(other_browser, "ana@example.org", NEW_PASSWORD)).status_code == 303
    assert "Ana Silva (editor)" in (await other_browser.get("/staff")).text
    assert 'status-active">active<' in (await admin_client.get("/staff/users")).text

    # Once: the link is spent, whether looked at or posted again.
    again = await other_browser.get(link)
    assert again.status_code == 404
    assert "This link no longer works" in again.text
    reposted = await _set_password(other_browser, link, "someone else's new password")
    assert reposted.status_code == 404
    assert (await _log_in(other_browser, "ana@example.org", NEW_PASSWORD)).status_code == 303


async def test_an_invitation_link_expires(
    admin_client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _invite(admin_client)
    link = await _only_link(deliver_emails, "ana@example.org")
    assert (await other_browser.get(link)).status_code == 200
    async with transaction(session_factory) as session:
        await session.execute(
            update(PasswordLink).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await other_browser.get(link)).status_code == 404
    assert (await _set_password(other_browser, link)).status_code == 404
    assert (await _user(session_factory, "ana@example.org")).password_hash is None


async def test_an_address_that_has_an_account_is_refused_beside_the_email(
    admin_client: httpx.AsyncClient,
    make_user: MakeUser,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await make_user("lin@example.org", Role.VIEWER)
    answer = await _invite(admin_client, email="LIN@example.org")
    assert answer.status_code == 409
    assert re.search(
        r'<span class="error" id="email-error">.*An account with this email address already exists',
        answer.text,
    )
    assert re.search(r'id="email"[^>]*aria-describedby="email-error"', answer.text)
    assert 'value="LIN@example.org"' in answer.text  # what was typed stays in the form
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await session.scalar(select(func.count()).select_from(PasswordLink)) == 0


async def test_an_invitation_form_left_wrong_says_so_beside_each_field(
    admin_client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    answer = await _post(admin_client, "/staff/users", name=" ", email="not an address", role="x")
    assert answer.status_code == 422
    assert re.search(r'id="name-error">.*Enter their name\.', answer.text)
    assert re.search(r'id="email-error">.*email address', answer.text)
    assert re.search(r'id="role-error">.*Choose a role\.', answer.text)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(StaffUser)) == 1


async def test_a_new_password_follows_the_rules_of_create_user(
    admin_client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _invite(admin_client)
    link = await _only_link(deliver_emails, "ana@example.org")
    short = await _set_password(other_browser, link, "too short")
    assert short.status_code == 422
    assert re.search(r'id="password-error">.*at least 12 characters', short.text)
    assert "too short" not in short.text  # a password is never sent back into the page
    mismatched = await other_browser.post(
        link, data={"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD + "!"}
    )
    assert mismatched.status_code == 422
    assert re.search(r'id="password_confirmation-error">.*Type the same', mismatched.text)
    # Refusals do not spend the link.
    assert (await _set_password(other_browser, link)).status_code == 303
    assert (await _user(session_factory, "ana@example.org")).password_hash is not None


# --- Who may do what -----------------------------------------------------------------------

ADMIN_POSTS = ["/role", "/deactivate", "/reactivate", "/reset-password"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
async def test_only_admins_see_and_change_users(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    session_factory: async_sessionmaker[AsyncSession],
    role: Role,
) -> None:
    target = await make_user("target@example.org", Role.VIEWER)
    await make_user("someone@example.org", role)
    assert (await log_in("someone@example.org")).status_code == 303
    assert (await client.get("/staff/users")).status_code == 403
    assert (await client.get(f"/staff/users/{target.id}/deactivate")).status_code == 403
    assert 'href="/staff/users"' not in (await client.get("/staff")).text

    invited = await _invite(client)
    assert invited.status_code == 403
    for action in ADMIN_POSTS:
        answer = await _post(client, f"/staff/users/{target.id}{action}", role="admin")
        assert answer.status_code == 403, action
    after = await _user(session_factory, "target@example.org")
    assert (after.role, after.deactivated_at) == ("viewer", None)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(StaffUser)) == 2
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
async def test_user_forms_without_the_sessions_csrf_token_are_refused(
    admin_client: httpx.AsyncClient,
    make_user: MakeUser,
    session_factory: async_sessionmaker[AsyncSession],
    csrf: str | None,
) -> None:
    target = await make_user("target@example.org", Role.VIEWER)
    form = {"name": "Ana", "email": "ana@example.org", "role": "admin"}
    if csrf is not None:
        form["csrf_token"] = csrf
    for path in ["/staff/users", *(f"/staff/users/{target.id}{a}" for a in ADMIN_POSTS)]:
        answer = await admin_client.post(path, data=form)
        assert answer.status_code == 403, path
    for path in ["/staff/tokens", "/staff/tokens/1/revoke"]:
        assert (await admin_client.post(path, data=form)).status_code == 403, path
    after = await _user(session_factory, "target@example.org")
    assert (after.role, after.deactivated_at) == ("viewer", None)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(StaffUser)) == 2
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 0


# --- Roles and the last admin --------------------------------------------------------------


async def test_an_admin_changes_a_role_and_the_users_token_follows(
    admin_client: httpx.AsyncClient,
    make_user: MakeUser,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    editor = await make_user("editor@example.org", Role.EDITOR)
    headers = await _token_of(session_factory, editor, Role.EDITOR)
    answer = await _post(admin_client, f"/staff/users/{editor.id}/role", role="viewer")
    assert answer.status_code == 303
    page = await admin_client.get(answer.headers["location"])
    assert "Test editor now has the viewer role." in page.text
    assert (await _user(session_factory, "editor@example.org")).role == "viewer"
    body = {"slug": "s", "title": "T", "summary": "S", "body_markdown": "B", "target": "X"}
    refused = await admin_client.post("/api/v1/staff/campaigns", json=body, headers=headers)
    assert refused.status_code == 403

    unknown = await _post(admin_client, f"/staff/users/{editor.id}/role", role="owner")
    assert unknown.status_code == 422
    assert f'id="role-{editor.id}-error"' in unknown.text
    assert (await _post(admin_client, "/staff/users/999999/role", role="viewer")).status_code == 404


async def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(
    admin_client: httpx.AsyncClient,
    make_user: MakeUser,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    me = await _user(session_factory, "admin@example.org")
    # An invited admin is no admin yet: they cannot log in to manage anyone.
    await _invite(admin_client, email="future.admin@example.org", role="admin")

    demoted = await _post(admin_client, f"/staff/users/{me.id}/role", role="editor")
    assert demoted.status_code == 409
    assert re.search(rf'id="role-{me.id}"[^>]*aria-describedby="role-{me.id}-error"', demoted.text)
    assert "Test admin is the last active admin: make someone else an admin first" in demoted.text

    confirm = await admin_client.get(f"/staff/users/{me.id}/deactivate")
    assert "This is your own account" in confirm.text
    deactivated = await _post(admin_client, f"/staff/users/{me.id}/deactivate")
    assert deactivated.status_code == 409
    assert "is the last active admin" in deactivated.text
    after = await _user(session_factory, "admin@example.org")
    assert (after.role, after.deactivated_at) == ("admin", None)

    # With another active admin, stepping down is allowed.
    await make_user("second.admin@example.org", Role.ADMIN)
    stepped_down = await _post(admin_client, f"/staff/users/{me.id}/role", role="editor")
    assert stepped_down.status_code == 303
    assert (await _user(session_factory, "admin@example.org")).role == "editor"
    # The page that comes next is not an admin's any more.
    assert (await admin_client.get(stepped_down.headers["location"])).status_code == 403


# --- Deactivation --------------------------------------------------------------------------


async def test_deactivation_stops_the_open_session_and_the_token_at_once(
    admin_client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    make_user: MakeUser,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    editor = await make_user("editor@example.org", Role.EDITOR)
    headers = await _token_of(session_factory, editor, Role.EDITOR)
    assert (await _log_in(other_browser, "editor@example.org", PASSWORD)).status_code == 303
    assert (await other_browser.get("/staff")).status_code == 200
    assert (await admin_client.get("/api/v1/staff/me", headers=headers)).status_code == 200

    confirm = await admin_client.get(f"/staff/users/{editor.id}/deactivate")
    assert confirm.status_code == 200
    assert "Deactivate Test editor?" in confirm.text
    assert "their API tokens are refused" in confirm.text
    assert "Yes, deactivate Test editor" in confirm.text
    answer = await _post(admin_client, f"/staff/users/{editor.id}/deactivate")
    assert answer.status_code == 303
    page = await admin_client.get(answer.headers["location"])
    assert "Test editor is deactivated" in page.text
    assert 'status-deactivated">deactivated<' in page.text

    # The very next request of each is refused.
    refused = await other_browser.get("/staff")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/staff/login")
    assert (await admin_client.get("/api/v1/staff/me", headers=headers)).status_code == 401
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(StaffSession)) == 1

    # Logging in fails with the one message every failed login gets.
    login = await _log_in(other_browser, "editor@example.org", PASSWORD)
    assert login.status_code == 401
    assert LOGIN_REFUSED in login.text.replace("&#39;", "'")
    wrong = await _log_in(other_browser, "editor@example.org", "not the password at all")
    assert login.text == wrong.text

    again = await _post(admin_client, f"/staff/users/{editor.id}/reactivate")
    assert again.status_code == 303
    assert (
        "Test editor is active again." in (await admin_client.get(again.headers["location"])).text
    )
    assert (await _log_in(other_browser, "editor@example.org", PASSWORD)).status_code == 303
    assert (await admin_client.get("/api/v1/staff/me", headers=headers)).status_code == 200


async def test_a_deactivated_users_session_is_refused_even_if_its_row_survived(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # A login racing the deactivation could leave a session row: it opens nothing.
    await make_user()
    assert (await log_in()).status_code == 303
    async with transaction(session_factory) as session:
        await session.execute(update(StaffUser).values(deactivated_at=utcnow()))
    assert (await client.get("/staff")).status_code == 303


# --- Password resets -----------------------------------------------------------------------


async def test_a_password_reset_replaces_the_password_and_ends_the_sessions(
    admin_client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    make_user: MakeUser,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    editor = await make_user("editor@example.org", Role.EDITOR)
    assert (await _log_in(other_browser, "editor@example.org", PASSWORD)).status_code == 303

    answer = await _post(admin_client, f"/staff/users/{editor.id}/reset-password")
    assert answer.status_code == 303
    page = await admin_client.get(answer.headers["location"])
    assert "A link to choose a new password was sent to editor@example.org" in page.text
    [message] = await deliver_emails()
    assert "new password" in message["Subject"]
    link = _link_in(message)
    async with session_factory() as session:
        [stored] = (await session.execute(select(PasswordLink))).scalars().all()
    assert stored.purpose == "password_reset"

    # Until the new password is set, the old one works and the session goes on.
    assert (await other_browser.get("/staff")).status_code == 200
    welcome = await other_browser.get(link)
    assert "Choose a new password" in welcome.text
    assert (await _set_password(other_browser, link)).status_code == 303

    assert (await other_browser.get("/staff")).status_code == 303
    assert (await _log_in(other_browser, "editor@example.org", PASSWORD)).status_code == 401
    assert (await _log_in(other_browser, "editor@example.org", NEW_PASSWORD)).status_code == 303
    # Other users' sessions are untouched.
    assert (await admin_client.get("/staff/users")).status_code == 200


async def test_a_new_invitation_replaces_the_old_link(
    admin_client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _invite(admin_client)
    first = await _only_link(deliver_emails, "ana@example.org")
    ana = await _user(session_factory, "ana@example.org")
    answer = await _post(admin_client, f"/staff/users/{ana.id}/reset-password")
    page = await admin_client.get(answer.headers["location"])
    assert "A new invitation was sent to ana@example.org" in page.text
    links = [_link_in(m) for m in await deliver_emails()]
    assert len(links) == 2 and links[0] == first
    assert (await other_browser.get(first)).status_code == 404
    assert "Welcome, Ana Silva" in (await other_browser.get(links[1])).text


async def test_a_deactivated_user_gets_no_reset_and_their_links_die(
    admin_client: httpx.AsyncClient,
    other_browser: httpx.AsyncClient,
    deliver_emails: Deliver,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _invite(admin_client)
    link = await _only_link(deliver_emails, "ana@example.org")
    ana = await _user(session_factory, "ana@example.org")
    assert (await _post(admin_client, f"/staff/users/{ana.id}/deactivate")).status_code == 303
    assert (await other_browser.get(link)).status_code == 404
    refused = await _post(admin_client, f"/staff/users/{ana.id}/reset-password")
    assert refused.status_code == 409
    assert "reactivate it first" in refused.text
    assert f'id="user-{ana.id}-error"' in refused.text


# --- API tokens ----------------------------------------------------------------------------


async def test_a_new_tokens_secret_is_shown_once(
    editor_session: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    page = await editor_session.get("/staff/tokens")
    assert page.status_code == 200
    assert "You have no API tokens." in page.text
    assert '<option value="admin"' not in page.text  # no higher than the user's own role
    assert "Every token" not in page.text

    created = await _post(editor_session, "/staff/tokens", name="press laptop", role="viewer")
    assert created.status_code == 201
    assert "location" not in created.headers
    assert created.headers["cache-control"] == "no-store"
    [secret] = set(TOKEN_SECRET.findall(created.text))
    me = await editor_session.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["role"] == "viewer"

    later = await editor_session.get("/staff/tokens")
    assert secret not in later.text
    assert "press laptop" in later.text and secret[:12] in later.text
    async with session_factory() as session:
        [stored] = (await session.execute(select(ApiToken))).scalars().all()
    assert secret not in (stored.token_hash, stored.prefix)
    assert stored.user_id == (await _user(session_factory, "editor@example.org")).id


async def test_a_token_above_the_users_role_is_refused_beside_the_role(
    editor_session: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    above = await _post(editor_session, "/staff/tokens", name="too much", role="admin")
    assert above.status_code == 403
    assert re.search(r'id="role-error">.*cannot hold a token with the admin role', above.text)
    nameless = await _post(editor_session, "/staff/tokens", name="  ", role="viewer")
    assert nameless.status_code == 422
    assert re.search(r'id="name-error">.*Enter a name for the token\.', nameless.text)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 0


async def test_users_revoke_their_own_tokens_and_admins_any(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    other_browser: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    mine = await make_user("mine@example.org", Role.EDITOR)
    theirs = await make_user("theirs@example.org", Role.EDITOR)
    await make_user("admin@example.org", Role.ADMIN)
    my_headers = await _token_of(session_factory, mine, Role.EDITOR)
    their_headers = await _token_of(session_factory, theirs, Role.VIEWER)
    my_id, their_id = await _token_ids(session_factory)

    assert (await log_in("mine@example.org")).status_code == 303
    page = await client.get("/staff/tokens")
    assert f"/staff/tokens/{my_id}/revoke" in page.text
    assert f"/staff/tokens/{their_id}/revoke" not in page.text
    # Another user's token is not theirs to see or to revoke.
    assert (await _post(client, f"/staff/tokens/{their_id}/revoke")).status_code == 404
    assert (await client.get("/api/v1/staff/me", headers=their_headers)).status_code == 200

    revoked = await _post(client, f"/staff/tokens/{my_id}/revoke")
    assert revoked.status_code == 303 and revoked.headers["location"] == "/staff/tokens"
    assert (await client.get("/api/v1/staff/me", headers=my_headers)).status_code == 401
    assert "revoked " in (await client.get("/staff/tokens")).text

    assert (await _log_in(other_browser, "admin@example.org", PASSWORD)).status_code == 303
    every = await other_browser.get("/staff/tokens")
    assert "Every token" in every.text
    assert "Test editor (theirs@example.org)" in every.text
    assert (await _post(other_browser, f"/staff/tokens/{their_id}/revoke")).status_code == 303
    assert (await client.get("/api/v1/staff/me", headers=their_headers)).status_code == 401


async def _token_of(
    factory: async_sessionmaker[AsyncSession], user: StaffUser, role: Role
) -> dict[str, str]:
    async with transaction(factory) as session:
        _token, secret = await create_token(
            session, name=f"{user.email} laptop", role=role, user=user
        )
    return {"Authorization": f"Bearer {secret}"}


async def _token_ids(factory: async_sessionmaker[AsyncSession]) -> list[int]:
    async with factory() as session:
        return list(await session.scalars(select(ApiToken.id).order_by(ApiToken.id)))


async def test_the_users_page_says_only_its_own_sentences(admin_client: httpx.AsyncClient) -> None:
    page = await admin_client.get("/staff/users?done=<b>hacked</b>&user=1")
    assert page.status_code == 200
    assert "hacked" not in page.text and 'class="notice"' not in page.text
    assert (await admin_client.get(f"/staff/users?done=role&user={2**63}")).status_code == 422
    assert 'class="notice"' not in (await admin_client.get("/staff/users?done=role&user=77")).text
