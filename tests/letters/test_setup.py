"""A letter's setup changed one part at a time, as the dashboard does, through the same
save as the API's whole setup: the rules hold whichever way it is changed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.models import Campaign
from campaign.campaigns.service import get_campaign
from campaign.db import transaction
from campaign.errors import InvalidInput, InvalidState
from campaign.letters import setup
from campaign.letters.schemas import (
    DivisionTargets,
    FixedTargets,
    LetterLimitsInput,
    LetterTemplateInput,
    RoleTargets,
    TargetChoice,
)
from campaign.letters.templating import addressed
from tests.conftest import petition_fields
from tests.letters.conftest import BODY_TEMPLATE, COMMONS, REQUIRED, setup_fields

SLUG = "a-letter"
SETUP_API = f"/api/v1/staff/campaigns/{SLUG}/letter"


@pytest.fixture
async def draft(client: httpx.AsyncClient, editor: dict[str, str]) -> str:
    fields = petition_fields(
        slug=SLUG,
        kind="letter",
        target="the House of Commons",
        summary="Ask {{mp}} to vote against the Vale dam.",
    )
    created = await client.post("/api/v1/staff/campaigns", json=fields, headers=editor)
    assert created.status_code == 201, created.text
    return SLUG


async def _campaign(session: AsyncSession, slug: str = SLUG) -> Campaign:
    return await get_campaign(session, slug)


async def test_a_setup_is_proposed_from_the_campaign_until_a_part_is_saved(
    draft: str,
    officials: dict[str, int],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(session_factory) as session:
        campaign = await _campaign(session)
        proposed = await setup.setup_in_hand(session, campaign)
        assert proposed.stored is None
        # Addressed to the House of Commons: its member for the activist's division.
        assert proposed.data.targets == DivisionTargets(kind="division", organisation=COMMONS)
        # The summary looks like a template with an unknown placeholder: left out.
        assert proposed.data.body_template == (
            "Dear {{official_name}},\n\nYours sincerely,\n{{activist_name}}"
        )
        await setup.change_limits(
            session, campaign, LetterLimitsInput(min_length=10, max_length=900)
        )
    async with session_factory() as session:
        stored = await setup.get_setup(session, (await _campaign(session)).id)
        assert (stored.target_kind, stored.target_organisation) == ("division", COMMONS)
        assert (stored.min_length, stored.max_length) == (10, 900)
        assert stored.subject_template == "Stop arms transfers that fuel war crimes"


async def test_adding_an_official_turns_a_rule_into_a_list_and_each_must_be_active(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    draft: str,
    officials: dict[str, int],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    saved = await client.put(SETUP_API, json=setup_fields(), headers=editor)
    assert saved.status_code == 200, saved.text
    async with transaction(session_factory) as session:
        campaign = await _campaign(session)
        await setup.add_listed_official(session, campaign, officials["Sam Patel"])
        await setup.add_listed_official(session, campaign, officials["Jo Rivers"])
        kept = await setup.get_setup(session, campaign.id)
        assert kept.target_kind == "fixed"
        assert kept.target_official_ids == [officials["Sam Patel"], officials["Jo Rivers"]]
        assert kept.target_organisation is None
        assert kept.required_phrases == [REQUIRED]  # the rest as it was

    left = await client.patch(
        f"/api/v1/staff/officials/{officials['Jo Rivers']}", json={"active": False}, headers=editor
    )
    assert left.status_code == 200
    # Already on the list: the API's whole setup may keep them...
    listed = [officials["Sam Patel"], officials["Jo Rivers"]]
    again = await client.put(
        SETUP_API,
        json=setup_fields(targets={"kind": "fixed", "official_ids": listed}, max_length=3000),
        headers=editor,
    )
    assert again.status_code == 200, again.text
    # ...but no one gone from the directory is put on it, by the API or by a page.
    await client.patch(
        f"/api/v1/staff/officials/{officials['Alex Morgan']}",
        json={"active": False},
        headers=editor,
    )
    refused = await client.put(
        SETUP_API,
        json=setup_fields(
            targets={"kind": "fixed", "official_ids": [*listed, officials["Alex Morgan"]]}
        ),
        headers=editor,
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "targets.official_ids"
    async with transaction(session_factory) as session:
        campaign = await _campaign(session)
        with pytest.raises(InvalidInput) as added:
            await setup.add_listed_official(session, campaign, officials["Alex Morgan"])
        assert added.value.field == "official_id"
        assert added.value.detail == f"no active official with id {officials['Alex Morgan']}"

    async with session_factory() as session:
        campaign = await _campaign(session)
        reach = await setup.reach_of(
            session, setup.target_rule_of(await setup.get_setup(session, campaign.id))
        )
        assert (reach.by_country, reach.inactive) == ({"GB": 1}, 1)


async def test_a_change_that_breaks_the_whole_setup_names_its_own_field(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    draft: str,
    officials: dict[str, int],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    saved = await client.put(SETUP_API, json=setup_fields(), headers=editor)
    assert saved.status_code == 200, saved.text
    async with session_factory() as session:
        campaign = await _campaign(session)
        # The body without a required passage: the template is at fault, not the limits.
        with pytest.raises(InvalidInput) as lost:
            await setup.change_template(
                session,
                campaign,
                LetterTemplateInput(subject_template="S", body_template="Dear {{official_name}}"),
            )
        assert lost.value.field == "body_template"
        assert REQUIRED in lost.value.detail
        with pytest.raises(InvalidInput) as outside:
            await setup.change_limits(
                session, campaign, LetterLimitsInput(required_phrases=["not in the letter"])
            )
        assert outside.value.field == "required_phrases"
        with pytest.raises(InvalidInput) as no_list:
            await setup.choose_targets(session, campaign, TargetChoice(kind="fixed"))
        assert no_list.value.field == "kind"
        with pytest.raises(InvalidInput) as nothing_chosen:
            await setup.choose_targets(session, campaign, TargetChoice(kind="division"))
        assert nothing_chosen.value.field == "organisation"

    # The API refuses the same template with the same words, naming its field.
    refused = await client.put(
        SETUP_API, json=setup_fields(body_template="Dear {{mp}}, " + REQUIRED), headers=editor
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "body_template"
    assert (
        "unknown placeholder {{mp}}: the placeholders are {{official_name}}"
        in (refused.json()["detail"])
    )


async def test_whom_each_rule_reaches_and_may_preview(
    officials: dict[str, int], session_factory: async_sessionmaker[AsyncSession]
) -> None:
    rules: list[tuple[Any, dict[str, int], list[str]]] = [
        (
            DivisionTargets(kind="division", organisation=COMMONS),
            {"GB": 2},
            ["Alex Morgan", "Sam Patel"],
        ),
        (
            RoleTargets(kind="role", role="foreign_minister"),
            {"FR": 1, "GB": 1},
            ["Camille Martin", "Jo Rivers"],
        ),
        # The Foreign Office's officials hold no seat: no division rule reaches them.
        (DivisionTargets(kind="division", organisation="Foreign Office"), {}, []),
        (
            FixedTargets(kind="fixed", official_ids=[officials["Jo Rivers"], 10**12]),
            {"GB": 1},
            ["Jo Rivers"],
        ),
    ]
    async with session_factory() as session:
        for rule, by_country, names in rules:
            assert (await setup.reach_of(session, rule)).by_country == by_country, rule
            targeted = await setup.targeted_officials(session, rule)
            assert [o.name for o in targeted] == names, rule
        bodies = await setup.bodies_with_divisions(session)
        assert [(b.value, b.by_country) for b in bodies] == [(COMMONS, {"GB": 2})]
        roles = {r.value: r.total for r in await setup.roles_held(session)}
        assert roles == {"foreign_minister": 2, "legislator": 2}
        found = await setup.find_in_directory(session, "parliament")
        assert [o.name for o in found] == ["Alex Morgan", "Sam Patel"]
        assert await setup.find_in_directory(session, "   ") == []
        assert [o.name for o in await setup.find_in_directory(session, "100%")] == []


def test_a_letter_is_filled_in_once_for_its_official() -> None:
    subject, body = addressed(
        "To {{official_name}}\nabout   the dam " + "x" * 400,
        "Dear {{official_name}}, from {{activist_name}} in {{activist_locality}}. {{unknown}}",
        official_name="Sam {{activist_name}} Patel",
        official_title="MP",
        activist_name="Ada",
        activist_locality="Riverside",
    )
    assert subject.startswith("To Sam {{activist_name}} Patel about the dam x")
    assert len(subject) == 300
    # A value holding a placeholder stays as typed; an unknown placeholder stays too.
    assert body == "Dear Sam {{activist_name}} Patel, from Ada in Riverside. {{unknown}}"


async def test_only_a_letter_campaign_has_a_setup(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    created = await client.post(
        "/api/v1/staff/campaigns", json=petition_fields(slug="a-petition"), headers=editor
    )
    assert created.status_code == 201
    async with session_factory() as session:
        petition = await _campaign(session, "a-petition")
        with pytest.raises(InvalidState):
            await setup.setup_in_hand(session, petition)
        with pytest.raises(InvalidState):
            await setup.change_limits(session, petition, LetterLimitsInput())
        # Nothing to set up, nothing to refuse: a petition publishes without a letter.
        assert await setup.publishing_refusal(session, petition) is None


async def test_publishing_refuses_a_letter_with_no_setup_and_says_so_before(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    draft: str,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        refusal = await setup.publishing_refusal(session, await _campaign(session))
    assert refusal is not None
    published = await client.post(f"/api/v1/staff/campaigns/{SLUG}/publish", headers=editor)
    assert published.status_code == refusal.status == 409
    assert published.json()["detail"] == refusal.detail
    saved = await client.put(
        SETUP_API, json=setup_fields(body_template=BODY_TEMPLATE), headers=editor
    )
    assert saved.status_code == 200
    async with session_factory() as session:
        assert await setup.publishing_refusal(session, await _campaign(session)) is None
