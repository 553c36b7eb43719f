"""Roles hold on the dashboard as in the API: every dashboard form that changes
something needs the editor role (or admin), and a viewer who posts one anyway, with a
valid CSRF token of their own, is refused before anything happens."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute

from campaign.staff.models import Role
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.staff.test_auth import DASHBOARD_PREFIX, PUBLIC_ROUTES, _staff_roles, all_routes

# Dashboard posts every logged-in user may make: about themselves, not the organisation's
# work. Adding one here is a decision to review.
ANY_USER_POSTS = {
    "/staff/logout",
    "/staff/tokens",
    "/staff/tokens/{token_id}/revoke",
}


def _dashboard_posts() -> list[tuple[str, APIRoute]]:
    found = []
    for method, path, route in all_routes():
        if method != "POST" or (method, path) in PUBLIC_ROUTES:
            continue
        if path.startswith(DASHBOARD_PREFIX + "/") and isinstance(route, APIRoute):
            found.append((path, route))
    return found


def test_the_walk_finds_the_dashboard_forms() -> None:
    paths = {path for path, _ in _dashboard_posts()}
    assert "/staff/campaigns/{slug}/publish" in paths
    assert "/staff/releases/{release_id}/calls" in paths


@pytest.mark.parametrize(
    ("path", "route"),
    [r for r in _dashboard_posts() if r[0] not in ANY_USER_POSTS],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_a_viewer_is_refused_every_form_that_changes_something(
    client: httpx.AsyncClient, make_user: MakeUser, log_in: LogIn, path: str, route: APIRoute
) -> None:
    roles = _staff_roles(route)
    assert roles & {Role.EDITOR.value, Role.ADMIN.value}, f"{path} is open to viewers"

    await make_user("viewer@example.org", Role.VIEWER)
    assert (await log_in("viewer@example.org")).status_code == 303
    token = csrf_token_in(await client.get("/staff"))
    url = re.sub(r"\{[^}]+\}", "1", path)
    answer = await client.post(url, data={"csrf_token": token})
    assert answer.status_code == 403, f"POST {path} answered {answer.status_code}"
