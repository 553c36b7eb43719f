"""Every route of the app, with hostile values in its path and its numeric queries: the
answer is a 4xx (or the page or redirect a browser would get), never a 500. Run on both
databases: PostgreSQL refuses a NUL in text, and its integers stop at 2**63 - 1."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi.params import Query
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.staff.models import Role
from campaign.staff.schemas import StaffUserCreate
from campaign.staff.users import create_user
from tests.dashboard.conftest import CSRF_FIELD, PASSWORD
from tests.staff.test_auth import all_routes

# As they go in a URL: percent-encoded where a raw character could not be sent.
HOSTILE_PATH_VALUES = [
    "a%00b",  # NUL: PostgreSQL text cannot hold it
    "%00",
    str(2**64),
    str(2**63),
    "-1",
    "0",
    str(10**30),
    "x" * 5000,
    "a%2Fb",  # an encoded slash, which routing must not take as a separator
    "%C3%A9t%C3%A9",  # été
    "%F0%9F%93%A3",  # an emoji, outside the Basic Multilingual Plane
    "%FF%FE",  # not UTF-8 at all
    "..",
    "1.5",
]
HOSTILE_QUERY_VALUES = ["\x00", str(2**64), str(2**63), "-1", str(10**30), "x" * 5000, "1e3"]

PARAMETER = re.compile(r"\{[^}]+\}")
DASHBOARD = re.compile(r"^/staff(/|$)")
# Ends the session the rest of the walk relies on; it has no parameters to walk anyway.
LOG_OUT = ("POST", "/staff/logout")

ROUTES = [
    (method, path, route) for method, path, route in all_routes() if (method, path) != LOG_OUT
]
ROUTES_WITH_PATH_PARAMETERS = [r for r in ROUTES if PARAMETER.search(r[1])]


def _query_parameters(route: object) -> set[str]:
    """The query parameters of a route and of every dependency it has."""
    if not isinstance(route, APIRoute):
        return set()
    names = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        for param in dependant.query_params:
            if isinstance(param.field_info, Query):
                names.add(param.alias)
        stack.extend(dependant.dependencies)
    return names


@pytest.fixture
async def staff_everywhere(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> dict[str, Any]:
    """An admin token for the API and a logged-in admin session for the dashboard, with
    the session's CSRF token, so each request gets past its authentication to its path."""
    email = "admin@example.org"
    user = StaffUserCreate(email=email, name="Admin", role=Role.ADMIN, password=PASSWORD)
    async with transaction(session_factory) as session:
        await create_user(session, user)
    logged_in = await client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert logged_in.status_code == 303

    home = await client.get("/staff")
    match = CSRF_FIELD.search(home.text)
    assert match, home.text
    return {"headers": admin, "form": {"csrf_token": match.group(1)}}


async def _ask(
    client: httpx.AsyncClient, staff: dict[str, Any], method: str, path: str, url: str, **kw: Any
) -> httpx.Response:
    if DASHBOARD.match(path) and method != "GET":
        return await client.request(method, url, data=staff["form"], **kw)
    if method == "GET":
        return await client.request(method, url, headers=staff["headers"], **kw)
    return await client.request(method, url, headers=staff["headers"], json={}, **kw)


def _refusal_is_well_formed(answer: httpx.Response, where: str) -> None:
    assert answer.status_code < 500, f"{where} answered {answer.status_code}: {answer.text[:300]}"
    if answer.status_code >= 400:
        kind = answer.headers.get("content-type", "")
        assert kind.startswith(("application/problem+json", "text/html")), f"{where}: {kind}"


def test_the_walk_reaches_every_kind_of_parameter() -> None:
    paths = {path for _, path, _ in ROUTES_WITH_PATH_PARAMETERS}
    for example in (
        "/api/v1/campaigns/{slug}",
        "/api/v1/staff/releases/{release_id}",
        "/api/v1/staff/messages/{message_id}",
        "/letters/{token}",
        "/unsubscribe/{token}",
        "/c/{slug}",
        "/staff/campaigns/{slug}/supporters/{signature_id}",
        "/staff/welcome/{secret}",
    ):
        assert example in paths
    queries = {name for _, _, route in ROUTES for name in _query_parameters(route)}
    assert {"offset", "limit", "after", "before"} <= queries


# One test for all the values: logging in costs more than walking the routes once.
async def test_no_path_value_causes_a_server_error(
    client: httpx.AsyncClient, staff_everywhere: dict[str, Any]
) -> None:
    for value in HOSTILE_PATH_VALUES:
        for method, path, _route in ROUTES_WITH_PATH_PARAMETERS:
            url = PARAMETER.sub(value, path)
            answer = await _ask(client, staff_everywhere, method, path, url)
            _refusal_is_well_formed(answer, f"{method} {url[:80]}")


async def test_no_query_value_causes_a_server_error(
    client: httpx.AsyncClient, staff_everywhere: dict[str, Any]
) -> None:
    for method, path, route in ROUTES:
        if method != "GET" or PARAMETER.search(path):
            continue
        for name in sorted(_query_parameters(route)):
            for value in HOSTILE_QUERY_VALUES:
                params = {name: value}
                answer = await _ask(client, staff_everywhere, method, path, path, params=params)
                _refusal_is_well_formed(answer, f"GET {path}?{name}={value[:20]}")


# -- What the answers say -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/campaigns/a%00b",
        "/api/v1/campaigns/Not-A-Slug",
        "/api/v1/campaigns/" + "a" * 81,
        "/api/v1/campaigns/well-formed-but-absent",
    ],
)
async def test_a_slug_that_cannot_exist_is_not_found_like_an_absent_one(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/not-found"
    assert answer.json()["field"] == "slug"


@pytest.mark.parametrize("path", ["/c/a%00b", "/letters/a%00b", "/confirm/" + "x" * 1001])
async def test_a_page_with_a_malformed_name_is_a_not_found_page(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Page not found" in answer.text


async def test_a_token_that_cannot_exist_is_not_found(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/letters/not%00a-token")
    assert answer.status_code == 404
    assert answer.json()["field"] == "token"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/staff/messages/{2**64}", "message_id"),
        ("/api/v1/staff/messages/-1", "message_id"),
        (f"/api/v1/staff/messages?campaign_id={2**63}", "campaign_id"),
        ("/api/v1/staff/campaigns/stop-the-arms-trade/letters?offset=1000001", "offset"),
        (f"/api/v1/staff/campaigns/stop-the-arms-trade/donations?offset={10**30}", "offset"),
    ],
)
async def test_a_number_out_of_range_is_refused_by_name(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    publish_petition: Callable[..., Awaitable[Any]],
    path: str,
    field: str,
) -> None:
    await publish_petition()
    answer = await client.get(path, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["field"] == field


async def test_an_absent_id_in_range_is_not_found(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    answer = await client.get(f"/api/v1/staff/messages/{2**63 - 1}", headers=admin)
    assert answer.status_code == 404
