"""The front page, `/`: what this server is, the campaigns open now (published ones
only) with links to their pages, and the way to /staff. Never a JSON 404."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.conftest import petition_fields

Publish = Callable[..., Awaitable[dict[str, Any]]]


async def test_a_fresh_install_says_what_it_is_and_links_to_staff(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Campaign: campaigns</h1>" in answer.text
    assert "No campaign is open at the moment." in answer.text
    assert 'href="/staff"' in answer.text
    assert "default-src 'none'" in answer.headers["content-security-policy"]


async def test_only_published_campaigns_are_listed(
    client: httpx.AsyncClient, publish_petition: Publish, editor: dict[str, str]
) -> None:
    await publish_petition(slug="open-petition", title="Save the <river> meadows")
    await publish_petition(slug="bees", title="Protect the bees", target="The minister")
    draft = petition_fields(slug="still-a-draft", title="Not ready yet")
    assert (await client.post("/api/v1/staff/campaigns", json=draft, headers=editor)).is_success
    never = petition_fields(slug="closed-unpublished", title="Dropped before it began")
    assert (await client.post("/api/v1/staff/campaigns", json=never, headers=editor)).is_success
    closed = await client.post("/api/v1/staff/campaigns/closed-unpublished/close", headers=editor)
    assert closed.json()["state"] == "closed"

    page = (await client.get("/")).text
    links = re.findall(r'<a href="(/c/[^"]+)">([^<]*)</a>', page)
    assert sorted(links) == [
        ("/c/bees", "Protect the bees"),
        ("/c/open-petition", "Save the &lt;river&gt; meadows"),
    ]
    assert "Not ready yet" not in page and "Dropped before it began" not in page
    assert "No campaign is open" not in page
    assert "A petition to The minister" in page
