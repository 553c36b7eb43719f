"""How fast a campaign is being signed and by whom, through the staff API: rates per
minute by address, network, email domain and country, the top movers against the
window before, and never an email address."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.metrics.conftest import Factory
from tests.signatures.test_invalidations import NOW, STAFF, add_signature, campaign

__all__ = ["campaign"]  # the fixture, imported for these tests


def groups(view: dict[str, Any], grouping: str) -> dict[str, tuple[int, int]]:
    return {g["key"]: (g["signatures"], g["previous"]) for g in view["groups"][grouping]}


async def test_the_last_hour_by_group_against_the_hour_before(
    client: httpx.AsyncClient, viewer: dict[str, str], campaign: int, session_factory: Factory
) -> None:
    f = session_factory
    recent, earlier = NOW - timedelta(minutes=10), NOW - timedelta(minutes=70)
    for _ in range(4):
        await add_signature(
            f, campaign, ip="198.51.100.7", domain="flood.example", at=recent, user_agent="bot/1"
        )
    await add_signature(f, campaign, ip="198.51.100.8", domain="flood.example", at=recent)
    await add_signature(f, campaign, ip="2001:db8:1:2::5", country="FR", at=recent)
    await add_signature(f, campaign, ip="2001:db8:1:2:aa::1", country="FR", at=recent)
    await add_signature(f, campaign, ip="192.0.2.1", domain="Mail.example", at=earlier)
    await add_signature(f, campaign, ip="192.0.2.1", domain="mail.example", at=earlier)
    await add_signature(f, campaign, ip=None, at=recent)
    # Too old for either window.
    await add_signature(f, campaign, ip="192.0.2.1", at=NOW - timedelta(hours=3))

    answer = await client.get(f"{STAFF}/velocity", headers=viewer)
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["window"] == "hour"
    assert (view["signatures"], view["previous"]) == (8, 2)
    assert view["per_minute"] == round(8 / 60, 3)
    assert groups(view, "ip") == {
        "198.51.100.7": (4, 0),
        "198.51.100.8": (1, 0),
        "2001:db8:1:2::5": (1, 0),
        "2001:db8:1:2:aa::1": (1, 0),
        "192.0.2.1": (0, 2),
    }
    assert groups(view, "ipv4_24") == {"198.51.100.0/24": (5, 0), "192.0.2.0/24": (0, 2)}
    assert groups(view, "ipv6_64") == {"2001:db8:1:2::/64": (2, 0)}
    assert groups(view, "email_domain") == {
        "flood.example": (5, 0),
        "example.org": (3, 0),
        "mail.example": (0, 2),
    }
    assert groups(view, "country") == {"GB": (6, 2), "FR": (2, 0)}
    assert groups(view, "user_agent") == {"bot/1": (4, 0)}
    assert view["ipv6_complete"] is True

    movers = [(m["grouping"], m["key"], m["rise"]) for m in view["movers"]]
    assert movers[:8] == [
        ("ipv4_24", "198.51.100.0/24", 5),
        ("email_domain", "flood.example", 5),
        ("country", "GB", 4),
        ("ip", "198.51.100.7", 4),
        ("user_agent", "bot/1", 4),
        ("email_domain", "example.org", 3),
        ("ipv6_64", "2001:db8:1:2::/64", 2),
        ("country", "FR", 2),
    ]
    assert all(rise > 0 for _, _, rise in movers)
    flood = next(m for m in view["movers"] if m["key"] == "198.51.100.0/24")
    assert flood["criterion"] == "ip_prefix"
    # Staff see domains, never whole addresses.
    assert "@" not in answer.text


async def test_the_day_window_and_a_bad_window(
    client: httpx.AsyncClient, viewer: dict[str, str], campaign: int, session_factory: Factory
) -> None:
    await add_signature(session_factory, campaign, at=NOW - timedelta(hours=3))
    await add_signature(session_factory, campaign, at=NOW - timedelta(hours=30))
    day = (await client.get(f"{STAFF}/velocity?window=day", headers=viewer)).json()
    assert (day["signatures"], day["previous"]) == (1, 1)
    hour = (await client.get(f"{STAFF}/velocity", headers=viewer)).json()
    assert (hour["signatures"], hour["previous"]) == (0, 0)
    assert hour["movers"] == []

    bad = await client.get(f"{STAFF}/velocity?window=week", headers=viewer)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "window"
    anonymous = await client.get(f"{STAFF}/velocity")
    assert anonymous.status_code == 401
