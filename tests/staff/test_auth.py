"""Every route that is not deliberately public needs staff authentication with the right
role: a bearer token for the API, a logged-in session for the dashboard's pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import BaseRoute, Route

from api.app import create_app
from campaign.staff.models import ApiToken

# (method, path) pairs anyone may call. Adding a route here is a decision to review.
PUBLIC_ROUTES = {
    ("GET", "/openapi.json"),
    ("GET", "/healthz"),
    # Readiness for load balancers: says only whether the database answers (tests/api).
    ("GET", "/readyz"),
    # The front page: the published campaigns and a link to /staff (tests/test_home.py).
    ("GET", "/"),
    ("GET", "/api/v1/campaigns/{slug}"),
    ("POST", "/api/v1/campaigns/{slug}/signatures"),
    ("POST", "/api/v1/signatures/confirm"),
    ("GET", "/confirm/{token}"),
    # Letters: finding officials (never their addresses), writing, confirming, and the
    # activist's own letter behind its unguessable link (tests/letters).
    ("GET", "/api/v1/campaigns/{slug}/officials"),
    ("POST", "/api/v1/campaigns/{slug}/letters"),
    ("POST", "/api/v1/letters/confirm"),
    ("GET", "/letters/confirm/{token}"),
    ("GET", "/api/v1/letters/{token}"),
    ("GET", "/letters/{token}"),
    # A letter's follow-up: the signed link answers whether an official replied; its GET
    # only shows the button (tests/followups).
    ("GET", "/letters/followup/{token}"),
    ("POST", "/letters/followup/{token}"),
    # Donations: what the form may offer, starting a Checkout, the page it returns to.
    ("GET", "/api/v1/campaigns/{slug}/donations/options"),
    ("POST", "/api/v1/campaigns/{slug}/donations"),
    ("GET", "/donations/thanks"),
    # The campaign page's view beacon: one anonymous row per view (tests/metrics).
    ("POST", "/api/v1/campaigns/{slug}/views"),
    # The public web pages: what the API above offers, as HTML forms for people. Their
    # posts carry a signed form token instead of a login (tests/pages).
    ("GET", "/c/{slug}"),
    ("POST", "/c/{slug}/sign"),
    ("POST", "/c/{slug}/letter"),
    ("POST", "/c/{slug}/donate"),
    ("GET", "/c/{slug}/sent"),
    ("GET", "/embed/{slug}"),
    ("POST", "/embed/{slug}/sign"),
    ("GET", "/embed/{slug}/sent"),
    # Authenticated by the provider's signature instead (tests/inbox, tests/donations).
    ("POST", "/webhooks/sendgrid"),
    ("POST", "/webhooks/stripe"),
    # The signed token in the link is the authorisation (tests/emails/test_unsubscribe.py).
    ("GET", "/unsubscribe/{token}"),
    ("POST", "/unsubscribe/{token}"),
    # The staff dashboard's login form (tests/dashboard/test_login.py).
    ("GET", "/staff/login"),
    ("POST", "/staff/login"),
    # An invitation or password reset: the emailed single-use link is the authorisation,
    # and the page after it only says to log in (tests/dashboard/test_people_pages.py).
    ("GET", "/staff/welcome/{secret}"),
    ("POST", "/staff/welcome/{secret}"),
    ("GET", "/staff/password-set"),
    # A person's own data: asking answers the same for every address, and the emailed
    # expiring link is the authorisation (tests/privacy/test_self_service.py).
    ("GET", "/my-data"),
    ("POST", "/my-data"),
    ("GET", "/my-data/{token}"),
    ("POST", "/my-data/{token}/download"),
    ("GET", "/my-data/{token}/erase"),
    ("POST", "/my-data/{token}/erase"),
}

# The staff dashboard: HTML pages, where a browser without a session is sent to log in.
DASHBOARD_PREFIX = "/staff"


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Each route with the path it answers on: an included router's routes keep their
    own path, and the prefixes they were included under are added here."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def all_routes() -> list[tuple[str, str, Route]]:
    found = []
    for path, route in _walk(create_app().routes):
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, path, route))
    return found


def _staff_roles(route: APIRoute) -> set[str]:
    roles = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        role = getattr(dependency.call, "staff_role", None)
        if role is not None:
            roles.add(role.value)
        stack.extend(dependency.dependencies)
    return roles


def test_the_route_walk_finds_the_routes() -> None:
    paths = {(method, path) for method, path, _ in all_routes()}
    assert paths >= PUBLIC_ROUTES
    assert ("POST", "/api/v1/staff/campaigns") in paths
    assert len(paths) > len(PUBLIC_ROUTES) + 5


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [r for r in all_routes() if (r[0], r[1]) not in PUBLIC_ROUTES],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_every_other_route_requires_a_staff_token(
    client: httpx.AsyncClient, admin: dict, method: str, path: str, route: Route
) -> None:
    assert isinstance(route, APIRoute)
    assert _staff_roles(route), f"{method} {path} has no staff authentication dependency"

    url = re.sub(r"\{[^}]+\}", "1", path)
    if path == DASHBOARD_PREFIX or path.startswith(DASHBOARD_PREFIX + "/"):
        await _refused_without_a_session(client, admin, method, url)
        return
    anonymous = await client.request(method, url, json={})
    assert anonymous.status_code == 401, f"{method} {path} answered {anonymous.status_code}"
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")

    forged = await client.request(
        method, url, json={}, headers={"Authorization": "Bearer cmp_forged-token-value"}
    )
    assert forged.status_code == 401


async def _refused_without_a_session(
    client: httpx.AsyncClient, admin: dict, method: str, url: str
) -> None:
    """A dashboard page sends a browser without a live session to the login form, and
    does nothing else: neither a forged cookie nor even a valid API token opens it (the
    dashboard's forms are guarded by per-session CSRF tokens, which a token never has)."""
    attempts = [
        {},
        {"Cookie": "campaign_staff=forged-session-token"},
        admin,
    ]
    for headers in attempts:
        answer = await client.request(method, url, data={}, headers=headers)
        assert answer.status_code == 303, f"{method} {url} answered {answer.status_code}"
        assert answer.headers["location"].startswith("/staff/login"), answer.headers["location"]


async def test_roles_are_ordered_viewer_editor_admin(
    client: httpx.AsyncClient, viewer: dict, editor: dict, admin: dict
) -> None:
    body = {
        "slug": "a-petition",
        "title": "T",
        "summary": "S",
        "body_markdown": "B",
        "target": "All states",
    }
    forbidden = await client.post("/api/v1/staff/campaigns", json=body, headers=viewer)
    assert forbidden.status_code == 403
    assert (await client.get("/api/v1/staff/campaigns", headers=viewer)).status_code == 200
    assert (
        await client.post("/api/v1/staff/campaigns", json=body, headers=editor)
    ).status_code == 201
    assert (await client.get("/api/v1/staff/tokens", headers=editor)).status_code == 403
    assert (await client.get("/api/v1/staff/tokens", headers=admin)).status_code == 200


async def test_a_token_is_shown_once_stored_hashed_and_revocable(
    client: httpx.AsyncClient,
    admin: dict,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    created = await client.post(
        "/api/v1/staff/tokens", json={"name": "press office", "role": "viewer"}, headers=admin
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    headers = {"Authorization": f"Bearer {secret}"}
    me = await client.get("/api/v1/staff/me", headers=headers)
    assert me.json()["name"] == "press office"
    assert "token" not in me.json()

    listed = await client.get("/api/v1/staff/tokens", headers=admin)
    assert secret not in listed.text
    async with session_factory() as session:
        stored = list((await session.execute(select(ApiToken))).scalars())
    assert all(secret not in (t.token_hash, t.prefix) for t in stored)

    token_id = created.json()["id"]
    revoked = await client.post(f"/api/v1/staff/tokens/{token_id}/revoke", headers=admin)
    assert revoked.json()["revoked_at"] is not None
    assert (await client.get("/api/v1/staff/me", headers=headers)).status_code == 401


async def test_a_draft_slug_cannot_be_probed_without_a_token(
    client: httpx.AsyncClient, editor: dict
) -> None:
    body = {
        "slug": "secret-plan",
        "title": "T",
        "summary": "S",
        "body_markdown": "B",
        "target": "X",
    }
    await client.post("/api/v1/staff/campaigns", json=body, headers=editor)
    existing = await client.get("/api/v1/staff/campaigns/secret-plan")
    missing = await client.get("/api/v1/staff/campaigns/no-such-plan")
    assert existing.status_code == missing.status_code == 401


def test_helpers_see_the_marker(monkeypatch: Any) -> None:
    # Guard against the walk passing vacuously: a route without the marker is caught.
    from fastapi import FastAPI

    bare = FastAPI()

    @bare.get("/api/v1/staff/unguarded")
    async def unguarded() -> dict[str, str]:
        return {}

    [route] = [r for path, r in _walk(bare.routes) if path == "/api/v1/staff/unguarded"]
    assert isinstance(route, APIRoute)
    assert _staff_roles(route) == set()
