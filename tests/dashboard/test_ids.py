"""An id in a dashboard path that no row can have is refused, never a 500."""

from __future__ import annotations

import httpx

TOO_LARGE = str(2**64)


async def test_the_release_page_refuses_an_id_no_row_can_have(
    client: httpx.AsyncClient, editor_session: object
) -> None:
    answer = await client.get(f"/staff/releases/{TOO_LARGE}")
    assert answer.status_code == 422
