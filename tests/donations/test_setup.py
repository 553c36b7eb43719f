"""A campaign's donation setup, on the dashboard and in the staff API: both say whether
the campaign takes donations now and, when not, why (no payment provider on the server
first of all), from one service function; staff edit the setup on the page in the
currency's units, with mistakes beside their fields."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from campaign.config import Settings
from campaign.staff.models import Role
from tests.conftest import petition_fields
from tests.dashboard.conftest import (  # noqa: F401
    PASSWORD,
    MakeUser,
    csrf_token_in,
    editor_session,
    log_in,
    make_user,
)
from tests.donations.conftest import setup_fields

STAFF_API = "/api/v1/staff/campaigns"
SLUG = petition_fields()["slug"]
SETUP_API = f"{STAFF_API}/{SLUG}/donation-setup"
PAGE = f"/staff/campaigns/{SLUG}/donations"


@pytest.fixture
async def without_stripe(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app on a server with no Stripe key."""
    app = create_app(settings.model_copy(update={"stripe_secret_key": None}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as c:
            yield c


def setup_form(token: str, **overrides: str | None) -> dict[str, str]:
    fields: dict[str, str | None] = {
        "csrf_token": token,
        "currency": "gbp",
        "minimum_amount": "2.50",
        "maximum_amount": "500",
        "suggested_amounts": "5, 10, 25.50",
        "allow_one_off": "on",
        "allow_monthly": None,
        "enabled": "on",
    }
    fields.update(overrides)
    return {name: value for name, value in fields.items() if value is not None}


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<span class="error" id="{field}-error">(.*?)</span>\s*$', page, re.M)
    assert match, f"no error beside {field}"
    return re.sub(r"<[^>]+>", "", match.group(1))


async def _published(client: httpx.AsyncClient, editor: dict[str, str]) -> None:
    assert (await client.post(STAFF_API, json=petition_fields(), headers=editor)).is_success
    assert (await client.post(f"{STAFF_API}/{SLUG}/publish", headers=editor)).is_success


async def test_without_a_payment_provider_the_page_and_the_api_say_donations_are_off(
    without_stripe: httpx.AsyncClient,
    editor: dict[str, str],
    make_user: MakeUser,  # noqa: F811
) -> None:
    await _published(without_stripe, editor)
    saved = await without_stripe.put(SETUP_API, json=setup_fields(), headers=editor)
    assert saved.status_code == 200
    for answer in (saved, await without_stripe.get(SETUP_API, headers=editor)):
        view = answer.json()
        assert view["enabled"] is False
        assert view["reason"] == "off: no payment provider configured"
        assert view["switched_on"] is True  # as staff saved it: on once a key is set

    await make_user()
    await without_stripe.post(
        "/staff/login", data={"email": "editor@example.org", "password": PASSWORD}
    )
    page = await without_stripe.get(PAGE)
    assert page.status_code == 200
    state = re.search(r'id="donation-state">(.*?)</p>', page.text, re.S)
    assert state
    assert "Donations are off: no payment provider configured." in state.group(1)


async def test_with_a_provider_donations_are_on_only_while_published_and_switched_on(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    await client.post(STAFF_API, json=petition_fields(), headers=editor)

    async def state(**setup: Any) -> tuple[bool, str | None]:
        if setup:
            saved = await client.put(SETUP_API, json=setup_fields(**setup), headers=editor)
            assert saved.status_code == 200, saved.text
        view = (await client.get(SETUP_API, headers=editor)).json()
        return view["enabled"], view["reason"]

    assert await state(enabled=True) == (False, "off until the campaign is published")
    await client.post(f"{STAFF_API}/{SLUG}/publish", headers=editor)
    assert await state() == (True, None)
    options = await client.get(f"/api/v1/campaigns/{SLUG}/donations/options")
    assert options.json()["enabled"] is True
    assert await state(enabled=False) == (False, "off: switched off in this setup")
    options = await client.get(f"/api/v1/campaigns/{SLUG}/donations/options")
    assert options.json()["reason"] == "this campaign is not taking donations"
    await state(enabled=True)
    await client.post(f"{STAFF_API}/{SLUG}/close", headers=editor)
    assert await state() == (False, "off: the campaign is closed")


async def test_staff_set_up_donations_on_the_page_in_the_currency_s_units(
    editor_session: httpx.AsyncClient,  # noqa: F811
    editor: dict[str, str],
) -> None:
    await _published(editor_session, editor)
    page = await editor_session.get(PAGE)
    assert page.status_code == 200
    assert 'aria-current="page">Donations<' in page.text
    assert "off: donations are not set up for this campaign" in page.text

    saved = await editor_session.post(PAGE, data=setup_form(csrf_token_in(page)))
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{PAGE}?saved=1"
    view = (await editor_session.get(SETUP_API, headers=editor)).json()
    assert view["minimum_amount"] == 250
    assert view["maximum_amount"] == 50_000
    assert view["suggested_amounts"] == [500, 1000, 2550]
    assert (view["allow_one_off"], view["allow_monthly"], view["enabled"]) == (True, False, True)

    shown = await editor_session.get(saved.headers["location"])
    assert 'role="status">Saved.<' in shown.text
    assert 'value="2.50"' in shown.text and 'value="5, 10, 25.50"' in shown.text
    assert re.search(r'id="donation-state"><strong>On:', shown.text)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"maximum_amount": "1"}, "maximum_amount", "at least the minimum amount"),
        ({"currency": "zzz"}, "currency", "ISO 4217"),
        ({"allow_one_off": None}, "allow_monthly", "one-off or monthly"),
        ({"suggested_amounts": "5, lots"}, "suggested_amounts", "Enter an amount"),
        ({"suggested_amounts": "1000"}, "suggested_amounts", "from the minimum to the maximum"),
        ({"minimum_amount": ""}, "minimum_amount", "Enter the smallest amount"),
    ],
)
async def test_setup_mistakes_are_shown_beside_their_fields_and_nothing_is_saved(
    editor_session: httpx.AsyncClient,  # noqa: F811
    editor: dict[str, str],
    changes: dict[str, str | None],
    field: str,
    message: str,
) -> None:
    await _published(editor_session, editor)
    token = csrf_token_in(await editor_session.get(PAGE))
    refused = await editor_session.post(PAGE, data=setup_form(token, **changes))
    assert refused.status_code == 422
    assert message in error_beside(refused.text, field)
    assert (await editor_session.get(SETUP_API, headers=editor)).status_code == 404


async def test_a_viewer_reads_the_setup_but_cannot_change_it(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    make_user: MakeUser,  # noqa: F811
    donation_campaign: Callable[..., Awaitable[str]],
) -> None:
    await donation_campaign()
    await make_user("viewer@example.org", Role.VIEWER)
    await client.post("/staff/login", data={"email": "viewer@example.org", "password": PASSWORD})
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert 'value="1"' in page.text  # the minimum of 100 pence, as people write it
    assert "Save the setup" not in page.text
    refused = await client.post(PAGE, data=setup_form(csrf_token_in(page), enabled=None))
    assert refused.status_code == 403
    assert (await client.get(SETUP_API, headers=editor)).json()["switched_on"] is True
