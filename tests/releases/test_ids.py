"""Ids in the paths of release and call routes: a number no database row can have is a
422 naming it, never a 500."""

from __future__ import annotations

import httpx
import pytest

TOO_LARGE = str(2**64)


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", f"/api/v1/staff/releases/{TOO_LARGE}", "release_id"),
        ("GET", f"/api/v1/staff/releases/{TOO_LARGE}/calls", "release_id"),
        ("POST", f"/api/v1/staff/calls/{TOO_LARGE}/reject", "call_id"),
        ("POST", f"/api/v1/staff/calls/{TOO_LARGE}/promote", "call_id"),
        ("POST", "/api/v1/staff/calls/0/reject", "call_id"),
    ],
)
async def test_an_id_no_row_can_have_is_refused_by_name(
    client: httpx.AsyncClient, editor: dict[str, str], method: str, path: str, field: str
) -> None:
    answer = await client.request(method, path, headers=editor)
    assert answer.status_code == 422
    assert answer.json()["field"] == field
